// `restore --sql FILE --database NAME`: a plain SQL dump (e.g. from mysqldump) into a configured
// database whose kind loads SQL files (MariaDB/MySQL: the contract's optional restoreSqlFile), the
// same safe way as a backup's dump — loaded beside the live database, checked, swapped. This is the
// flow around it: the file, the password, the admin's confirmation, the summary.
import { stat } from 'node:fs/promises';
import type { Component, DatabaseComponent } from '../config/schema';
import { formatDuration } from '../i18n';
import type { Platform } from '../platform/paths';
import { backupId } from '../backup-directory/catalog';
import { credentialId, type SecretStore } from '../credentials/credentials';
import { ExitCode, PraxisError } from '../core/errors';
import type { Reporter, RunSummary } from '../run/events';
import { failedSummary, failureMessage } from '../run/failure';
import { isDatabase, kindFor } from '../databases/registry';
import type { RestoreInteraction } from './restore-run';
import type { ToolLocator } from '../process/tool-locator';

export interface SqlRestoreOverview {
  file: string;
  /** When the file was last written: what "everything after" refers to. */
  fileDate: Date;
  component: DatabaseComponent;
  dropPrevious: boolean;
}

/** The components `restore --sql` can load a file into: databases whose kind answers restoreSqlFile. */
export function sqlFileComponents(components: readonly Component[]): DatabaseComponent[] {
  return components.filter((c): c is DatabaseComponent => isDatabase(c) && kindFor(c).restoreSqlFile !== undefined);
}

export interface SqlRestoreInteraction {
  password: RestoreInteraction['password'];
  /** Show the overview and ask; false: not confirmed. May throw (e.g. "--yes needed"). */
  confirmSql(o: SqlRestoreOverview): Promise<boolean>;
}

export interface SqlRestoreDeps {
  platform: Platform;
  tools: ToolLocator;
  secrets: SecretStore;
  now?: () => Date;
}

export async function runSqlRestore(
  c: DatabaseComponent,
  file: string,
  dropPrevious: boolean,
  deps: SqlRestoreDeps,
  io: SqlRestoreInteraction,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<RunSummary> {
  // The caller offers only sqlFileComponents: another component here is its bug.
  const restoreSqlFile = kindFor(c).restoreSqlFile;
  if (!restoreSqlFile) throw new Error(`restore --sql: ${c.name} is not of a kind that loads SQL files`);
  const now = deps.now ?? (() => new Date());
  const started = now();
  const finish = (s: Omit<RunSummary, 'durationMs' | 'warnings'>): RunSummary => {
    const summary = { ...s, durationMs: now().getTime() - started.getTime(), warnings: [...reporter.warnings] };
    reporter.emit({ type: 'finished', summary });
    return summary;
  };
  try {
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) throw new PraxisError('restore.sqlMissing', { file }, ExitCode.invalidInput);
    const id = credentialId(c);
    let password = id ? await deps.secrets.get(id) : null;
    if (password === null) password = await io.password(c, 'missing');
    if (!(await io.confirmSql({ file, fileDate: st.mtime, component: c, dropPrevious }))) throw new PraxisError('restore.run.notConfirmed', {}, ExitCode.failed);
    const r = await restoreSqlFile({ platform: deps.platform, tools: deps.tools, secrets: deps.secrets, reporter, signal }, { component: c, file, password, stamp: backupId(started), dropPrevious });
    for (const w of r.warnings) reporter.warn(w.key, w.params);
    reporter.info('restore.run.dbDone', { name: c.name, database: r.database, tables: r.tables, duration: formatDuration(r.durationMs) });
    const warned = reporter.warnings.length > 0;
    return finish({ result: warned ? 'warning' : 'success', exitCode: warned ? ExitCode.warnings : ExitCode.ok });
  } catch (e) {
    const error = failureMessage(e, 'restore.run.cancelled');
    // Only a failure after the swap has changed the live database; the restorer's error then says how.
    const swapped = e instanceof PraxisError && e.message_.key === 'restore.maria.swapIncomplete';
    reporter.error('restore.run.failed', { reason: error, state: { key: swapped ? 'restore.run.stateDbSwapped' : 'restore.run.stateUntouched' } });
    const summary = failedSummary(e, error, { durationMs: now().getTime() - started.getTime(), warnings: reporter.warnings });
    reporter.emit({ type: 'finished', summary });
    return summary;
  }
}

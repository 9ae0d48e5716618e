// `restore --sql FILE --database NAME`: a plain SQL dump (e.g. from mysqldump) into a configured
// MariaDB/MySQL database, the same safe way as a backup's dump — loaded beside the live database,
// checked, swapped (restore-mariadb.ts). This is the flow around it: the file, the password, the
// admin's confirmation, the summary.
import { stat } from 'node:fs/promises';
import type { MariadbComponent } from '../config/schema';
import { formatDuration } from '../i18n';
import type { Platform } from '../platform/paths';
import { backupId } from '../backup-directory/catalog';
import { credentialId, type SecretStore } from '../credentials/credentials';
import { ExitCode, PraxisError } from '../core/errors';
import type { Reporter, RunSummary } from '../run/events';
import { failedSummary, failureMessage } from '../run/failure';
import { restoreSqlFile } from '../databases/mariadb/restore';
import type { RestoreInteraction } from './restore-run';
import type { ToolLocator } from '../process/tool-locator';

export interface SqlRestoreOverview {
  file: string;
  /** When the file was last written: what "everything after" refers to. */
  fileDate: Date;
  component: MariadbComponent;
  dropPrevious: boolean;
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
  c: MariadbComponent,
  file: string,
  dropPrevious: boolean,
  deps: SqlRestoreDeps,
  io: SqlRestoreInteraction,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<RunSummary> {
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

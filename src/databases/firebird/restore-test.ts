// The restore test of `verify --restore-test` for Firebird: the dump is loaded by the component's
// own server into a scratch database file `praxis_verify_<id>.fdb` beside the live database (the
// one folder we know the server may write), every table's rows are counted and compared with the
// manifest, and the scratch database is dropped (isql's DROP DATABASE, or the file removed) on
// every way out. The live database is only read once when its place is an alias (MON$DATABASE
// tells the file); nothing connects to it otherwise, renames or changes it. A verify killed with
// -9 cannot drop the scratch file: the next one removes every `praxis_verify_<YYYYMMDD_HHMMSS>.fdb`
// it finds in that folder (when the folder is on this computer) and says so in the log.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import type { FirebirdComponent } from '../../config/schema';
import { CommandError } from '../../process/runner';
import type { StepContext } from '../../run/step-context';
import type { RestoreTestRequest, RestoreTestResult } from '../contract';
import { dropScratch, isScratchLeftover, scratchName, withRows } from '../common/scratch';
import { NO_DATABASE, isql, serverMessage } from './connection';
import { PROBE_SQL, countRows } from './dump';
import { isLocalHost, loadFbk } from './restore';

/** The folder of a server-side path, with the server's own separator (a Windows server says C:\…). */
export function serverFolder(file: string): string | null {
  const cut = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return cut > 0 ? file.slice(0, cut) : null;
}

const sepOf = (folder: string): string => (folder.includes('\\') && !folder.includes('/') ? '\\' : '/');

/** The folder of the live database on the server: its path from the config, or MON$DATABASE for an alias. */
async function liveFolder(ctx: StepContext, c: FirebirdComponent, password: string | null): Promise<string> {
  const direct = serverFolder(c.database);
  if (direct) return direct;
  const rows = await isql(ctx, c, password, c.database, PROBE_SQL);
  const folder = serverFolder(rows[0]?.[2] ?? '');
  if (!folder) throw new Error(`no folder in the database path of ${c.database}: ${rows[0]?.[2] ?? ''}`);
  return folder;
}

export async function restoreTestFirebird(ctx: StepContext, c: FirebirdComponent, req: RestoreTestRequest): Promise<RestoreTestResult> {
  const result: RestoreTestResult = { problems: [], warnings: [], tables: 0, counted: 0 };
  const name = scratchName(req.backupId);
  const folder = await liveFolder(ctx, c, req.password);
  const scratch = `${folder}${sepOf(folder)}${name}.fdb`;
  const local = isLocalHost(c.host) && existsSync(folder);
  if (local) {
    for (const leftover of (await readdir(folder)).filter((f) => f.endsWith('.fdb') && isScratchLeftover(f.slice(0, -'.fdb'.length)))) {
      await rm(`${folder}/${leftover}`, { force: true });
      ctx.reporter.info('verify.leftoverRemoved', { name: leftover, server: `${c.host}:${c.port}` });
    }
  }
  ctx.reporter.info('verify.fb.loading', { component: c.name, name: scratch });
  try {
    try {
      await loadFbk(ctx, c, req.password, req.dumpFile, scratch, Object.keys(req.entry.rows ?? {}).length, 'verify');
    } catch (e) {
      if (e instanceof CommandError && e.reason === 'cancelled') throw e;
      result.problems.push({ key: 'verify.loadFailed', params: { component: c.name, message: serverMessage(e) } });
      return result;
    }
    const counts = await countRows(ctx, c, req.password, scratch);
    result.tables = counts.size;
    return withRows(result, req.entry.rows, counts, c.name);
  } finally {
    await dropScratch(ctx, scratch, () => dropDatabase(ctx, c, req.password, scratch, local));
  }
}

/**
 * DROP DATABASE through the server (also a remote one), no signal: after a cancel it must still run.
 * A load that failed may have left no database (nothing to drop), or a half-loaded one the server
 * will not open: on this computer the file is then removed directly.
 */
async function dropDatabase(ctx: StepContext, c: FirebirdComponent, password: string | null, scratch: string, local: boolean): Promise<void> {
  try {
    await isql(ctx, c, password, scratch, 'drop database;', undefined);
  } catch (e) {
    if (local) {
      await rm(scratch, { force: true });
      return;
    }
    if (!(e instanceof CommandError && NO_DATABASE.test(serverMessage(e)))) throw e;
  }
}

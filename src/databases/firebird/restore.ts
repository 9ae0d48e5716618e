// Restore of a Firebird component (restore-types.ts is the contract): the backup is loaded by the
// server itself (`gbak -c -se host/port:service_mgr stdin <file>`, the dump streamed from us: about
// 17× faster than gbak loading page by page over the network) into a new file beside the live
// database, `<db>_restore_<stamp>.fdb`, checked (every table's rows against the manifest), and only
// then swapped in: `gfix -shut full -force 0` on the live database (the server closes it), the live
// file renamed to `<db>_vor_restore_<stamp>.fdb`, the new one to the live name, the old one brought
// online again so the admin can open it. A restore killed at any point before the renames leaves
// the live file exactly as it was (a killed gbak leaves its new file half loaded, in maintenance
// mode: removed on the way out, or by the next restore).
//
// Firebird has no catalogue of databases to rename in: the swap renames files, so it needs the
// database file on this computer, in a folder we may write. A database on another server, or one
// we cannot reach as a file, is refused with the reason before anything is done.
import { createReadStream, existsSync } from 'node:fs';
import { access, constants, readdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, extname, isAbsolute, join } from 'node:path';
import type { FirebirdComponent } from '../../config/schema';
import type { Platform } from '../../platform/paths';
import type { Message } from '../../i18n';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import { ExitCode, PraxisError } from '../../core/errors';
import type { StepContext } from '../../run/step-context';
import type { DbClient, DbPreflight, DbRestoreRequest, DbRestoreResult } from '../restore-types';
import { connectFailed } from '../common/db-errors';
import { NO_DATABASE, WRONG_LOGIN, fbEnv, fbMajor, fbUrl, findTool, isql, marked, secretsOf, serverMessage, serviceMgr } from './connection';
import { PROBE_SQL, countRows, type FbServerInfo } from './dump';

/** A restored Firebird database is about as big as the live one; without one, the backup (no indexes) × 3. */
export const FBK_TO_DATABASE_FACTOR = 3;

export interface FbRestoreNames {
  /** Where the backup is loaded: `<dir>/<db>_restore_<stamp><ext>`. */
  temp: string;
  /** Where the live file is kept: `<dir>/<db>_vor_restore_<stamp><ext>`. */
  kept: string;
  /** A leftover of a restore that did not finish: exactly `<db>_restore_YYYYMMDD_HHMMSS<ext>`. */
  isLeftover(fileName: string): boolean;
}

export function restoreNames(file: string, stamp: string): FbRestoreNames {
  if (!/^\d{8}_\d{6}$/.test(stamp)) throw new Error(`restore stamp must be YYYYMMDD_HHMMSS, got ${stamp}`);
  const dir = dirname(file);
  const ext = extname(file);
  const base = basename(file, ext);
  return {
    temp: join(dir, `${base}_restore_${stamp}${ext}`),
    kept: join(dir, `${base}_vor_restore_${stamp}${ext}`),
    isLeftover: (name) => name.startsWith(`${base}_restore_`) && name.endsWith(ext) && /^\d{8}_\d{6}$/.test(name.slice(base.length + '_restore_'.length, name.length - ext.length)),
  };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', 'localhost.localdomain']);
export const isLocalHost = (host: string): boolean => LOCAL_HOSTS.has(host.toLowerCase()) || /^127\./.test(host) || host.toLowerCase() === hostname().toLowerCase();

export const CLIENTS_SQL = `select ${marked('mon$attachment_id', "coalesce(trim(mon$user), '')", "coalesce(trim(mon$remote_address), '')", "coalesce(trim(mon$remote_process), '')")} from mon$attachments where mon$attachment_id <> current_connection and mon$system_flag = 0;`;

export function parseClients(rows: string[][]): DbClient[] {
  return rows.map(([id, user, address, program]) => ({
    id: id ?? '',
    user: user ?? '',
    // "192.168.1.20/49544": the workstation, without its port.
    address: (address ?? '').replace(/\/\d+$/, '') || '[local]',
    ...(program ? { program } : {}),
  }));
}

interface LiveState {
  server: FbServerInfo | null;
  clients: DbClient[];
}

/** Logs in to the live database: version, size, file and clients; null server when there is no such database yet. */
async function liveState(ctx: StepContext, c: FirebirdComponent, password: string | null): Promise<LiveState> {
  try {
    const rows = await isql(ctx, c, password, c.database, `${PROBE_SQL}\n${CLIENTS_SQL}`);
    const [version, bytes, file] = rows[0] ?? [];
    return { server: { version: version ?? '', databaseBytes: Number(bytes) || 0, file: file ?? c.database }, clients: parseClients(rows.slice(1)) };
  } catch (e) {
    const message = serverMessage(e);
    if (e instanceof CommandError && e.reason === 'exit' && WRONG_LOGIN.test(message)) {
      throw new PraxisError('restore.db.wrongPassword', { user: c.user, host: c.host, port: c.port, database: c.database, message });
    }
    if (e instanceof CommandError && e.reason === 'exit' && NO_DATABASE.test(message)) return { server: null, clients: [] };
    connectFailed(e, c, message);
  }
}

interface Prepared {
  c: FirebirdComponent;
  live: LiveState;
  /** The live database's file on this computer (also where a fresh one goes). */
  file: string;
  names: FbRestoreNames;
  warnings: Message[];
}

async function prepare(ctx: StepContext, req: DbRestoreRequest): Promise<Prepared> {
  const c = req.component as unknown as FirebirdComponent;
  const notLocal = (file: string) => new PraxisError('restore.fb.notLocal', { database: c.database, file, host: c.host }, ExitCode.failed);
  if (!isLocalHost(c.host)) throw notLocal(c.database); // before logging in: nothing to learn there
  const live = await liveState(ctx, c, req.password);
  const file = live.server?.file ?? c.database;
  if (!isAbsolute(file) || !existsSync(live.server ? file : dirname(file))) {
    throw notLocal(file);
  }
  try {
    await access(dirname(file), constants.W_OK);
  } catch {
    throw new PraxisError('restore.fb.folderNotWritable', { database: c.database, folder: dirname(file) }, ExitCode.failed);
  }
  const warnings: Message[] = [];
  const dump = req.entry.serverVersion;
  if (live.server && dump && fbMajor(dump) && fbMajor(dump) !== fbMajor(live.server.version)) {
    warnings.push({ key: 'restore.db.versionDiffers', params: { database: c.database, dump, server: live.server.version } });
  }
  return { c, live, file, names: restoreNames(file, req.stamp), warnings };
}

export async function preflightFirebird(ctx: StepContext, req: DbRestoreRequest): Promise<DbPreflight> {
  const { live, warnings } = await prepare(ctx, req);
  return {
    serverVersion: live.server?.version ?? '',
    clients: live.clients,
    warnings,
    estimatedBytes: live.server?.databaseBytes || req.entry.bytes * FBK_TO_DATABASE_FACTOR,
  };
}

/** The server loads the backup from our stdin into `file` (a path as the server sees it): gbak -c -se … stdin. */
export function planGbakRestore(gbak: string, c: FirebirdComponent, file: string, password: string | null, platform: Platform): CommandPlan {
  return {
    label: `gbak -c (${file})`,
    file: gbak,
    args: ['-c', '-v', '-se', serviceMgr(c), 'stdin', file],
    env: fbEnv(platform, c, password),
    secrets: secretsOf(password),
  };
}

export function planGfix(gfix: string, c: FirebirdComponent, file: string, args: string[], password: string | null, platform: Platform): CommandPlan {
  return { label: `gfix ${args.join(' ')} (${file})`, file: gfix, args: [...args, fbUrl(c, file)], env: fbEnv(platform, c, password), secrets: secretsOf(password), timeoutMs: 120_000 };
}

/**
 * Loads the dump into a new database file through the server's service manager; progress by the
 * tables gbak starts loading. Throws the CommandError of gbak (the caller says what it means).
 */
export async function loadFbk(ctx: StepContext, c: FirebirdComponent, password: string | null, dumpFile: string, target: string, tables: number, phase: string): Promise<void> {
  const gbak = await findTool(ctx, 'gbak');
  let done = 0;
  await run(planGbakRestore(gbak.path, c, target, password, ctx.platform), {
    signal: ctx.signal,
    stdin: createReadStream(dumpFile),
    onStdoutLine: (l) => {
      if (/^gbak:\s*restoring data for table /.test(l) && tables > 0) ctx.reporter.progress(c.name, Math.min(99, Math.floor((++done * 100) / tables)), phase);
    },
  });
  ctx.reporter.progress(c.name, 100, phase);
}

/** Tables of the manifest missing from the restored database, and those whose rows differ. */
export function checkRows(expected: Record<string, number> | undefined, counts: Map<string, number>): { missing: string[]; differ: string[] } {
  const missing = Object.keys(expected ?? {}).filter((t) => !counts.has(t)).sort();
  const differ = [...counts].filter(([t, n]) => expected?.[t] !== undefined && expected[t] !== n).map(([t, n]) => `${t} ${n} ≠ ${expected![t]}`).sort();
  return { missing, differ };
}

async function gfix(ctx: StepContext, c: FirebirdComponent, password: string | null, file: string, args: string[]): Promise<void> {
  const tool = await findTool(ctx, 'gfix');
  // No signal: a shutdown or an online interrupted halfway would leave us not knowing the database's state.
  await run(planGfix(tool.path, c, file, args, password, ctx.platform));
}

export async function restoreFirebird(ctx: StepContext, req: DbRestoreRequest): Promise<DbRestoreResult> {
  const started = Date.now();
  const { c, live, file, names } = await prepare(ctx, req);
  const db = c.database;
  const warnings: Message[] = [];
  const dir = dirname(file);

  for (const leftover of (await readdir(dir)).filter((n) => names.isLeftover(n))) {
    await rm(join(dir, leftover), { force: true });
    ctx.reporter.info('restore.db.leftoverRemoved', { database: db, name: leftover });
  }

  ctx.reporter.info('restore.fb.loading', { database: db, name: names.temp });
  let tables: number;
  try {
    try {
      await loadFbk(ctx, c, req.password, req.dumpFile, names.temp, Object.keys(req.entry.rows ?? {}).length, 'restore');
    } catch (e) {
      if (e instanceof CommandError && e.reason === 'cancelled') throw e;
      const message = serverMessage(e);
      if (WRONG_LOGIN.test(message)) throw new PraxisError('restore.db.wrongPassword', { user: c.user, host: c.host, port: c.port, database: db, message });
      throw new PraxisError('restore.fb.loadFailed', { database: db, message }, ExitCode.failed, e instanceof CommandError ? e.stderrTail.slice(-10) : []);
    }
    const counts = await countRows(ctx, c, req.password, names.temp);
    const check = checkRows(req.entry.rows, counts);
    if (check.missing.length) throw new PraxisError('restore.fb.tablesMissing', { database: db, tables: check.missing.join(', ') });
    if (check.differ.length) throw new PraxisError('restore.db.rowsDiffer', { database: db, tables: check.differ.join(', ') });
    tables = counts.size;
    ctx.reporter.info('restore.fb.checked', { database: db, tables });

    // Last moment to cancel: the swap itself is not interrupted.
    ctx.signal.throwIfAborted();
    if (live.server) {
      // The run asked the admin to close the clients; still connected ones would be thrown out by the shutdown.
      const now = await liveState(ctx, c, req.password);
      if (now.clients.length) {
        throw new PraxisError('restore.db.clientsConnected', { database: db, count: now.clients.length, clients: now.clients.map((k) => `${k.address} (${[k.program, k.user, `ID ${k.id}`].filter(Boolean).join(', ')})`).join('; ') });
      }
    }
    await swap(ctx, c, req.password, file, names, live.server !== null);
  } catch (e) {
    await rm(names.temp, { force: true });
    throw e;
  }

  let keptAs: string | null = null;
  if (live.server) {
    keptAs = names.kept;
    ctx.reporter.info('restore.fb.swapped', { database: db, keptAs });
    if (req.dropPrevious) {
      try {
        await rm(names.kept);
        ctx.reporter.info('restore.fb.previousDropped', { database: db, name: names.kept });
        keptAs = null;
      } catch (e) {
        warnings.push({ key: 'restore.fb.dropPreviousFailed', params: { database: db, name: names.kept, message: (e as Error).message } });
      }
    }
  } else {
    ctx.reporter.info('restore.fb.swappedFresh', { database: db, file });
  }
  return { database: db, keptAs, tables, durationMs: Date.now() - started, warnings };
}

/**
 * Shut the live database down (the server closes its file; every connection ends), rename it to the
 * kept name and the restored file to the live name. When the second rename fails, the first is
 * undone and the live database brought online again: it is then exactly as before.
 */
async function swap(ctx: StepContext, c: FirebirdComponent, password: string | null, file: string, names: FbRestoreNames, liveExists: boolean): Promise<void> {
  const failed = (e: unknown): PraxisError => new PraxisError('restore.fb.swapFailed', { database: c.database, message: e instanceof CommandError ? serverMessage(e) : (e as Error).message });
  if (!liveExists) {
    try {
      await rename(names.temp, file);
    } catch (e) {
      throw failed(e);
    }
    return;
  }
  try {
    await gfix(ctx, c, password, file, ['-shut', 'full', '-force', '0']);
  } catch (e) {
    throw failed(e);
  }
  try {
    await rename(file, names.kept);
  } catch (e) {
    await gfix(ctx, c, password, file, ['-online', 'normal']).catch(() => {});
    throw failed(e);
  }
  try {
    await rename(names.temp, file);
  } catch (e) {
    await rename(names.kept, file).catch(() => {});
    await gfix(ctx, c, password, file, ['-online', 'normal']).catch(() => {});
    throw failed(e);
  }
  // The kept database stays shut down otherwise: online, the admin can open it to compare.
  try {
    await gfix(ctx, c, password, names.kept, ['-online', 'normal']);
  } catch (e) {
    ctx.reporter.warn('restore.fb.keptOffline', { database: c.database, name: names.kept, message: serverMessage(e) });
  }
}

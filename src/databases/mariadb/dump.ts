// A MariaDB/MySQL component: `mariadb-dump --single-transaction` of the live database (InnoDB
// gives a consistent snapshot without locking the practice out), gzip'd on the way into
// <name>.sql.gz with its sha256. Credentials go into a 0600 option file in a private temp folder
// that is removed right after; never argv.
//
// Row counts: the rows of the dump itself, counted from its SQL as it streams through us on the way
// to gzip (sql-dump-rows.ts): exactly what `gunzip -c | mariadb` loads, so a restore's row check
// proves the load, whatever wrote to the live database meanwhile ("dump" in the manifest).
// As an independent check, a session of our own opens START TRANSACTION WITH CONSISTENT SNAPSHOT
// right before mariadb-dump starts (MariaDB cannot hand mariadb-dump a snapshot of ours, as
// PostgreSQL can), lists the tables whose rows the dump must hold and counts them while the dump
// runs. Those counts are of a moment a few milliseconds before mariadb-dump's own snapshot: a write
// in that gap makes them differ, which is a warning naming each table with both numbers, not a
// failure. Only when the dump cannot be counted with certainty (an output shape the counter does
// not know) are the snapshot's counts recorded instead ("consistent-snapshot", as before: a write
// in the gap then makes a restore refuse the backup rather than pass something unproven). MyISAM,
// Aria and MEMORY tables have no snapshot (neither ours nor mariadb-dump's); the dump's count of
// them is still exact, only the check may differ.
//
// README: "MariaDB/MySQL: the row counts are those of the dump itself, counted as it is written;
// a count in a consistent snapshot of our own, opened milliseconds before mariadb-dump's, checks
// them, and a difference (something wrote in that moment) is a warning naming the tables."
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MariadbComponent } from '../../config/schema';
import { run, CommandError, type CommandPlan } from '../../process/runner';
import { connectFailed, dumpFailed } from '../common/db-errors';
import type { LoginSignals } from '../contract';
import type { ManifestComponent } from '../../backup-directory/manifest';
import { SqlDumpRowCounter } from './sql-dump-rows';
import { SqlSession } from '../common/sql-session';
import type { StepContext } from '../../run/step-context';
import { dumpProgress } from '../common/dump-progress';
import { asWholeDumpFile } from '../common/dump-file';
import { streamToFile, type WrittenFile } from '../../backup-directory/stream-to-file';
import { MARIADB, MARIADB_DUMP } from './tools';

export interface MariaServerInfo {
  version: string;
  databaseBytes: number;
}

/** Option-file value: quoted, with backslash and quote escaped (MariaDB option-file syntax). */
function optValue(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function optionFileText(c: MariadbComponent, password: string | null): string {
  const lines = ['[client]', `user=${optValue(c.user)}`, `host=${optValue(c.host)}`, `port=${c.port}`];
  if (password !== null) lines.push(`password=${optValue(password)}`);
  return lines.join('\n') + '\n';
}

/** Runs fn with a private 0600 option file; the file and its folder are gone afterwards, also on error. */
export async function withOptionFile<T>(c: MariadbComponent, password: string | null, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'praxis-backup-'));
  const file = join(dir, 'client.cnf');
  try {
    await writeFile(file, optionFileText(c, password), { mode: 0o600, flag: 'wx' });
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function planMariaProbe(client: string, optFile: string, c: MariadbComponent, secrets: string[]): CommandPlan {
  return {
    label: `mariadb (${c.database})`,
    file: client,
    // --defaults-extra-file must come first, or the client ignores it.
    args: [
      `--defaults-extra-file=${optFile}`, '--batch', '--skip-column-names', '--connect-timeout=15',
      '-e', `SELECT VERSION(), (SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE())`,
      c.database,
    ],
    secrets,
    timeoutMs: 60_000,
  };
}

/** `skip`: views left out (broken ones, see BROKEN_VIEWS_SQL). */
export function planMariaDump(dumper: string, optFile: string, c: MariadbComponent, secrets: string[], skip: string[] = []): CommandPlan {
  return {
    label: `${dumper.split('/').pop()} (${c.database})`,
    file: dumper,
    args: [
      `--defaults-extra-file=${optFile}`,
      '--single-transaction', '--routines', '--triggers', '--events',
      '--hex-blob', '--default-character-set=utf8mb4',
      ...skip.map((v) => `--ignore-table=${c.database}.${v}`),
      // --databases writes CREATE DATABASE/USE, so `gunzip -c x.sql.gz | mariadb` restores as is.
      '--databases', c.database,
    ],
    secrets,
  };
}

/** The client session that counts rows (statements via stdin; batch mode stops at the first error). */
export function planMariaRowCounter(client: string, optFile: string, c: MariadbComponent, secrets: string[]): CommandPlan {
  return {
    label: `${client.split('/').pop()} (${c.database}, row counts)`,
    file: client,
    // --unbuffered: flush after every statement; into a pipe the client would otherwise hold the
    // answers until it exits, and we wait for them before starting the dump.
    args: [`--defaults-extra-file=${optFile}`, '--batch', '--unbuffered', '--skip-column-names', '--connect-timeout=15', c.database],
    secrets,
  };
}

/**
 * The tables whose rows mariadb-dump writes (hex, so any name survives batch output), then the
 * snapshot. Base tables and system-versioned ones (their current rows, as the dump has them);
 * MERGE and FEDERATED tables hold no rows of their own and are dumped without data.
 */
export const SNAPSHOT_SQL = `SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;
SELECT HEX(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
  AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND UPPER(COALESCE(ENGINE, '')) NOT IN ('MRG_MYISAM', 'FEDERATED')
  ORDER BY TABLE_NAME;
START TRANSACTION WITH CONSISTENT SNAPSHOT;`;

/**
 * Views that refer to something that no longer exists (a dropped function, table or column, a
 * definer without rights: after an update of the practice software this happens). mariadb-dump
 * stops at such a view ("Couldn't execute 'SHOW FIELDS FROM …' (1356)"), and with it the backup
 * of every table; a dump that held its CREATE VIEW could not be loaded either. The server lists
 * no columns for exactly these views, so they are found before the dump and left out of it (the
 * tables and every other object are saved), said as a warning and recorded in the manifest
 * (missingObjects), so a restore and its test know they are missing. Hex: any name survives.
 */
export const BROKEN_VIEWS_SQL = `SELECT HEX(v.TABLE_NAME) FROM information_schema.VIEWS v WHERE v.TABLE_SCHEMA = DATABASE()
  AND NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = v.TABLE_SCHEMA AND c.TABLE_NAME = v.TABLE_NAME)
  ORDER BY v.TABLE_NAME;`;
const BROKEN_VIEW_REASON = 'refers to a table, column or function that does not exist, or its definer lacks rights (1356)';

const quoteIdent = (name: string): string => '`' + name.replace(/`/g, '``') + '`';

export function countSql(tables: string[]): string {
  return tables.map((t) => `SELECT COUNT(*) FROM ${quoteIdent(t)};`).join('\n');
}

/** The server's own words from a failed client call (its last stderr lines, warnings left out). */
/** The dump's file name in a backup folder (the kind's dumpFileName): gzip'd SQL, `gunzip -c | mariadb` restores it. */
export const mariaDumpFileName = (componentName: string): string => `${componentName}.sql.gz`;

export function serverMessage(e: unknown): string {
  if (e instanceof CommandError) {
    return e.stderrTail.filter((l) => l.trim() && !/^Warning:/.test(l)).slice(-3).join(' ') || e.message;
  }
  return (e as Error).message;
}

/** `onSignals` hears what the client said about logging in (db-login.ts), on success and failure. */
export async function probeMariadb(
  ctx: StepContext,
  c: MariadbComponent,
  password: string | null,
  onSignals?: (s: LoginSignals) => void,
): Promise<MariaServerInfo> {
  const client = await ctx.tools.find(MARIADB);
  try {
    return await withOptionFile(c, password, async (opt) => {
      const r = await run(planMariaProbe(client.path, opt, c, password ? [password] : []), { signal: ctx.signal });
      onSignals?.(mariaLoginSignals(r.stderrTail));
      const [version, size] = (r.stdoutTail[0] ?? '').split('\t');
      return { version: version ?? '', databaseBytes: Number(size) || 0 };
    });
  } catch (e) {
    if (e instanceof CommandError) onSignals?.(mariaLoginSignals(e.stderrTail));
    connectFailed(e, c, serverMessage(e));
  }
}

/**
 * The client's words, measured with mariadb 10.11: no password at hand → "ERROR 1045 (28000):
 * Access denied for user 'root'@'127.0.0.1' (using password: NO)" (with one that is wrong: "YES",
 * which is no request for one); an option file it skips → "Warning: World-writable config file
 * '/home/x/.my.cnf' is ignored" (0644 is still read).
 */
export function mariaLoginSignals(stderr: string[]): LoginSignals {
  const text = stderr.join('\n');
  const ignoredFiles = [...text.matchAll(/World-writable config file '(.+?)' is ignored/g)].map((m) => m[1]!);
  return { wantsPassword: /ERROR 1045 .*\(using password: NO\)/.test(text), ignoredFiles };
}

export async function dumpMariadb(
  ctx: StepContext,
  c: MariadbComponent,
  server: MariaServerInfo,
  password: string | null,
  destDir: string,
): Promise<ManifestComponent> {
  return asWholeDumpFile(destDir, mariaDumpFileName(c.name), (target) => dumpMariadbTo(ctx, c, server, password, target));
}

async function dumpMariadbTo(ctx: StepContext, c: MariadbComponent, server: MariaServerInfo, password: string | null, target: string): Promise<ManifestComponent> {
  const dumper = await ctx.tools.find(MARIADB_DUMP);
  ctx.reporter.info('run.tool', { tool: dumper.name, path: dumper.path, version: dumper.version });
  const client = await ctx.tools.find(MARIADB);
  const file = mariaDumpFileName(c.name);
  const out: { written?: WrittenFile } = {};
  const secrets = password ? [password] : [];
  const warnings: string[] = [];
  const inDump = new SqlDumpRowCounter();
  let listed: string[] | undefined;
  let counted: Record<string, number> | undefined;
  let countFailure = '';
  let broken: string[] = [];
  try {
    await withOptionFile(c, password, async (opt) => {
      const counter = new SqlSession(planMariaRowCounter(client.path, opt, c, secrets), ctx.signal);
      let tables: string[];
      try {
        broken = (await counter.query(BROKEN_VIEWS_SQL)).map((h) => Buffer.from(h, 'hex').toString('utf8'));
        listed = tables = (await counter.query(SNAPSHOT_SQL)).map((h) => Buffer.from(h, 'hex').toString('utf8'));
      } catch (e) {
        await counter.kill();
        throw e;
      }
      // Started right after our snapshot (the gap is mariadb-dump's start and login), counted while
      // it runs. COMMIT right after the counts: mariadb-dump has its own snapshot, and an open
      // transaction of ours would only hold the tables' metadata locks longer.
      const counting = counter.query(`${countSql(tables)}\nCOMMIT;`);
      counting.catch(() => {}); // awaited below, unless the dump failed first
      try {
        await run(planMariaDump(dumper.path, opt, c, secrets, broken), {
          signal: ctx.signal,
          consumeStdout: async (stdout) => {
            out.written = await streamToFile(stdout, target, { gzip: true, observe: (b) => inDump.push(b), onBytes: dumpProgress(ctx.reporter, c.name) });
          },
        });
      } catch (e) {
        await counter.kill();
        throw e;
      }
      try {
        const counts = await counting;
        if (counts.length !== tables.length) throw new Error(`${counts.length} counts for ${tables.length} tables`);
        counted = Object.fromEntries(tables.map((t, i) => [t, Number(counts[i])]));
        await counter.close('');
      } catch (e) {
        await counter.kill();
        if (e instanceof CommandError && e.reason === 'cancelled') throw e;
        countFailure = serverMessage(e); // the dump is good; what that means for its proof: rowProof
      }
    });
  } catch (e) {
    dumpFailed(e, c, serverMessage(e));
  }
  const w = out.written!;
  const proof = listed && rowProof(ctx, c, listed, inDump, counted ?? countFailure, warnings);
  if (broken.length) {
    ctx.reporter.warn('warn.mariaObjectsBroken', { name: c.name, database: c.database, objects: broken.join(', ') });
    warnings.push(`views not in the dump, they ${BROKEN_VIEW_REASON}: ${broken.join(', ')}`);
  }
  return {
    name: c.name,
    type: c.type,
    path: file,
    bytes: w.bytes,
    sha256: w.sha256,
    database: c.database,
    serverVersion: server.version,
    dumpTool: { path: dumper.path, version: dumper.version },
    ...proof,
    ...(broken.length ? { missingObjects: broken.map((name) => ({ kind: 'VIEW', name, reason: BROKEN_VIEW_REASON })) } : {}),
    warnings,
  };
}

/**
 * The manifest's rows: the dump's own, for every table our session listed (a listed table the dump
 * creates without an INSERT has 0 rows; one it does not create at all was dropped in between and
 * is left out). Our snapshot's counts (or why they are missing) stay as an independent check: a
 * difference is a warning naming each table with both numbers (something wrote between the two
 * snapshots), never a lost backup. When the dump could not be counted, the snapshot's counts as
 * before; without either, the backup is kept with a warning that its rows are unproven.
 */
export function rowProof(
  ctx: StepContext,
  c: MariadbComponent,
  listed: string[],
  inDump: SqlDumpRowCounter,
  counted: Record<string, number> | string,
  warnings: string[],
): Pick<ManifestComponent, 'rows' | 'rowsExact'> {
  const dump = inDump.finish();
  if (!dump.sure) {
    ctx.reporter.info('run.rowsDumpUnsure', { name: c.name, message: dump.reason });
    if (typeof counted !== 'string') return { rows: counted, rowsExact: 'consistent-snapshot' };
    ctx.reporter.warn('warn.rowsNotCounted', { name: c.name, database: c.database, message: counted });
    warnings.push(`row counts not taken: ${counted}`);
    return {};
  }
  const created = new Set(dump.tables);
  const rows = Object.fromEntries(listed.filter((t) => created.has(t)).map((t) => [t, dump.rows[t] ?? 0]));
  if (typeof counted === 'string') {
    ctx.reporter.info('run.rowsCheckFailed', { name: c.name, message: counted });
  } else {
    const differ = listed.filter((t) => rows[t] !== counted[t]).map((t) => `${t} ${rows[t] ?? '–'}/${counted[t]}`);
    if (differ.length) {
      const tables = differ.join(', ');
      ctx.reporter.warn('warn.rowsDumpDiffer', { name: c.name, database: c.database, tables });
      warnings.push(`rows written between the count and the dump (dump/count): ${tables}`);
    }
  }
  return { rows, rowsExact: 'dump' };
}

// A PostgreSQL component: `pg_dump -Fc` of the live database, streamed into <name>.pgdump with its
// sha256. The password reaches pg_dump and psql as PGPASSWORD in their environment only.
//
// The row counts in the manifest are taken in the very snapshot pg_dump reads: a psql session
// opens a REPEATABLE READ transaction and exports its snapshot, pg_dump starts with
// --snapshot=<id>, and the same session counts every table pg_dump dumps while the dump runs. The
// transaction is committed only after pg_dump has finished (pg_dump imports the snapshot when it
// starts, and an exported snapshot lives only as long as its transaction). So the counts are
// exactly the rows the dump contains, whatever the practice writes meanwhile.
import type { PostgresComponent } from '../../config/schema';
import { run, CommandError, type CommandPlan } from '../../process/runner';
import { connectFailed, dumpFailed } from '../common/db-errors';
import type { LoginSignals } from '../contract';
import type { ManifestComponent } from '../../backup-directory/manifest';
import { dbSettingsSql, parseDbSettings, type DbSettings } from './db-settings';
import { SqlSession } from '../common/sql-session';
import type { StepContext } from '../../run/step-context';
import { dumpProgress } from '../common/dump-progress';
import { asWholeDumpFile } from '../common/dump-file';
import { streamToFile, type WrittenFile } from '../../backup-directory/stream-to-file';
import { PG_DUMP, PSQL } from './tools';

export interface PgServerInfo {
  versionNum: number; // 150018
  version: string; // "15.18 (Debian 15.18-0+deb12u1)"
  major: number;
  databaseBytes: number;
}

export function connArgs(c: PostgresComponent): string[] {
  // -w: never prompt. A nightly run has nobody to type a password.
  return ['-h', c.host, '-p', String(c.port), '-U', c.user, '-w'];
}

export function pgEnv(password: string | null): Record<string, string> {
  const env: Record<string, string> = { PGAPPNAME: 'praxis-backup', PGCONNECT_TIMEOUT: '15' };
  if (password !== null) env.PGPASSWORD = password;
  return env;
}

export function planPgProbe(psql: string, c: PostgresComponent, password: string | null): CommandPlan {
  return {
    label: `psql (${c.database})`,
    file: psql,
    args: [
      '-X', '-A', '-t', '-F', '|', ...connArgs(c), '-d', c.database,
      '-c', "SELECT current_setting('server_version_num'), current_setting('server_version'), pg_database_size(current_database())",
    ],
    env: pgEnv(password),
    secrets: password ? [password] : [],
    timeoutMs: 60_000,
  };
}

export function planPgDump(pgDump: string, c: PostgresComponent, password: string | null, snapshot?: string): CommandPlan {
  return {
    label: `pg_dump (${c.database})`,
    file: pgDump,
    args: ['-Fc', ...(snapshot ? [`--snapshot=${snapshot}`] : []), ...connArgs(c), '-d', c.database],
    env: pgEnv(password),
    secrets: password ? [password] : [],
  };
}

/** The psql session that exports the dump's snapshot and counts the rows in it (statements via stdin). */
export function planPgRowCounter(psql: string, c: PostgresComponent, password: string | null): CommandPlan {
  return {
    label: `psql (${c.database}, row counts)`,
    file: psql,
    args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-align', '--tuples-only', ...connArgs(c), '-d', c.database],
    env: pgEnv(password),
    secrets: password ? [password] : [],
  };
}

/**
 * Opens the transaction whose snapshot pg_dump will read, and exports it. The session settings are
 * the ones pg_dump sets for itself: a role's statement_timeout must not cut a count short, its
 * idle_in_transaction_session_timeout must not end the transaction while pg_dump still runs, and
 * row security off makes a table with policies an error (as in pg_dump) instead of a quietly
 * smaller count.
 */
export function snapshotSql(versionNum: number): string {
  return [
    'SET statement_timeout = 0;',
    ...(versionNum >= 90600 ? ['SET idle_in_transaction_session_timeout = 0;'] : []),
    ...(versionNum >= 90500 ? ['SET row_security = off;'] : []),
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;',
    'SELECT pg_export_snapshot();',
  ].join('\n');
}

/**
 * One count per table whose rows pg_dump writes as TABLE DATA: ordinary tables (partitions
 * included; a partitioned parent has no rows of its own) outside pg_catalog, information_schema and
 * the other pg_* schemas, not temporary, not members of an extension (pg_dump leaves those to
 * CREATE EXTENSION). ONLY: pg_dump copies an inheritance parent without its children, and so must
 * the count. \gexec runs each generated statement; each prints ["schema.table", n] as JSON, so any
 * table name survives the line-based output.
 */
export const COUNT_ROWS_SQL = `SELECT format('SELECT json_build_array(%L, count(*)) FROM ONLY %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname \\gexec`;

export function parseRowCounts(lines: string[]): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const line of lines) {
    const [key, n] = JSON.parse(line) as [string, number];
    rows[key] = n;
  }
  return rows;
}

/** The dump's file name in a backup folder (the kind's dumpFileName): custom format, for pg_restore. */
export const pgDumpFileName = (componentName: string): string => `${componentName}.pgdump`;

export function parseProbe(line: string): PgServerInfo {
  const [num, version, size] = line.trim().split('|');
  const versionNum = Number(num);
  return {
    versionNum,
    version: version ?? '',
    major: versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 100),
    databaseBytes: Number(size) || 0,
  };
}

export function serverMessage(e: unknown): string {
  if (e instanceof CommandError) {
    const lines = e.stderrTail.filter((l) => l.trim()).map((l) => l.replace(/^(pg_dump|pg_restore|psql): (error: )?/, ''));
    return lines.slice(-3).join(' ') || e.message;
  }
  return (e as Error).message;
}

/**
 * Connects once before anything is written: version (to pick pg_dump) and size (for the space
 * check). `onSignals` hears what psql said about logging in (db-login.ts), on success and failure.
 */
export async function probePostgres(
  ctx: StepContext,
  c: PostgresComponent,
  password: string | null,
  onSignals?: (s: LoginSignals) => void,
): Promise<PgServerInfo> {
  const psql = await ctx.tools.findForServer(PSQL);
  try {
    const r = await run(planPgProbe(psql.path, c, password), { signal: ctx.signal });
    onSignals?.(pgLoginSignals(r.stderrTail));
    return parseProbe(r.stdoutTail.join('\n'));
  } catch (e) {
    if (e instanceof CommandError) onSignals?.(pgLoginSignals(e.stderrTail));
    connectFailed(e, c, serverMessage(e));
  }
}

/**
 * libpq's words, measured with psql 15: no password at hand → "fe_sendauth: no password supplied";
 * a wrong one → "password authentication failed for user …"; a password file it skips for its mode →
 * `WARNING: password file "/home/x/.pgpass" has group or world access; permissions should be u=rw
 * (0600) or less` (also for $PGPASSFILE).
 */
export function pgLoginSignals(stderr: string[]): LoginSignals {
  const text = stderr.join('\n');
  const ignoredFiles = [...text.matchAll(/password file "(.+?)" has group or world access/g)].map((m) => m[1]!);
  return { wantsPassword: /fe_sendauth: no password supplied|password authentication failed/.test(text), ignoredFiles };
}

export async function dumpPostgres(
  ctx: StepContext,
  c: PostgresComponent,
  server: PgServerInfo,
  password: string | null,
  destDir: string,
): Promise<ManifestComponent> {
  return asWholeDumpFile(destDir, pgDumpFileName(c.name), (target) => dumpPostgresTo(ctx, c, server, password, target));
}

async function dumpPostgresTo(ctx: StepContext, c: PostgresComponent, server: PgServerInfo, password: string | null, target: string): Promise<ManifestComponent> {
  const pgDump = await ctx.tools.findForServer(PG_DUMP, server.major);
  ctx.reporter.info('run.tool', { tool: 'pg_dump', path: pgDump.path, version: pgDump.version });
  const file = pgDumpFileName(c.name);
  const psql = await ctx.tools.findForServer(PSQL);
  const counter = new SqlSession(planPgRowCounter(psql.path, c, password), ctx.signal);
  let snapshot: string | undefined;
  try {
    [snapshot] = await counter.query(snapshotSql(server.versionNum));
    if (!snapshot) throw new Error('pg_export_snapshot() returned nothing');
  } catch (e) {
    await counter.kill();
    dumpFailed(e, c, serverMessage(e));
  }
  // Counted while pg_dump runs: both read the same snapshot, and the count of a big table (a scan,
  // mostly from the cache pg_dump warms) overlaps the dump instead of adding to it.
  const counting = counter.query(COUNT_ROWS_SQL).then(parseRowCounts);
  counting.catch(() => {}); // awaited below, unless the dump failed first
  const out: { written?: WrittenFile } = {};
  try {
    await run(planPgDump(pgDump.path, c, password, snapshot), {
      signal: ctx.signal,
      consumeStdout: async (stdout) => {
        out.written = await streamToFile(stdout, target, { onBytes: dumpProgress(ctx.reporter, c.name) });
      },
    });
  } catch (e) {
    await counter.kill();
    dumpFailed(e, c, serverMessage(e));
  }
  const w = out.written!;
  const warnings: string[] = [];
  let rows: Record<string, number> | undefined;
  let databaseSettings: DbSettings | undefined;
  try {
    const counted = await counting;
    // Read in the same snapshot, so it is exactly what the dump holds: what a restore checks against.
    const settings = parseDbSettings(await counter.query(`${dbSettingsSql(null)};`));
    rows = counted;
    if (settings) databaseSettings = settings;
    await counter.close('COMMIT;'); // only now: pg_dump has long imported the snapshot
  } catch (e) {
    await counter.kill();
    if (e instanceof CommandError && e.reason === 'cancelled') throw e;
    // The dump is good (pg_dump succeeded); only its proof is missing. Worth a warning, not a lost backup.
    ctx.reporter.warn('warn.rowsNotCounted', { name: c.name, database: c.database, message: serverMessage(e) });
    warnings.push(`row counts not taken: ${serverMessage(e)}`);
  }
  return {
    name: c.name,
    type: 'postgres',
    path: file,
    bytes: w.bytes,
    sha256: w.sha256,
    database: c.database,
    serverVersion: server.version,
    dumpTool: { path: pgDump.path, version: pgDump.version },
    ...(rows ? { rows, rowsExact: 'snapshot' as const } : {}),
    ...(databaseSettings ? { databaseSettings } : {}),
    warnings,
  };
}

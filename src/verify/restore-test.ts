// The restore test of `verify --restore-test`: each dump is loaded into a scratch database on the
// component's own server — PostgreSQL: database `praxis_verify_<id>`, MariaDB/MySQL: schema
// `praxis_verify_<id>` — with the restore's own building blocks (restore-postgres.ts,
// restore-mariadb.ts), every table's rows are counted and compared with the manifest, and the
// scratch database is dropped in a finally: after a pass, a failure and a cancel alike. A verify
// killed with -9 cannot drop it; the next verify removes every `praxis_verify_<YYYYMMDD_HHMMSS>`
// it finds on that server (only names of exactly that form) and says so in the log. The backup
// directory's lock keeps two verifies of one practice from doing that to each other.
//
// The live database is never touched: nothing here connects to it, renames or drops it.
import { availableParallelism } from 'node:os';
import type { MariadbComponent, PostgresComponent } from '../config/schema';
import type { Message } from '../i18n';
import { CommandError, run } from '../process/runner';
import { PraxisError } from '../core/errors';
import type { ManifestComponent } from '../backup-directory/manifest';
import { diffDbSettings, type DbLevelSql, type DbSettings } from '../databases/postgres/db-settings';
import * as my from '../databases/mariadb/restore';
import * as pg from '../databases/postgres/restore';
import type { StepContext } from '../run/step-context';

export const SCRATCH_PREFIX = 'praxis_verify_';
const SCRATCH = /^praxis_verify_\d{8}_\d{6}$/;
/** PostgreSQL keeps 63 bytes of a name (and would silently cut a longer one), MariaDB 64 characters. */
const MAX_NAME = 63;

/** `praxis_verify_<id>`: 29 characters for a YYYYMMDD_HHMMSS id, far inside both servers' limits. */
export function scratchName(backupId: string): string {
  const name = `${SCRATCH_PREFIX}${backupId}`;
  if (!SCRATCH.test(name) || Buffer.byteLength(name) > MAX_NAME) throw new Error(`not a backup id: ${backupId}`);
  return name;
}

export const isScratchLeftover = (name: string): boolean => SCRATCH.test(name);

export interface RestoreTestResult {
  problems: Message[];
  warnings: Message[];
  tables: number;
  /** Tables whose row count was compared with the manifest. */
  counted: number;
}

export interface RestoreTestRequest {
  entry: ManifestComponent;
  dumpFile: string;
  password: string | null;
  backupId: string;
}

/** Row counts against the manifest: which tables differ, and which the manifest names but the dump lacks. */
export function compareRows(expected: Record<string, number> | undefined, actual: Map<string, number>, component: string): { problems: Message[]; warnings: Message[] } {
  if (!expected) return { problems: [], warnings: [{ key: 'verify.rowsNotRecorded', params: { component } }] };
  const differ: string[] = [];
  for (const [table, n] of actual) {
    const want = expected[table];
    if (want !== undefined && want !== n) differ.push(`${table} ${n} ≠ ${want}`);
  }
  const absent = Object.keys(expected).filter((k) => !actual.has(k)).sort();
  const problems: Message[] = [];
  if (differ.length) problems.push({ key: 'verify.rowsDiffer', params: { component, tables: differ.sort().join('; ') } });
  if (absent.length) problems.push({ key: 'verify.tablesAbsent', params: { component, tables: absent.join(', ') } });
  return { problems, warnings: [] };
}

/** The result with the row comparison's findings, and how many tables had a recorded count to compare with. */
function withRows(result: RestoreTestResult, expected: Record<string, number> | undefined, counts: Map<string, number>, component: string): RestoreTestResult {
  const cmp = compareRows(expected, counts, component);
  result.problems.push(...cmp.problems);
  result.warnings.push(...cmp.warnings);
  result.counted = expected ? [...counts.keys()].filter((k) => expected[k] !== undefined).length : 0;
  return result;
}

/** The drop in every way out (pass, failure, cancel); when even that fails, the next verify removes it and says so. */
async function dropScratch(ctx: StepContext, name: string, drop: () => Promise<unknown>): Promise<void> {
  try {
    await drop();
    ctx.reporter.info('verify.scratchDropped', { name });
  } catch (e) {
    const message = e instanceof CommandError ? e.stderrTail.slice(-2).join(' ') || e.message : (e as Error)?.message ?? String(e);
    ctx.reporter.warn('verify.scratchLeft', { name, message });
  }
}

// ---------------------------------------------------------------- PostgreSQL

export async function restoreTestPostgres(ctx: StepContext, c: PostgresComponent, req: RestoreTestRequest): Promise<RestoreTestResult> {
  const scratch = scratchName(req.backupId);
  const psql = await ctx.tools.findPg('psql');
  const t: pg.Target = { ctx, c, password: req.password, psql: psql.path };
  const state = await pg.serverState(t);
  for (const leftover of state.databases.filter(isScratchLeftover)) {
    await pg.sql(t, pg.dropSql(leftover, true, state.versionNum), { signal: ctx.signal });
    ctx.reporter.info('verify.leftoverRemoved', { name: leftover, server: `${c.host}:${c.port}` });
  }
  const pgRestore = await ctx.tools.findPg('pg_restore', state.major);
  const result: RestoreTestResult = { problems: [], warnings: [], tables: 0, counted: 0 };
  // `pg_restore --list`: the archive is readable by this pg_restore, and its table of contents.
  let toc: pg.PgToc;
  try {
    toc = await pg.readToc(t, pgRestore, req.dumpFile);
  } catch (e) {
    if (!(e instanceof PraxisError)) throw e;
    result.problems.push(e.message_);
    return result;
  }
  let dbLevel: DbLevelSql;
  try {
    dbLevel = await pg.readDbLevelSql(t, pgRestore, req.dumpFile, toc);
  } catch (e) {
    if (!(e instanceof PraxisError)) throw e;
    result.problems.push(e.message_);
    return result;
  }
  const roles = pg.missingRoles(toc, state.roles, dbLevel);
  if (roles.length) {
    // The restore would refuse this dump on this server before loading anything: so does its test.
    result.problems.push({ key: 'restore.pg.rolesMissing', params: { database: c.database, roles: roles.join(', ') } });
    return result;
  }

  ctx.reporter.info('verify.pg.loading', { component: c.name, name: scratch });
  try {
    // Inside the try, whose finally drops it (IF EXISTS: also when the CREATE itself failed). No
    // signal: killing psql mid-CREATE would let the server commit the database after our drop; a
    // cancel waits for this short statement and stops the pg_restore below, before it starts.
    await pg.sql(t, pg.createSql(scratch, state.live, toc.database?.owner));
    let done = 0;
    try {
      const jobs = pg.restoreJobs(req.entry.bytes, availableParallelism());
      await run(pg.planPgRestore(pgRestore.path, c, scratch, req.dumpFile, jobs, req.password), {
        signal: ctx.signal,
        onStderrLine: (line) => {
          if (/^pg_restore: (processing item|finished item) /.test(line) && toc.entries > 0) {
            ctx.reporter.progress(c.name, Math.min(99, Math.floor((++done * 100) / toc.entries)), 'verify');
          }
        },
      });
    } catch (e) {
      if (e instanceof CommandError && e.reason === 'cancelled') throw e;
      const { message, toolOutput } = pg.loadFailedMessage(e);
      result.problems.push({ key: 'verify.loadFailed', params: { component: c.name, message: [message, ...toolOutput.slice(-3)].join(' | ') } });
      return result;
    }
    const check = await pg.checkRestoredTables(ctx, c, req.password, scratch, toc);
    if (check.missing.length) result.problems.push({ key: 'verify.tablesMissing', params: { component: c.name, tables: check.missing.join(', ') } });
    result.tables = check.tables;
    const present = toc.tables.map(pg.tableKey).filter((k) => !check.missing.includes(k));
    const counts = await pgCounts(t, scratch, present, ctx.signal);
    // After the counts: the backup's database-level settings (a statement_timeout, say) must not reach them.
    result.problems.push(...(await testDbLevel(t, c, scratch, dbLevel, req.entry.databaseSettings)));
    return withRows(result, req.entry.rows, counts, c.name);
  } finally {
    // No signal: after a cancel the drop must still run. FORCE ends a pg_restore job still inside.
    await dropScratch(ctx, scratch, () => pg.sql(t, pg.dropSql(scratch, true, state.versionNum)));
  }
}

/** The dump's database-level statements on the scratch database, as the restore runs them, and the result against the manifest. */
async function testDbLevel(t: pg.Target, c: PostgresComponent, scratch: string, dbLevel: DbLevelSql, recorded: DbSettings | undefined): Promise<Message[]> {
  try {
    await pg.applyDbLevel(t, c.database, scratch, dbLevel);
  } catch (e) {
    if (!(e instanceof PraxisError)) throw e;
    return [{ key: 'verify.pg.settingsFailed', params: { component: c.name, message: String(e.message_.params?.message ?? '') } }];
  }
  if (!recorded) return [];
  const found = await pg.readDbSettings(t, scratch, t.ctx.signal);
  const differences = found ? diffDbSettings(found, recorded) : [];
  return differences.length ? [{ key: 'verify.pg.settingsDiffer', params: { component: c.name, differences: differences.join('; ') } }] : [];
}

/** count(*) of every table, one statement; keys "schema.table" like the manifest's. */
async function pgCounts(t: pg.Target, database: string, tables: string[], signal: AbortSignal): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!tables.length) return out;
  const parts = tables.map((k) => {
    const i = k.indexOf('.');
    return `SELECT ${pg.quoteLiteral(k)} || '|' || count(*) FROM ${pg.quoteIdent(k.slice(0, i))}.${pg.quoteIdent(k.slice(i + 1))}`;
  });
  for (const line of await pg.sql(t, parts.join(' UNION ALL '), { database, signal })) {
    const bar = line.lastIndexOf('|');
    if (bar > 0) out.set(line.slice(0, bar), Number(line.slice(bar + 1)));
  }
  return out;
}

// ---------------------------------------------------------------- MariaDB / MySQL

export async function restoreTestMariadb(ctx: StepContext, c: MariadbComponent, req: RestoreTestRequest): Promise<RestoreTestResult> {
  const scratch = scratchName(req.backupId);
  return my.withSession(ctx, c, req.password, async (s) => {
    const live = await my.login(s);
    const rows = await my.query(s, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'praxis\\_verify\\_%';`, null, ctx.signal);
    for (const [name] of rows) {
      if (!isScratchLeftover(name!)) continue;
      await my.exec(s, `DROP DATABASE ${my.quoteIdent(name!)};`);
      ctx.reporter.info('verify.leftoverRemoved', { name: name!, server: `${c.host}:${c.port}` });
    }
    const result: RestoreTestResult = { problems: [], warnings: [], tables: 0, counted: 0 };
    const charset = live.schema ? `CHARACTER SET ${live.schema.charset} COLLATE ${live.schema.collation}` : '';
    try {
      // Inside the try, whose finally drops it (IF EXISTS: also when the CREATE itself failed).
      await my.exec(s, `CREATE DATABASE ${my.quoteIdent(scratch)} ${charset};`);
      let inspector: my.DumpInspector;
      try {
        // The engine's dumps carry CREATE DATABASE/USE of the database they were taken from: that name is "ours".
        inspector = await my.load(s, req.dumpFile, scratch, [c.database, req.entry.database ?? c.database]);
        result.tables = await my.check(s, scratch, inspector);
      } catch (e) {
        if (e instanceof CommandError && e.reason === 'cancelled') throw e;
        if (!(e instanceof PraxisError)) throw e;
        result.problems.push({ key: 'verify.loadFailed', params: { component: c.name, message: { key: e.message_.key, params: e.message_.params } } });
        return result;
      }
      const tables = [...inspector.tables];
      const counts = new Map<string, number>();
      if (tables.length) {
        const script = tables.map((tb) => `SELECT ${my.lit(tb)}, COUNT(*) FROM ${my.quoteIdent(scratch)}.${my.quoteIdent(tb)};`).join('\n');
        for (const [name, n] of await my.query(s, script, null, ctx.signal)) counts.set(name!, Number(n));
      }
      // Views broken when the backup was taken are not in the dump (mariadb-dump.ts): known, said, not a failure of the test.
      const missing = req.entry.missingObjects ?? [];
      if (missing.length) result.warnings.push({ key: 'verify.maria.notInBackup', params: { component: c.name, objects: missing.map((o) => `${o.kind} ${o.name} (${o.reason})`).join('; ') } });
      return withRows(result, req.entry.rows, counts, c.name);
    } finally {
      await dropScratch(ctx, scratch, () => my.query(s, `DROP DATABASE IF EXISTS ${my.quoteIdent(scratch)};`));
    }
  });
}

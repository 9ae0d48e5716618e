// PostgreSQL's restore test (`verify --restore-test`): the dump loaded into database
// `praxis_verify_<id>` on the component's own server with the restore's own building blocks
// (restore.ts), every table's rows counted and compared with the manifest, the database-level
// settings checked, and the scratch database dropped in a finally (common/scratch.ts).
import { availableParallelism } from 'node:os';
import type { PostgresComponent } from '../../config/schema';
import type { Message } from '../../i18n';
import { CommandError, run } from '../../process/runner';
import { PraxisError } from '../../core/errors';
import type { StepContext } from '../../run/step-context';
import type { RestoreTestRequest, RestoreTestResult } from '../contract';
import { dropScratch, isScratchLeftover, scratchName, withRows } from '../common/scratch';
import { diffDbSettings, type DbLevelSql, type DbSettings } from './db-settings';
import * as pg from './restore';
import { PG_RESTORE, PSQL } from './tools';

export async function restoreTestPostgres(ctx: StepContext, c: PostgresComponent, req: RestoreTestRequest): Promise<RestoreTestResult> {
  const scratch = scratchName(req.backupId);
  const psql = await ctx.tools.findForServer(PSQL);
  const t: pg.Target = { ctx, c, password: req.password, psql: psql.path };
  const state = await pg.serverState(t);
  for (const leftover of state.databases.filter(isScratchLeftover)) {
    await pg.sql(t, pg.dropSql(leftover, true, state.versionNum), { signal: ctx.signal });
    ctx.reporter.info('verify.leftoverRemoved', { name: leftover, server: `${c.host}:${c.port}` });
  }
  const pgRestore = await ctx.tools.findForServer(PG_RESTORE, state.major);
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

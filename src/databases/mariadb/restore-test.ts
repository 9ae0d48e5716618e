// MariaDB/MySQL's restore test (`verify --restore-test`): the dump loaded into schema
// `praxis_verify_<id>` on the component's own server with the restore's own building blocks
// (restore.ts), every table's rows counted and compared with the manifest, and the scratch schema
// dropped in a finally (common/scratch.ts).
import type { MariadbComponent } from '../../config/schema';
import { CommandError } from '../../process/runner';
import { PraxisError } from '../../core/errors';
import type { StepContext } from '../../run/step-context';
import type { RestoreTestRequest, RestoreTestResult } from '../contract';
import { dropScratch, isScratchLeftover, scratchName, withRows } from '../common/scratch';
import * as my from './restore';

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

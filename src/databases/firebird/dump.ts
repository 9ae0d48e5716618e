// A Firebird component's backup: `gbak -b` of the live database while the practice keeps working
// (gbak reads everything in one snapshot transaction: consistent, writers are not blocked),
// streamed from gbak's stdout into <name>.fbk with its sha256, under a temporary name until gbak
// has finished (a gbak killed with -9 leaves a partial file; ours is removed on every way out).
//
// Row counts: `gbak -v` says, per table, how many records it wrote into the backup ("writing data
// for table X" … "N records written"; every 10 000 rows a line, the last is the total): exactly
// what a restore loads ("dump" in the manifest). -g: no garbage collection on the live database
// while we read it (the practice's own sweep does that).
import type { FirebirdComponent } from '../../config/schema';
import type { Platform } from '../../platform/paths';
import type { ManifestComponent } from '../../backup-directory/manifest';
import { run, CommandError, type CommandPlan } from '../../process/runner';
import type { StepContext } from '../../run/step-context';
import type { LoginSignals } from '../contract';
import { connectFailed, dumpFailed } from '../common/db-errors';
import { dumpProgress } from '../common/dump-progress';
import { asWholeDumpFile } from '../common/dump-file';
import { streamToFile, type WrittenFile } from '../../backup-directory/stream-to-file';
import { fbEnv, fbLoginSignals, fbUrl, findTool, isql, marked, quoteIdent, quoteLiteral, secretsOf, serverMessage } from './connection';

export interface FbServerInfo {
  /** rdb$get_context('SYSTEM', 'ENGINE_VERSION'): "3.0.11". */
  version: string;
  /** Pages × page size of the database file. */
  databaseBytes: number;
  /** The database file as the server sees it (an alias resolved): MON$DATABASE_NAME. */
  file: string;
}

export const PROBE_SQL = `select ${marked("rdb$get_context('SYSTEM', 'ENGINE_VERSION')", 'mon$page_size * mon$pages', 'trim(mon$database_name)')} from mon$database;`;

export async function probeFirebird(ctx: StepContext, c: FirebirdComponent, password: string | null, onSignals?: (s: LoginSignals) => void): Promise<FbServerInfo> {
  try {
    const rows = await isql(ctx, c, password, c.database, PROBE_SQL);
    onSignals?.({ wantsPassword: false, ignoredFiles: [] });
    const [version, bytes, file] = rows[0] ?? [];
    return { version: version ?? '', databaseBytes: Number(bytes) || 0, file: file ?? c.database };
  } catch (e) {
    if (e instanceof CommandError) onSignals?.(fbLoginSignals([...e.stderrTail, ...e.stdoutTail]));
    connectFailed(e, c, serverMessage(e));
  }
}

export function planGbakBackup(gbak: string, c: FirebirdComponent, password: string | null, platform: Platform): CommandPlan {
  return {
    label: `gbak -b (${c.database})`,
    file: gbak,
    // `stdout`: the backup as a stream on stdout; -v's lines then go to stderr.
    args: ['-b', '-g', '-v', fbUrl(c, c.database), 'stdout'],
    env: fbEnv(platform, c, password),
    secrets: secretsOf(password),
  };
}

/** Reads gbak -v's lines as they come: the rows per table it wrote. */
export class GbakRowCounter {
  readonly rows: Record<string, number> = {};
  private table: string | null = null;
  finished = false;

  line(l: string): void {
    const data = /^gbak:\s*writing data for table (.+?)\s*$/.exec(l);
    if (data) {
      this.table = data[1]!;
      this.rows[this.table] = 0;
      return;
    }
    const written = /^gbak:\s*(\d+) records written\s*$/.exec(l);
    if (written && this.table !== null) {
      this.rows[this.table] = Number(written[1]);
      return;
    }
    if (/^gbak:\s*closing file, committing, and finishing/.test(l)) this.finished = true;
    // Anything else ends a table's data (indexes, triggers, …).
    if (/^gbak:\s*writing /.test(l)) this.table = null;
  }
}

export async function dumpFirebird(ctx: StepContext, c: FirebirdComponent, server: FbServerInfo, password: string | null, destDir: string): Promise<ManifestComponent> {
  const gbak = await findTool(ctx, 'gbak');
  ctx.reporter.info('run.tool', { tool: gbak.name, path: gbak.path, version: gbak.version });
  const file = `${c.name}.fbk`;
  const counter = new GbakRowCounter();
  let written: WrittenFile | undefined;
  try {
    await asWholeDumpFile(destDir, file, (partial) =>
      run(planGbakBackup(gbak.path, c, password, ctx.platform), {
        signal: ctx.signal,
        onStderrLine: (l) => counter.line(l),
        consumeStdout: async (stdout) => {
          written = await streamToFile(stdout, partial, { onBytes: dumpProgress(ctx.reporter, c.name) });
        },
      }),
    );
  } catch (e) {
    dumpFailed(e, c, serverMessage(e));
  }
  const warnings: string[] = [];
  if (!counter.finished) {
    // gbak ended well without its last verbose line: the counts may be of another output shape.
    ctx.reporter.warn('warn.rowsNotCounted', { name: c.name, database: c.database, message: 'gbak -v did not report its end' });
    warnings.push('row counts not taken: gbak -v did not report its end');
  }
  return {
    name: c.name,
    type: c.type,
    path: file,
    bytes: written!.bytes,
    sha256: written!.sha256,
    database: c.database,
    serverVersion: server.version,
    dumpTool: { path: gbak.path, version: gbak.version },
    ...(counter.finished ? { rows: counter.rows, rowsExact: 'dump' as const } : {}),
    warnings,
  };
}

/** The user tables of a database (no views, no system tables, no temporary or external tables). */
export const TABLES_SQL = `select ${marked('trim(rdb$relation_name)')} from rdb$relations where coalesce(rdb$system_flag, 0) = 0 and rdb$view_blr is null and coalesce(rdb$relation_type, 0) = 0 order by 1;`;

/** count(*) of every user table of `database`, by name as gbak names them. */
export async function countRows(ctx: StepContext, c: FirebirdComponent, password: string | null, database: string): Promise<Map<string, number>> {
  const tables = (await isql(ctx, c, password, database, TABLES_SQL)).map((r) => r[0]!);
  const counts = new Map<string, number>();
  if (!tables.length) return counts;
  // One statement per table: a UNION of a few hundred tables is fine, but one bad name would hide all counts.
  const sql = tables.map((t) => `select ${marked(`cast(${quoteLiteral(t)} as varchar(255) character set utf8)`, 'count(*)')} from ${quoteIdent(t)};`).join('\n');
  for (const [name, n] of await isql(ctx, c, password, database, sql)) counts.set(name!, Number(n));
  return counts;
}

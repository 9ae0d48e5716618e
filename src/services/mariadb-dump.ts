// A MariaDB/MySQL component: `mariadb-dump --single-transaction` of the live database (InnoDB
// gives a consistent snapshot without locking the practice out), gzip'd on the way into
// <name>.sql.gz with its sha256. Credentials go into a 0600 option file in a private temp folder
// that is removed right after; never argv.
//
// Row counts: MariaDB cannot hand mariadb-dump a snapshot of ours (PostgreSQL can), so a session
// of our own opens START TRANSACTION WITH CONSISTENT SNAPSHOT right before mariadb-dump starts and
// counts every table in it while the dump runs. How exact that is ("consistent-snapshot" in the
// manifest): the counts are the rows of a moment a few milliseconds before mariadb-dump's own
// snapshot. They equal the dump's rows when nothing wrote to the database in between (at night,
// the normal case); a write in that gap makes a restore's row check refuse the backup rather
// than pass something unproven. MyISAM, Aria and MEMORY tables have no snapshot at all (neither
// ours nor mariadb-dump's): their counts and their dump are each of their own moment.
//
// README: "MariaDB/MySQL: the row counts are taken in a consistent snapshot of their own, opened
// milliseconds before mariadb-dump's; they match the dump exactly unless something wrote in that
// moment, and for non-transactional tables (MyISAM) only when nothing wrote during the backup."
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MariadbComponent } from '../config/schema';
import { run, CommandError, type CommandPlan } from '../process/runner';
import { connectFailed, dumpFailed } from './db-errors';
import type { ManifestComponent } from './manifest';
import { SqlSession } from './sql-session';
import type { StepContext } from './step-context';
import { streamToFile, type WrittenFile } from './stream-to-file';

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

export function planMariaDump(dumper: string, optFile: string, c: MariadbComponent, secrets: string[]): CommandPlan {
  return {
    label: `${dumper.split('/').pop()} (${c.database})`,
    file: dumper,
    args: [
      `--defaults-extra-file=${optFile}`,
      '--single-transaction', '--routines', '--triggers', '--events',
      '--hex-blob', '--default-character-set=utf8mb4',
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

const quoteIdent = (name: string): string => '`' + name.replace(/`/g, '``') + '`';

export function countSql(tables: string[]): string {
  return tables.map((t) => `SELECT COUNT(*) FROM ${quoteIdent(t)};`).join('\n');
}

/** The server's own words from a failed client call (its last stderr lines, warnings left out). */
export function serverMessage(e: unknown): string {
  if (e instanceof CommandError) {
    return e.stderrTail.filter((l) => l.trim() && !/^Warning:/.test(l)).slice(-3).join(' ') || e.message;
  }
  return (e as Error).message;
}

export async function probeMariadb(ctx: StepContext, c: MariadbComponent, password: string | null): Promise<MariaServerInfo> {
  const client = await ctx.tools.find('mariadb');
  try {
    return await withOptionFile(c, password, async (opt) => {
      const r = await run(planMariaProbe(client.path, opt, c, password ? [password] : []), { signal: ctx.signal });
      const [version, size] = (r.stdoutTail[0] ?? '').split('\t');
      return { version: version ?? '', databaseBytes: Number(size) || 0 };
    });
  } catch (e) {
    connectFailed(e, c, serverMessage(e));
  }
}

export async function dumpMariadb(
  ctx: StepContext,
  c: MariadbComponent,
  server: MariaServerInfo,
  password: string | null,
  destDir: string,
): Promise<ManifestComponent> {
  const dumper = await ctx.tools.find('mariadb-dump');
  ctx.reporter.info('run.tool', { tool: dumper.name, path: dumper.path, version: dumper.version });
  const client = await ctx.tools.find('mariadb');
  const file = `${c.name}.sql.gz`;
  const out: { written?: WrittenFile } = {};
  const secrets = password ? [password] : [];
  const warnings: string[] = [];
  let rows: Record<string, number> | undefined;
  try {
    await withOptionFile(c, password, async (opt) => {
      const counter = new SqlSession(planMariaRowCounter(client.path, opt, c, secrets), ctx.signal);
      let tables: string[];
      try {
        tables = (await counter.query(SNAPSHOT_SQL)).map((h) => Buffer.from(h, 'hex').toString('utf8'));
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
        await run(planMariaDump(dumper.path, opt, c, secrets), {
          signal: ctx.signal,
          consumeStdout: async (stdout) => {
            out.written = await streamToFile(stdout, join(destDir, file), { gzip: true });
          },
        });
      } catch (e) {
        await counter.kill();
        throw e;
      }
      try {
        const counts = await counting;
        if (counts.length !== tables.length) throw new Error(`${counts.length} counts for ${tables.length} tables`);
        rows = Object.fromEntries(tables.map((t, i) => [t, Number(counts[i])]));
        await counter.close('');
      } catch (e) {
        await counter.kill();
        if (e instanceof CommandError && e.reason === 'cancelled') throw e;
        // The dump is good; only its proof is missing: a warning, not a lost backup.
        ctx.reporter.warn('warn.rowsNotCounted', { name: c.name, database: c.database, message: serverMessage(e) });
        warnings.push(`row counts not taken: ${serverMessage(e)}`);
      }
    });
  } catch (e) {
    dumpFailed(e, c, serverMessage(e));
  }
  const w = out.written!;
  return {
    name: c.name,
    type: c.type,
    path: file,
    bytes: w.bytes,
    sha256: w.sha256,
    database: c.database,
    serverVersion: server.version,
    dumpTool: { path: dumper.path, version: dumper.version },
    ...(rows ? { rows, rowsExact: 'consistent-snapshot' as const } : {}),
    warnings,
  };
}

// A PostgreSQL component: `pg_dump -Fc` of the live database (pg_dump takes a consistent
// snapshot itself), streamed into <name>.pgdump with its sha256. The password reaches pg_dump as
// PGPASSWORD in its environment only.
import { join } from 'node:path';
import type { PostgresComponent } from '../config/schema';
import { run, CommandError, type CommandPlan } from '../process/runner';
import { connectFailed, dumpFailed } from './db-errors';
import type { ManifestComponent } from './manifest';
import type { StepContext } from './step-context';
import { streamToFile, type WrittenFile } from './stream-to-file';

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

export function planPgDump(pgDump: string, c: PostgresComponent, password: string | null): CommandPlan {
  return {
    label: `pg_dump (${c.database})`,
    file: pgDump,
    args: ['-Fc', ...connArgs(c), '-d', c.database],
    env: pgEnv(password),
    secrets: password ? [password] : [],
  };
}

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

/** Connects once before anything is written: version (to pick pg_dump) and size (for the space check). */
export async function probePostgres(ctx: StepContext, c: PostgresComponent, password: string | null): Promise<PgServerInfo> {
  const psql = await ctx.tools.findPg('psql');
  try {
    const r = await run(planPgProbe(psql.path, c, password), { signal: ctx.signal });
    return parseProbe(r.stdoutTail.join('\n'));
  } catch (e) {
    connectFailed(e, c, serverMessage(e));
  }
}

export async function dumpPostgres(
  ctx: StepContext,
  c: PostgresComponent,
  server: PgServerInfo,
  password: string | null,
  destDir: string,
): Promise<ManifestComponent> {
  const pgDump = await ctx.tools.findPg('pg_dump', server.major);
  ctx.reporter.info('run.tool', { tool: 'pg_dump', path: pgDump.path, version: pgDump.version });
  const file = `${c.name}.pgdump`;
  const out: { written?: WrittenFile } = {};
  try {
    await run(planPgDump(pgDump.path, c, password), {
      signal: ctx.signal,
      consumeStdout: async (stdout) => {
        out.written = await streamToFile(stdout, join(destDir, file));
      },
    });
  } catch (e) {
    dumpFailed(e, c, serverMessage(e));
  }
  const w = out.written!;
  return {
    name: c.name,
    type: 'postgres',
    path: file,
    bytes: w.bytes,
    sha256: w.sha256,
    database: c.database,
    serverVersion: server.version,
    dumpTool: { path: pgDump.path, version: pgDump.version },
    warnings: [],
  };
}

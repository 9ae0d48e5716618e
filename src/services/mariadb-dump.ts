// A MariaDB/MySQL component: `mariadb-dump --single-transaction` of the live database (InnoDB
// gives a consistent snapshot without locking the practice out), gzip'd on the way into
// <name>.sql.gz with its sha256. Credentials go into a 0600 option file in a private temp folder
// that is removed right after; never argv.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MariadbComponent } from '../config/schema';
import { run, CommandError, type CommandPlan } from '../process/runner';
import { connectFailed, dumpFailed } from './db-errors';
import type { ManifestComponent } from './manifest';
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
  const file = `${c.name}.sql.gz`;
  const out: { written?: WrittenFile } = {};
  try {
    await withOptionFile(c, password, (opt) =>
      run(planMariaDump(dumper.path, opt, c, password ? [password] : []), {
        signal: ctx.signal,
        consumeStdout: async (stdout) => {
          out.written = await streamToFile(stdout, join(destDir, file), { gzip: true });
        },
      }),
    );
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
    warnings: [],
  };
}

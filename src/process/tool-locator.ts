// Finds the programs a backup needs. Apps started by launchd or from the macOS GUI do not get the
// login shell's PATH (VS Code's shellEnv.ts learned this), so we search the usual install places
// ourselves, and always say which binary was used.
import { access, constants, readdir, realpath } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Platform } from '../platform/paths';
import { run, type CommandPlan } from './runner';
import { PraxisError } from '../core/errors';

export interface ToolInfo {
  name: string;
  path: string;
  /** First line of `--version`. */
  version: string;
  /** Major version where it can be read (pg_dump 15.18 → 15; rsync 3.2.7 → 3), else 0. */
  major: number;
  minor: number;
}

export type ToolName = 'pg_dump' | 'psql' | 'pg_restore' | 'mariadb-dump' | 'mariadb' | 'rsync' | 'du';

const ALTERNATIVES: Record<ToolName, string[]> = {
  pg_dump: ['pg_dump'],
  psql: ['psql'],
  pg_restore: ['pg_restore'],
  'mariadb-dump': ['mariadb-dump', 'mysqldump'],
  mariadb: ['mariadb', 'mysql'],
  rsync: ['rsync'],
  du: ['du'],
};

const HINTS: Record<ToolName, string> = {
  pg_dump: 'macOS: brew install postgresql@16 (or Postgres.app); Debian: apt install postgresql-client',
  psql: 'macOS: brew install postgresql@16 (or Postgres.app); Debian: apt install postgresql-client',
  pg_restore: 'macOS: brew install postgresql@16 (or Postgres.app); Debian: apt install postgresql-client',
  'mariadb-dump': 'macOS: brew install mariadb; Debian: apt install mariadb-client',
  mariadb: 'macOS: brew install mariadb; Debian: apt install mariadb-client',
  rsync: 'macOS: brew install rsync; Debian: apt install rsync',
  du: '',
};

async function subdirs(dir: string, suffix: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  // Newest version first, so that "the first that fits" prefers recent releases.
  return names
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
    .map((n) => join(dir, n, suffix));
}

export function parseVersion(firstLine: string): { major: number; minor: number } {
  if (firstLine.startsWith('openrsync')) return { major: 2, minor: 6 }; // "rsync version 2.6.9 compatible"
  const m = /(\d+)\.(\d+)/.exec(firstLine.replace(/^.*?(Distrib|version|\))\s*/i, '')) ?? /(\d+)\.(\d+)/.exec(firstLine);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : { major: 0, minor: 0 };
}

export class ToolLocator {
  private cache = new Map<string, ToolInfo | null>();

  constructor(
    private readonly platform: Platform,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Directories searched, in order of preference. */
  async searchDirs(tool: ToolName): Promise<string[]> {
    const dirs: string[] = [];
    const pg = tool === 'pg_dump' || tool === 'psql' || tool === 'pg_restore';
    if (this.platform === 'darwin') {
      if (pg) {
        dirs.push(...(await subdirs('/Applications/Postgres.app/Contents/Versions', 'bin')));
        for (const brew of ['/opt/homebrew/opt', '/usr/local/opt']) {
          const names = await readdir(brew).catch(() => [] as string[]);
          dirs.push(
            ...names
              .filter((n) => /^(postgresql|libpq)(@\d+)?$/.test(n))
              .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
              .map((n) => join(brew, n, 'bin')),
          );
        }
      }
      if (tool === 'mariadb-dump' || tool === 'mariadb') {
        dirs.push('/opt/homebrew/opt/mariadb/bin', '/usr/local/opt/mariadb/bin', '/opt/homebrew/opt/mysql-client/bin', '/usr/local/mysql/bin');
      }
      // Homebrew's rsync 3.x before Apple's openrsync: --info=progress2 and exit code 24 exist only there.
      dirs.push('/opt/homebrew/bin', '/usr/local/bin');
    } else if (pg) {
      dirs.push(...(await subdirs('/usr/lib/postgresql', 'bin')), '/usr/local/pgsql/bin');
    }
    dirs.push(...(this.env.PATH ?? '').split(delimiter).filter(Boolean));
    dirs.push('/usr/local/bin', '/usr/bin', '/bin');
    return [...new Set(dirs)];
  }

  private async probe(path: string, name: string): Promise<ToolInfo | null> {
    if (this.cache.has(path)) return this.cache.get(path)!;
    let info: ToolInfo | null = null;
    try {
      await access(path, constants.X_OK);
      const plan: CommandPlan = { label: `${name} --version`, file: path, args: ['--version'], okExitCodes: [0], timeoutMs: 10_000 };
      const r = await run(plan);
      const first = r.stdoutTail[0] ?? r.stderrTail[0] ?? '';
      info = { name, path, version: first.trim(), ...parseVersion(first) };
    } catch {
      info = null;
    }
    this.cache.set(path, info);
    return info;
  }

  /**
   * Every usable binary, in order of preference. Each is started once (`--version`), so `stop`
   * ends the search at the first good one: starting Debian's perl pg_wrapper twice (/bin is
   * /usr/bin) cost the dump step 0.1 s (measured by the benchmark).
   */
  async all(tool: ToolName, stop?: (t: ToolInfo) => boolean): Promise<ToolInfo[]> {
    const found: ToolInfo[] = [];
    const seen = new Set<string>();
    for (const dir of await this.searchDirs(tool)) {
      for (const name of ALTERNATIVES[tool]) {
        const path = join(dir, name);
        const real = await realpath(path).catch(() => null);
        if (!real || seen.has(real)) continue;
        seen.add(real);
        const info = await this.probe(path, name);
        if (info) {
          found.push(info);
          if (stop?.(info)) return found;
        }
      }
    }
    return found;
  }

  async find(tool: ToolName): Promise<ToolInfo> {
    if (tool === 'du') return { name: 'du', path: await this.first('du'), version: '', major: 0, minor: 0 };
    const all = await this.all(tool, (t) => tool !== 'rsync' || t.major >= 3);
    if (tool === 'rsync') {
      const modern = all.find((t) => t.major >= 3);
      if (modern) return modern;
    }
    if (all[0]) return all[0];
    throw await this.missing(tool);
  }

  /**
   * A PostgreSQL client tool for a server of major version `serverMajor`: the same major if
   * there is one (its dumps restore with the server's own pg_restore), else the nearest newer
   * one. An older pg_dump refuses newer servers, so that is an error with the versions named.
   * Without a server version (psql for the first probe, which works with any server), the first
   * one found.
   */
  async findPg(tool: 'pg_dump' | 'psql' | 'pg_restore', serverMajor?: number): Promise<ToolInfo> {
    const all = await this.all(tool, (t) => serverMajor === undefined || t.major === serverMajor);
    if (all.length === 0) throw await this.missing(tool);
    if (serverMajor === undefined) return all[0]!;
    const same = all.find((t) => t.major === serverMajor);
    if (same) return same;
    const newer = all.filter((t) => t.major > serverMajor).sort((a, b) => a.major - b.major);
    if (newer[0]) return newer[0];
    const best = [...all].sort((a, b) => b.major - a.major)[0]!;
    return Promise.reject(
      new PraxisError('error.pgDumpTooOld', { server: serverMajor, found: `${best.major} (${best.path})`, serverMajor }),
    );
  }

  private async first(name: string): Promise<string> {
    for (const dir of await this.searchDirs('du')) {
      const p = join(dir, name);
      if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
    }
    throw await this.missing('du');
  }

  private async missing(tool: ToolName): Promise<PraxisError> {
    return new PraxisError('error.toolMissing', {
      tool: ALTERNATIVES[tool].join('/'),
      searched: (await this.searchDirs(tool)).join(', '),
      hint: HINTS[tool],
    });
  }
}

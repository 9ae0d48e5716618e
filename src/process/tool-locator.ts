// Finds the programs a backup needs. Apps started by launchd or from the macOS GUI do not get the
// login shell's PATH (VS Code's shellEnv.ts learned this), so we search the usual install places
// ourselves, and always say which binary was used.
import { access, constants, realpath } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Platform } from '../platform/paths';
import { run, type CommandPlan } from './runner';
import { PraxisError } from '../core/errors';

/**
 * A program someone needs, and how to find it when launchd or a GUI gives no login shell PATH:
 * the database kinds declare theirs (contract.ts: DatabaseKind.tools).
 */
export interface ToolSpec {
  /** The name the caller asks for ("pg_dump", "mariadb-dump", "gbak"). */
  name: string;
  /** Executable names tried in order ("mariadb-dump", "mysqldump"). */
  alternatives: readonly string[];
  /** How to install it, shown when it is missing: "macOS: brew install …; Debian: apt install …". */
  hint: string;
  /** Directories searched before PATH (Postgres.app, Homebrew's opt folders, /usr/lib/postgresql/N/bin). */
  searchDirs?(platform: Platform): Promise<string[]>;
  /**
   * How to ask the program its version when `--version` is not the way (absent: `--version`, exit 0).
   * gbak knows no --version: `gbak -z` prints "gbak:gbak version LI-V3.0.11.33637 Firebird 3.0" and
   * exits 1 for want of a database; isql-fb and gfix print theirs with `-z` and exit 0.
   */
  version?: { args: readonly string[]; okExitCodes: readonly number[] };
}

export interface ToolInfo {
  name: string;
  path: string;
  /** First line of `--version`. */
  version: string;
  /** Every line `--version` printed (rsync 3 lists its Capabilities there: "ACLs", "xattrs", "no crtimes"). */
  versionLines?: string[];
  /** Major version where it can be read (pg_dump 15.18 → 15; rsync 3.2.7 → 3), else 0. */
  major: number;
  minor: number;
}

/** A program by the name its ToolSpec gives it ("rsync", "pg_dump", "gbak"). */
export type ToolName = string;

/** The locator's own programs; the database kinds' come from their ToolSpecs (src/databases/<kind>/). */
const OWN: readonly ToolSpec[] = [
  { name: 'rsync', alternatives: ['rsync'], hint: 'macOS: brew install rsync; Debian: apt install rsync' },
  { name: 'du', alternatives: ['du'], hint: '' },
];

export function parseVersion(firstLine: string): { major: number; minor: number } {
  if (firstLine.startsWith('openrsync')) return { major: 2, minor: 6 }; // "rsync version 2.6.9 compatible"
  const m = /(\d+)\.(\d+)/.exec(firstLine.replace(/^.*?(Distrib|version|\))\s*/i, '')) ?? /(\d+)\.(\d+)/.exec(firstLine);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : { major: 0, minor: 0 };
}

export class ToolLocator {
  private cache = new Map<string, ToolInfo | null>();
  private readonly specs = new Map<string, ToolSpec>();

  /** `specs`: programs found by name besides the locator's own (the composition root gives the database kinds' ToolSpecs). */
  constructor(
    /** Where the locator looks (and what a step run with it runs on). */
    readonly platform: Platform,
    private readonly env: NodeJS.ProcessEnv,
    specs: readonly ToolSpec[] = [],
  ) {
    for (const spec of [...OWN, ...specs]) this.specs.set(spec.name, spec);
  }

  /** A name's spec; a name nobody declared is looked for as itself. A caller holding its spec passes it (nothing to register). */
  private spec(tool: ToolName | ToolSpec): ToolSpec {
    if (typeof tool !== 'string') return tool;
    return this.specs.get(tool) ?? { name: tool, alternatives: [tool], hint: '' };
  }

  /** Directories searched, in order of preference. */
  async searchDirs(tool: ToolName | ToolSpec): Promise<string[]> {
    const dirs = [...((await this.spec(tool).searchDirs?.(this.platform)) ?? [])];
    // Homebrew's rsync 3.x before Apple's openrsync: --info=progress2 and exit code 24 exist only there.
    if (this.platform === 'darwin') dirs.push('/opt/homebrew/bin', '/usr/local/bin');
    dirs.push(...(this.env.PATH ?? '').split(delimiter).filter(Boolean));
    dirs.push('/usr/local/bin', '/usr/bin', '/bin');
    return [...new Set(dirs)];
  }

  private async probe(path: string, spec: ToolSpec, name: string): Promise<ToolInfo | null> {
    if (this.cache.has(path)) return this.cache.get(path)!;
    let info: ToolInfo | null = null;
    try {
      await access(path, constants.X_OK);
      const args = spec.version?.args ?? ['--version'];
      const plan: CommandPlan = { label: `${name} ${args.join(' ')}`, file: path, args: [...args], okExitCodes: [...(spec.version?.okExitCodes ?? [0])], timeoutMs: 10_000 };
      const r = await run(plan);
      const first = r.stdoutTail[0] ?? r.stderrTail[0] ?? '';
      info = { name, path, version: first.trim(), versionLines: r.stdoutTail.length ? r.stdoutTail : r.stderrTail, ...parseVersion(first) };
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
  async all(tool: ToolName | ToolSpec, stop?: (t: ToolInfo) => boolean): Promise<ToolInfo[]> {
    const spec = this.spec(tool);
    const found: ToolInfo[] = [];
    const seen = new Set<string>();
    for (const dir of await this.searchDirs(tool)) {
      for (const name of spec.alternatives) {
        const path = join(dir, name);
        const real = await realpath(path).catch(() => null);
        if (!real || seen.has(real)) continue;
        seen.add(real);
        const info = await this.probe(path, spec, name);
        if (info) {
          found.push(info);
          if (stop?.(info)) return found;
        }
      }
    }
    return found;
  }

  async find(tool: ToolName | ToolSpec): Promise<ToolInfo> {
    const name = this.spec(tool).name;
    if (name === 'du') return { name: 'du', path: await this.first(tool), version: '', major: 0, minor: 0 };
    const all = await this.all(tool, (t) => name !== 'rsync' || t.major >= 3);
    if (name === 'rsync') {
      const modern = all.find((t) => t.major >= 3);
      if (modern) return modern;
    }
    if (all[0]) return all[0];
    throw await this.missing(tool);
  }

  /**
   * A client tool for a server of major version `serverMajor`: the same major if there is one
   * (a dump then restores with the server's own tools), else the nearest newer one. An older tool
   * refuses newer servers, so that is an error with the versions named. Without a server version
   * (a first probe, which works with any server), the first one found.
   */
  async findForServer(tool: ToolName | ToolSpec, serverMajor?: number): Promise<ToolInfo> {
    const all = await this.all(tool, (t) => serverMajor === undefined || t.major === serverMajor);
    if (all.length === 0) throw await this.missing(tool);
    if (serverMajor === undefined) return all[0]!;
    const same = all.find((t) => t.major === serverMajor);
    if (same) return same;
    const newer = all.filter((t) => t.major > serverMajor).sort((a, b) => a.major - b.major);
    if (newer[0]) return newer[0];
    const best = [...all].sort((a, b) => b.major - a.major)[0]!;
    // The key and wording of its first caller, PostgreSQL's dump tool; the texts name it.
    return Promise.reject(
      new PraxisError('error.pgDumpTooOld', { server: serverMajor, found: `${best.major} (${best.path})`, serverMajor }),
    );
  }

  private async first(tool: ToolName | ToolSpec): Promise<string> {
    const spec = this.spec(tool);
    for (const dir of await this.searchDirs(tool)) {
      const p = join(dir, spec.alternatives[0] ?? spec.name);
      if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
    }
    throw await this.missing(tool);
  }

  private async missing(tool: ToolName | ToolSpec): Promise<PraxisError> {
    const spec = this.spec(tool);
    return new PraxisError('error.toolMissing', {
      tool: spec.alternatives.join('/'),
      searched: (await this.searchDirs(tool)).join(', '),
      hint: spec.hint,
    });
  }
}

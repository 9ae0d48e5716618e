// Data folders of database servers that may not be running right now: Postgres.app, Homebrew and
// Debian keep their clusters in known places. Found there and nothing answering, the assistant can
// still say "there is a PostgreSQL here — start it" instead of "no database found".
//
// `fsRoot` and `home` are where those places are looked up (tests hand in a folder of their own,
// so they never depend on what this machine has in /var/lib).
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Platform } from '../../platform/paths';
import type { DatabaseKind } from '../contracts';
import { DEFAULT_PORT } from './server-places';

export interface DataFolder {
  kind: DatabaseKind;
  dir: string;
  /** The port its server would listen on (postgresql.conf), else the kind's default. */
  port: number;
}

export interface DataFolderRoots {
  /** Prefix for absolute system paths ("/" for real). */
  fsRoot: string;
  home: string;
}

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

async function matching(dir: string, pattern: RegExp): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => pattern.test(n)).sort((a, b) => b.localeCompare(a, undefined, { numeric: true })).map((n) => join(dir, n));
}

/** The last `port = N` that is not commented out (postgresql.conf: later lines win). */
export function confPort(text: string): number | null {
  let port: number | null = null;
  for (const m of text.matchAll(/^\s*port\s*=\s*'?(\d+)'?/gm)) port = Number(m[1]);
  return port;
}

async function pgPort(...confs: string[]): Promise<number> {
  for (const f of confs) {
    const p = confPort(await readFile(f, 'utf8').catch(() => ''));
    if (p) return p;
  }
  return DEFAULT_PORT.postgres;
}

/**
 * A PostgreSQL cluster holds PG_VERSION. Debian's is readable only by postgres (0700): a folder we
 * cannot look into, in the place a cluster lives, counts as one.
 */
async function isCluster(dir: string): Promise<boolean> {
  if (!(await isDir(dir))) return false;
  try {
    await stat(join(dir, 'PG_VERSION'));
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EACCES';
  }
}

export async function findDataFolders(platform: Platform, roots: DataFolderRoots): Promise<DataFolder[]> {
  const sys = (p: string) => join(roots.fsRoot, p);
  const out: DataFolder[] = [];
  const pg: { dir: string; confs: string[] }[] = [];
  const maria: string[] = [];
  if (platform === 'darwin') {
    // Postgres.app: ~/Library/Application Support/Postgres/var-16; Homebrew: /opt/homebrew/var/postgresql@16
    // (Apple silicon), /usr/local/var/postgres or postgresql@14 (Intel, older formulae).
    for (const d of await matching(join(roots.home, 'Library', 'Application Support', 'Postgres'), /^var-\d+$/)) pg.push({ dir: d, confs: [] });
    for (const base of [sys('opt/homebrew/var'), sys('usr/local/var')]) {
      for (const d of await matching(base, /^postgres(ql(@\d+)?)?$/)) pg.push({ dir: d, confs: [] });
      maria.push(join(base, 'mysql'));
    }
  } else {
    // Debian: /var/lib/postgresql/<version>/main, its settings in /etc/postgresql/<version>/main.
    for (const v of await matching(sys('var/lib/postgresql'), /^\d+(\.\d+)?$/)) {
      const version = v.split('/').pop()!;
      pg.push({ dir: join(v, 'main'), confs: [sys(join('etc/postgresql', version, 'main', 'postgresql.conf'))] });
    }
    maria.push(sys('var/lib/mysql'));
  }
  for (const c of pg) {
    if (await isCluster(c.dir)) out.push({ kind: 'postgres', dir: c.dir, port: await pgPort(...c.confs, join(c.dir, 'postgresql.conf')) });
  }
  for (const d of maria) if (await isDir(d)) out.push({ kind: 'mariadb', dir: d, port: DEFAULT_PORT.mariadb });
  return out;
}

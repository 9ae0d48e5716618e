// PostgreSQL for the first-run assistant (contract.ts: KindDiscovery): the server's databases with
// their sizes, through psql and the runner like the backup's own probe (dump.ts): same connection
// arguments (-w: never prompt), the password only as PGPASSWORD in psql's environment, the same
// reading of libpq's login words (pgLoginSignals). Where servers are: sockets `.s.PGSQL.<port>` in
// the usual directories, clusters in Debian's, Homebrew's and Postgres.app's data folders.
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PostgresComponent } from '../../config/schema';
import type { Platform } from '../../platform/paths';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import type { ToolLocator } from '../../process/tool-locator';
import { findListingTools, isDir, isSocket, underRoot } from '../common/discovery-kit';
import type { DataFolder, DataFolderRoots, FoundDatabase, KindDiscovery, Listing, Place } from '../contract';
import { connArgs, pgEnv, pgLoginSignals, serverMessage } from './dump';
import { PG_DUMP, PSQL } from './tools';

const ID = 'postgres';
const DEFAULT_PORT = 5432;

/**
 * One JSON array per database, so any name survives psql's line output. The size only where the
 * user may connect (pg_database_size needs CONNECT): a database it cannot read is listed with 0
 * rather than failing the whole list.
 */
export const PG_LIST_SQL = `SELECT json_build_array(datname,
  CASE WHEN has_database_privilege(datname, 'CONNECT') THEN pg_database_size(datname) ELSE 0 END,
  datistemplate) FROM pg_database ORDER BY datname`;

/** The maintenance database every cluster has; template1 where an admin dropped it. */
const CONNECT_TO = ['postgres', 'template1'];

export function planPgList(psql: string, place: Place, user: string, password: string | null, database: string): CommandPlan {
  const c = { host: place.host, port: place.port, user } as PostgresComponent;
  return {
    label: `psql (${place.where})`,
    file: psql,
    args: ['-X', '-A', '-t', '-q', ...connArgs(c), '-d', database, '-c', PG_LIST_SQL],
    env: pgEnv(password),
    secrets: password ? [password] : [],
    timeoutMs: 60_000,
  };
}

export function parsePgList(lines: string[]): FoundDatabase[] {
  return lines
    .filter((l) => l.startsWith('['))
    .map((l) => {
      const [name, size, template] = JSON.parse(l) as [string, number | string, boolean];
      return { name, sizeBytes: Number(size) || 0, system: template || name === 'postgres' };
    });
}

async function list(tools: ToolLocator, place: Place, user: string, password: string | null, signal: AbortSignal): Promise<Listing> {
  const found = await findListingTools(() => tools.findForServer(PSQL), () => tools.findForServer(PG_DUMP));
  if ('missing' in found) return found.missing;
  const { client: psql, toolVersion } = found;
  for (const database of CONNECT_TO) {
    const lines: string[] = [];
    try {
      await run(planPgList(psql.path, place, user, password, database), { signal, onStdoutLine: (l) => lines.push(l) });
      return { ok: true, databases: parsePgList(lines), toolVersion };
    } catch (e) {
      if (!(e instanceof CommandError) || e.reason === 'cancelled') throw e;
      const words = serverMessage(e);
      if (/database ".*" does not exist/.test(words) && database !== CONNECT_TO.at(-1)) continue;
      const asked = pgLoginSignals(e.stderrTail).wantsPassword;
      // libpq says "password authentication failed" both for a wrong password and for a stale one
      // from ~/.pgpass; only a password we gave makes it "wrong" in the assistant's sense.
      return { ok: false, wantsPassword: asked && password === null, wrongPassword: asked && password !== null, problem: null, message: words, toolVersion };
    }
  }
  throw new Error('unreachable');
}

// ---------------------------------------------------------------------------------------------
// Sockets

/** Debian's postgresql-common (/var/run → /run), and /tmp where Homebrew, Postgres.app and source builds put it. */
const SOCKET_DIRS: Record<Platform, string[]> = {
  linux: ['/var/run/postgresql', '/run/postgresql', '/tmp'],
  darwin: ['/tmp'],
};

const PG_SOCKET = /^\.s\.PGSQL\.(\d+)$/;

/** libpq takes the socket's directory as host; the port names the file in it. */
function socketIn(dir: string, port: number): Place {
  return { kind: ID, host: dir, port, via: 'socket', where: join(dir, `.s.PGSQL.${port}`) };
}

/** Every PostgreSQL socket in a directory, whatever its port (a second cluster on 5433 is found too). */
async function socketsIn(dir: string): Promise<Place[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Place[] = [];
  for (const n of names.sort()) {
    const m = PG_SOCKET.exec(n);
    if (m && (await isSocket(join(dir, n)))) out.push(socketIn(dir, Number(m[1])));
  }
  return out;
}

async function defaultSockets(platform: Platform, fsRoot: string): Promise<Place[]> {
  const out: Place[] = [];
  for (const d of await underRoot(fsRoot, SOCKET_DIRS[platform])) out.push(...(await socketsIn(d)));
  return out;
}

/** An admin's socket: the `.s.PGSQL.N` file, or its directory. */
function socketPlace(path: string, port?: number): Place {
  const m = PG_SOCKET.exec(basename(path));
  if (m) return socketIn(dirname(path), Number(m[1]));
  return socketIn(path, port ?? DEFAULT_PORT);
}

// ---------------------------------------------------------------------------------------------
// Data folders: clusters that may not be running right now.

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

async function clusterPort(...confs: string[]): Promise<number> {
  for (const f of confs) {
    const p = confPort(await readFile(f, 'utf8').catch(() => ''));
    if (p) return p;
  }
  return DEFAULT_PORT;
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

async function dataFolders(platform: Platform, roots: DataFolderRoots): Promise<DataFolder[]> {
  const sys = (p: string) => join(roots.fsRoot, p);
  const clusters: { dir: string; confs: string[] }[] = [];
  if (platform === 'darwin') {
    // Postgres.app: ~/Library/Application Support/Postgres/var-16; Homebrew: /opt/homebrew/var/postgresql@16
    // (Apple silicon), /usr/local/var/postgres or postgresql@14 (Intel, older formulae).
    for (const d of await matching(join(roots.home, 'Library', 'Application Support', 'Postgres'), /^var-\d+$/)) clusters.push({ dir: d, confs: [] });
    for (const base of [sys('opt/homebrew/var'), sys('usr/local/var')]) {
      for (const d of await matching(base, /^postgres(ql(@\d+)?)?$/)) clusters.push({ dir: d, confs: [] });
    }
  } else {
    // Debian: /var/lib/postgresql/<version>/main, its settings in /etc/postgresql/<version>/main.
    for (const v of await matching(sys('var/lib/postgresql'), /^\d+(\.\d+)?$/)) {
      const version = v.split('/').pop()!;
      clusters.push({ dir: join(v, 'main'), confs: [sys(join('etc/postgresql', version, 'main', 'postgresql.conf'))] });
    }
  }
  const out: DataFolder[] = [];
  for (const c of clusters) {
    if (await isCluster(c.dir)) out.push({ dir: c.dir, port: await clusterPort(...c.confs, join(c.dir, 'postgresql.conf')) });
  }
  return out;
}

export const postgresDiscovery: KindDiscovery = { list, defaultSockets, socketPlace, dataFolders };

// Step 1 of the assistant: the database servers on this machine, each tried without a password
// from us first (trust, peer, ~/.pgpass, ~/.my.cnf — the way a nightly run would log in with
// "password": "none"), then, when the server asked, again with the password the admin typed.
//
// Which user is proposed: the kind's superuser (postgres, root) — what Debian's packages set up and
// what the config defaults to. On macOS, Homebrew and Postgres.app run initdb / mariadb-install-db
// as the logged-in user, so the superuser there is that user (and Homebrew's MariaDB gives it a
// unix_socket account); both are tried, and the one that logs in wins.
import { msg, type Message } from '../../i18n';
import type { Platform } from '../../platform/paths';
import type { ToolLocator } from '../../process/tool-locator';
import type { DatabaseKind, FoundServer } from '../contracts';
import { findDataFolders, type DataFolderRoots } from './data-folders';
import { mariadbLister } from './mariadb-listing';
import { postgresLister } from './postgres-listing';
import type { KindLister, Listing, Place } from './server-listing';
import { answers, candidates, DEFAULT_HOST, type Candidate, type ProbeTarget } from './server-places';

export interface ServerDiscoveryDeps {
  platform: Platform;
  tools: ToolLocator;
  /** Probe the default ports and sockets (off in tests: only their own servers count). */
  defaults: boolean;
  extra: Partial<Record<DatabaseKind, ProbeTarget[]>>;
  roots: DataFolderRoots;
  /** The logged-in user (macOS: the superuser of Homebrew's and Postgres.app's servers). */
  loginUser: string;
}

const LISTERS: Record<DatabaseKind, KindLister> = { postgres: postgresLister, mariadb: mariadbLister };
const SUPERUSER: Record<DatabaseKind, string> = { postgres: 'postgres', mariadb: 'root' };
export const KIND_NAME: Record<DatabaseKind, string> = { postgres: 'PostgreSQL', mariadb: 'MariaDB/MySQL' };

const RANK: Record<FoundServer['login'], number> = { none: 0, password: 1, failed: 2 };

function usersFor(deps: ServerDiscoveryDeps, c: Candidate): string[] {
  if (c.user) return [c.user];
  const users = [SUPERUSER[c.kind]];
  if (deps.platform === 'darwin' && deps.loginUser && deps.loginUser !== users[0]) users.push(deps.loginUser);
  return users;
}

/** A listing as the contract's FoundServer. */
function toServer(place: Place, user: string, r: Listing): FoundServer {
  const base = { kind: place.kind, host: place.host, port: place.port, via: place.via, where: place.where, user };
  if (r.ok) {
    return { ...base, port: place.kind === 'mariadb' && r.port ? r.port : place.port, login: 'none', databases: r.databases, toolVersion: r.toolVersion };
  }
  const tool = r.toolVersion ? { toolVersion: r.toolVersion } : {};
  const params = { where: place.where, user, kind: KIND_NAME[place.kind], message: r.message };
  if (r.wrongPassword) return { ...base, ...tool, login: 'password', databases: [], problem: msg('discover.passwordWrong', params) };
  if (r.wantsPassword) return { ...base, ...tool, login: 'password', databases: [] };
  return { ...base, ...tool, login: 'failed', databases: [], problem: r.problem ?? msg('discover.loginFailed', params) };
}

/** Each proposed user in turn; the first that logs in, else the most useful answer (a password request before a failure). */
async function probe(deps: ServerDiscoveryDeps, c: Candidate, signal: AbortSignal): Promise<FoundServer> {
  let best: FoundServer | null = null;
  for (const user of usersFor(deps, c)) {
    const found = toServer(c, user, await LISTERS[c.kind].list(deps.tools, c, user, null, signal));
    if (!best || RANK[found.login] < RANK[best.login]) best = found;
    if (found.login === 'none') break;
    // Tools missing: every other user would say the same.
    if (found.login === 'failed' && !found.toolVersion) break;
  }
  return best!;
}

const isLocal = (host: string) => host.startsWith('/') || ['localhost', '127.0.0.1', '::1'].includes(host);

/** One server, however many ways it was reached: TCP and socket of the same local port are the same server. */
function sameServerKey(s: FoundServer): string {
  return `${s.kind}|${s.port}|${isLocal(s.host) ? 'local' : s.host.toLowerCase()}`;
}

/** Keeps, per server, the way that logs in (then the one asking for a password); on a tie the first (TCP before socket). */
export function dedupe(found: FoundServer[]): FoundServer[] {
  const best = new Map<string, FoundServer>();
  for (const s of found) {
    const key = sameServerKey(s);
    const had = best.get(key);
    if (!had || RANK[s.login] < RANK[had.login]) best.set(key, s);
  }
  return [...best.values()];
}

function refused(c: Candidate): FoundServer {
  const problem: Message = msg('discover.refused', { kind: KIND_NAME[c.kind], where: c.where });
  return { kind: c.kind, host: c.host, port: c.port, via: c.via, where: c.where, user: c.user ?? SUPERUSER[c.kind], login: 'failed', databases: [], problem };
}

export async function findServers(deps: ServerDiscoveryDeps, signal: AbortSignal): Promise<FoundServer[]> {
  const found: FoundServer[] = [];
  for (const c of await candidates(deps.platform, deps.defaults, deps.extra, deps.roots.fsRoot)) {
    if (await answers(c, signal)) found.push(await probe(deps, c, signal));
    // Nothing at a default place is no news; at a place the admin named, it is the answer.
    else if (c.explicit) found.push(refused(c));
  }
  const servers = dedupe(found);
  for (const d of await findDataFolders(deps.platform, deps.roots)) {
    const running = servers.some((s) => s.kind === d.kind && s.port === d.port && isLocal(s.host) && s.via !== 'dataDir' && s.problem?.key !== 'discover.refused');
    if (running) continue;
    servers.push({
      kind: d.kind,
      host: DEFAULT_HOST[d.kind],
      port: d.port,
      via: 'dataDir',
      where: d.dir,
      // macOS's data folders are Homebrew's and Postgres.app's: initialised as the login user, who is their superuser.
      user: deps.platform === 'darwin' && deps.loginUser ? deps.loginUser : SUPERUSER[d.kind],
      login: 'failed',
      databases: [],
      problem: msg('discover.dataDirNotStarted', { kind: KIND_NAME[d.kind], dir: d.dir, port: d.port }),
    });
  }
  return servers;
}

/** Lists again with the password the admin typed (null: once more without). Logged in, the server's login becomes 'none'. */
export async function listDatabases(deps: ServerDiscoveryDeps, server: FoundServer, password: string | null, signal: AbortSignal): Promise<FoundServer> {
  // A data folder's server is knocked at over TCP: it may have been started since, and then it is
  // a TCP server like any other.
  const dataDir = server.via === 'dataDir';
  const place: Place = {
    kind: server.kind,
    host: server.host,
    port: server.port,
    via: server.via === 'socket' ? 'socket' : 'tcp',
    where: dataDir ? `${server.host}:${server.port}` : server.where,
    ...(server.kind === 'mariadb' && server.via === 'socket' ? { socketFile: server.where } : {}),
  };
  if (!(await answers(place, signal))) {
    const problem = dataDir ? server.problem : msg('discover.refused', { kind: KIND_NAME[server.kind], where: place.where });
    return { ...server, login: 'failed', databases: [], ...(problem ? { problem } : {}) };
  }
  const now = toServer(place, server.user, await LISTERS[server.kind].list(deps.tools, place, server.user, password, signal));
  return now.login === 'failed' && dataDir ? { ...now, via: 'dataDir', where: server.where } : now;
}

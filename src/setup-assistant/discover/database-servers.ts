// Step 1 of the assistant: the database servers on this machine, each tried without a password
// from us first (trust, peer, ~/.pgpass, ~/.my.cnf — the way a nightly run would log in with
// "password": "none"), then, when the server asked, again with the password the admin typed.
//
// Which user is proposed: the kind's superuser (kind.defaults.user: postgres, root) — what Debian's
// packages set up and what the config defaults to. On macOS, Homebrew and Postgres.app run initdb /
// mariadb-install-db as the logged-in user, so the superuser there is that user (and Homebrew's
// MariaDB gives it a unix_socket account); both are tried, and the one that logs in wins. What a
// kind answers for discovery: contract.ts, KindDiscovery.
import { msg, type Message } from '../../i18n';
import type { Platform } from '../../platform/paths';
import type { ToolLocator } from '../../process/tool-locator';
import type { DataFolder, DataFolderRoots, Listing, Place } from '../../databases/contract';
import { kindById } from '../../databases/registry';
import type { DatabaseKindId, FoundServer } from '../contracts';
import { answers, candidates, discoverableKinds, type Candidate, type DiscoverableKind, type ProbeTarget } from './server-places';

export interface ServerDiscoveryDeps {
  platform: Platform;
  tools: ToolLocator;
  /** Probe the default ports and sockets (off in tests: only their own servers count). */
  defaults: boolean;
  extra: Partial<Record<DatabaseKindId, ProbeTarget[]>>;
  roots: DataFolderRoots;
  /** The logged-in user (macOS: the superuser of Homebrew's and Postgres.app's servers). */
  loginUser: string;
}

/** The kind of a place or a server found: one of the discoverable kinds (it was found through it). */
function kindOfPlace(p: { kind: DatabaseKindId }): DiscoverableKind {
  const kind = kindById(p.kind);
  if (!kind?.discovery) throw new Error(`not a discoverable database kind: ${p.kind}`);
  return kind as DiscoverableKind;
}

const RANK: Record<FoundServer['login'], number> = { none: 0, password: 1, failed: 2 };

function usersFor(deps: ServerDiscoveryDeps, c: Candidate): string[] {
  if (c.user) return [c.user];
  const users = [kindOfPlace(c).defaults.user];
  if (deps.platform === 'darwin' && deps.loginUser && deps.loginUser !== users[0]) users.push(deps.loginUser);
  return users;
}

/** A listing as the contract's FoundServer. */
function toServer(place: Place, user: string, r: Listing): FoundServer {
  const base = { kind: place.kind, host: place.host, port: place.port, via: place.via, where: place.where, user };
  if (r.ok) {
    return { ...base, port: r.port || place.port, login: 'none', databases: r.databases, toolVersion: r.toolVersion };
  }
  const tool = r.toolVersion ? { toolVersion: r.toolVersion } : {};
  const params = { where: place.where, user, kind: kindOfPlace(place).label, message: r.message };
  if (r.wrongPassword) return { ...base, ...tool, login: 'password', databases: [], problem: msg('discover.passwordWrong', params) };
  if (r.wantsPassword) return { ...base, ...tool, login: 'password', databases: [] };
  return { ...base, ...tool, login: 'failed', databases: [], problem: r.problem ?? msg('discover.loginFailed', params) };
}

/** Each proposed user in turn; the first that logs in, else the most useful answer (a password request before a failure). */
async function probe(deps: ServerDiscoveryDeps, c: Candidate, signal: AbortSignal): Promise<FoundServer> {
  let best: FoundServer | null = null;
  for (const user of usersFor(deps, c)) {
    const found = toServer(c, user, await kindOfPlace(c).discovery.list(deps.tools, c, user, null, signal));
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
  const kind = kindOfPlace(c);
  const problem: Message = msg('discover.refused', { kind: kind.label, where: c.where });
  return { kind: c.kind, host: c.host, port: c.port, via: c.via, where: c.where, user: c.user ?? kind.defaults.user, login: 'failed', databases: [], problem };
}

/** Every discoverable kind's data folders, kind by kind in the registry's order. */
async function findDataFolders(platform: Platform, roots: DataFolderRoots): Promise<(DataFolder & { kind: DatabaseKindId })[]> {
  const out: (DataFolder & { kind: DatabaseKindId })[] = [];
  for (const kind of discoverableKinds()) for (const d of await kind.discovery.dataFolders(platform, roots)) out.push({ kind: kind.id, ...d });
  return out;
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
    const kind = kindOfPlace(d);
    const running = servers.some((s) => s.kind === d.kind && s.port === d.port && isLocal(s.host) && s.via !== 'dataDir' && s.problem?.key !== 'discover.refused');
    if (running) continue;
    servers.push({
      kind: d.kind,
      host: kind.defaults.host,
      port: d.port,
      via: 'dataDir',
      where: d.dir,
      // macOS's data folders are Homebrew's and Postgres.app's: initialised as the login user, who is their superuser.
      user: deps.platform === 'darwin' && deps.loginUser ? deps.loginUser : kind.defaults.user,
      login: 'failed',
      databases: [],
      problem: msg('discover.dataDirNotStarted', { kind: kind.label, dir: d.dir, port: d.port }),
    });
  }
  return servers;
}

/** Lists again with the password the admin typed (null: once more without). Logged in, the server's login becomes 'none'. */
export async function listDatabases(deps: ServerDiscoveryDeps, server: FoundServer, password: string | null, signal: AbortSignal): Promise<FoundServer> {
  // A data folder's server is knocked at over TCP: it may have been started since, and then it is
  // a TCP server like any other.
  const dataDir = server.via === 'dataDir';
  const kind = kindOfPlace(server);
  // A socket's file when the kind's client is pointed at it rather than at `host` (the kind says).
  const socketFile = server.via === 'socket' ? kind.discovery.socketPlace(server.where, server.port).socketFile : undefined;
  const place: Place = {
    kind: server.kind,
    host: server.host,
    port: server.port,
    via: server.via === 'socket' ? 'socket' : 'tcp',
    where: dataDir ? `${server.host}:${server.port}` : server.where,
    ...(socketFile ? { socketFile } : {}),
  };
  if (!(await answers(place, signal))) {
    const problem = dataDir ? server.problem : msg('discover.refused', { kind: kind.label, where: place.where });
    return { ...server, login: 'failed', databases: [], ...(problem ? { problem } : {}) };
  }
  const now = toServer(place, server.user, await kind.discovery.list(deps.tools, place, server.user, password, signal));
  return now.login === 'failed' && dataDir ? { ...now, via: 'dataDir', where: server.where } : now;
}

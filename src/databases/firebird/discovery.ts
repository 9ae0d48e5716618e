// Firebird for the first-run assistant (contract.ts: KindDiscovery). A Firebird server cannot list
// its databases by SQL: a database is a file the server opens when asked for it by path or alias.
// So the candidates are what can be known (measured with Firebird 3.0.11, test/helpers/firebird.ts):
// - the services manager (fbsvcmgr, `info_get_env info_svr_db_info`): it logs in like any client
//   (so a refused password is known even on a server with no database yet), says the server's root
//   folder ("Server root: /etc/…/" — Debian's /usr/lib/…/firebird/3.0 links databases.conf from
//   /etc/firebird/3.0, macOS' is Firebird.framework/Resources, a server started with FIREBIRD=DIR
//   says DIR) and the databases attached right now ("Database in use: FILE");
// - on this machine only (the files are the server's): the aliases of <root>/databases.conf
//   (`alias = path`), and the *.fdb / *.gdb files in the usual data folders (Debian's
//   /var/lib/firebird/<version>/data; MEDICAL OFFICE's database is medoff.gdb).
// Each candidate is opened with the kind's own probe (PROBE_SQL through isql-fb, the password only
// as ISC_PASSWORD in its environment) for its size. One that does not open is reported with the
// server's words (`unopenable`, shown, never proposed), not left out.
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { FirebirdComponent } from '../../config/schema';
import type { Platform } from '../../platform/paths';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import type { ToolInfo, ToolLocator } from '../../process/tool-locator';
import { findListingTools, isDir } from '../common/discovery-kit';
import type { DataFolder, DataFolderRoots, FoundDatabase, KindDiscovery, Listing, Place } from '../contract';
import { ROW_MARK, WRONG_LOGIN, fbEnv, planIsql, secretsOf, serverMessage, serviceMgr } from './connection';
import { PROBE_SQL } from './dump';
import { FB_SERVICES, FB_TOOLS } from './tools';

const ID = 'firebird';
const DEFAULT_PORT = 3050;

/** Where the usual installs keep databases, relative to the file system's root. */
const DATA_PARENTS: Record<Platform, string[]> = {
  // Debian's firebird3.0-server (and 2.5's, 4.0's): /var/lib/firebird/<version>/data.
  linux: ['var/lib/firebird'],
  darwin: [],
};
/** macOS' installer keeps no data folder of its own: its framework (databases.conf, the security database) is where a server is installed. */
const MAC_FRAMEWORK = 'Library/Frameworks/Firebird.framework/Resources';

const DB_FILE = /\.(fdb|gdb)$/i;
/** The server's own security database (alias security.db, file security3.fdb): not openable from outside (RemoteAccess = false), never a practice's. */
const SECURITY = /^security(\d*\.fdb|\.db)$/i;

const isLocal = (host: string) => ['localhost', '127.0.0.1', '::1'].includes(host);

// ---------------------------------------------------------------------------------------------
// The services manager

export function planServerInfo(fbsvcmgr: string, c: FirebirdComponent, password: string | null, platform: Platform): CommandPlan {
  return {
    label: `fbsvcmgr (${c.host}:${c.port})`,
    file: fbsvcmgr,
    args: [serviceMgr(c), 'info_get_env', 'info_svr_db_info'],
    env: fbEnv(platform, c, password),
    secrets: secretsOf(password),
    timeoutMs: 30_000,
  };
}

export interface ServerFacts {
  /** The server's root folder (without the trailing /), or null when it did not say. */
  root: string | null;
  /** Database files attached right now. */
  attached: string[];
}

export function parseServerInfo(lines: string[]): ServerFacts {
  let root: string | null = null;
  const attached: string[] = [];
  for (const l of lines) {
    const r = /^\s*Server root:\s*(.+?)\s*$/.exec(l);
    if (r) root = r[1]!.replace(/\/+$/, '') || '/';
    const a = /^\s*Database in use:\s*(.+?)\s*$/.exec(l);
    if (a) attached.push(a[1]!);
  }
  return { root, attached };
}

// ---------------------------------------------------------------------------------------------
// Candidates

/** `alias = path` lines of databases.conf, outside the `{ … }` blocks of per-database settings; comments (#) dropped. */
export function parseAliases(text: string): { alias: string; path: string }[] {
  const out: { alias: string; path: string }[] = [];
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    if (depth === 0) {
      const m = /^([^=\s{}]+)\s*=\s*(.+?)\s*(\{)?$/.exec(line);
      if (m) out.push({ alias: m[1]!, path: m[2]!.replace(/^"(.*)"$/, '$1') });
    }
    for (const ch of line) {
      if (ch === '{') depth++;
      else if (ch === '}') depth = Math.max(0, depth - 1);
    }
  }
  return out;
}

interface Candidate {
  /** What goes into the config's `database`: an alias, or the file's absolute path. */
  name: string;
  /** The file, where known (an alias's target, a file found): one database is tried once. */
  file: string | null;
}

async function dbFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => DB_FILE.test(n)).sort().map((n) => join(dir, n));
}

/** The data folders of the usual installs that exist under `fsRoot`. */
async function dataDirsUnder(platform: Platform, fsRoot: string): Promise<string[]> {
  const out: string[] = [];
  for (const parent of DATA_PARENTS[platform].map((p) => join(fsRoot, p))) {
    const versions = (await readdir(parent).catch(() => [] as string[])).sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    for (const v of versions) if (await isDir(join(parent, v, 'data'))) out.push(join(parent, v, 'data'));
  }
  return out;
}

async function candidatesOf(facts: ServerFacts, local: boolean, dataDirs: string[]): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (c: Candidate) => {
    const key = c.file ?? c.name;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(c);
  };
  if (local && facts.root) {
    const conf = await readFile(join(facts.root, 'databases.conf'), 'utf8').catch(() => '');
    for (const a of parseAliases(conf)) add({ name: a.alias, file: isAbsolute(a.path) ? a.path : null });
  }
  for (const f of facts.attached) add({ name: f, file: f });
  if (local) for (const d of dataDirs) for (const f of await dbFilesIn(d)) add({ name: f, file: f });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Listing

/** The client's tools, each missing one the Listing that says so (findListingTools). */
async function listingTools(tools: ToolLocator): Promise<{ isql: ToolInfo; fbsvcmgr: ToolInfo; toolVersion: string } | { missing: Listing }> {
  const isql = await findListingTools(() => tools.find(FB_TOOLS['isql-fb']), () => tools.find(FB_TOOLS.gbak));
  if ('missing' in isql) return isql;
  const svc = await findListingTools(() => tools.find(FB_SERVICES), () => tools.find(FB_TOOLS.gbak));
  if ('missing' in svc) return svc;
  return { isql: isql.client, fbsvcmgr: svc.client, toolVersion: isql.toolVersion };
}

/** One candidate opened with the backup's probe: its size, or the server's words why not. */
async function open(isql: string, c: FirebirdComponent, cand: Candidate, password: string | null, platform: Platform, signal: AbortSignal): Promise<FoundDatabase> {
  if (SECURITY.test(cand.name) || SECURITY.test(basename(cand.file ?? ''))) return { name: cand.name, sizeBytes: await fileSize(cand.file), system: true };
  const rows: string[][] = [];
  try {
    await run(planIsql(isql, c, cand.name, PROBE_SQL, password, platform), {
      signal,
      onStdoutLine: (l) => {
        if (l.startsWith(ROW_MARK)) rows.push(l.slice(ROW_MARK.length).trimEnd().split('\t'));
      },
    });
    return { name: cand.name, sizeBytes: Number(rows[0]?.[1]) || 0, system: false };
  } catch (e) {
    if (!(e instanceof CommandError) || e.reason === 'cancelled') throw e;
    // For an alias the server names the alias, not its file ("… for file "alt""): the file is what to check.
    const words = serverMessage(e);
    const unopenable = cand.file && !words.includes(cand.file) ? `${words} (${cand.file})` : words;
    return { name: cand.name, sizeBytes: await fileSize(cand.file), system: true, unopenable };
  }
}

const fileSize = (f: string | null) => (f ? stat(f).then((s) => s.size, () => 0) : Promise.resolve(0));

/**
 * `dataDirs`: the folders searched for database files (default: the usual installs' under "/");
 * tests hand in their own, so they never see this machine's /var/lib.
 */
function lister(dataDirs: (platform: Platform) => Promise<string[]>): KindDiscovery['list'] {
  return async (tools, place, user, password, signal) => {
    const found = await listingTools(tools);
    if ('missing' in found) return found.missing;
    const { isql, fbsvcmgr, toolVersion } = found;
    const platform = tools.platform;
    const c = { host: place.host, port: place.port, user } as FirebirdComponent;
    const lines: string[] = [];
    try {
      await run(planServerInfo(fbsvcmgr.path, c, password, platform), { signal, onStdoutLine: (l) => lines.push(l) });
    } catch (e) {
      if (!(e instanceof CommandError) || e.reason === 'cancelled') throw e;
      const words = serverMessage(e);
      // Firebird says the same for no password, a wrong one and an unknown user (connection.ts).
      const refused = WRONG_LOGIN.test(words);
      return { ok: false, wantsPassword: refused && password === null, wrongPassword: refused && password !== null, problem: null, message: words, toolVersion };
    }
    const candidates = await candidatesOf(parseServerInfo(lines), isLocal(place.host), await dataDirs(platform));
    const databases: FoundDatabase[] = [];
    for (const cand of candidates) databases.push(await open(isql.path, c, cand, password, platform, signal));
    return { ok: true, databases, toolVersion };
  };
}

// ---------------------------------------------------------------------------------------------
// Places and data folders

/**
 * Firebird on Linux and macOS listens on TCP only and leaves no socket. A path the admin names
 * (`--firebird /srv/medoff/medoff.gdb`) is still the socket place they asked for: the assistant's
 * knock finds nobody there and says so for that path ("nothing answers at …"), rather than this
 * quietly knocking at localhost instead. A database file is reached through its server's TCP place.
 */
function socketPlace(path: string, port?: number): Place {
  return { kind: ID, host: 'localhost', port: port ?? DEFAULT_PORT, via: 'socket', where: path };
}

/** Debian's /var/lib/firebird/<version>/data; on macOS the framework's Resources folder (its installer keeps no data folder). */
async function dataFolders(platform: Platform, roots: DataFolderRoots): Promise<DataFolder[]> {
  const dirs = platform === 'darwin' ? [join(roots.fsRoot, MAC_FRAMEWORK)] : await dataDirsUnder(platform, roots.fsRoot);
  const out: DataFolder[] = [];
  for (const d of dirs) if (await isDir(d)) out.push({ dir: d, port: DEFAULT_PORT });
  return out;
}

/** The facet with its own folders to search for database files (tests); `firebirdDiscovery` searches the usual installs'. */
export function firebirdDiscoveryIn(dataDirs: (platform: Platform) => Promise<string[]>): KindDiscovery {
  return { list: lister(dataDirs), defaultSockets: async () => [], socketPlace, dataFolders };
}

export const firebirdDiscovery: KindDiscovery = firebirdDiscoveryIn((platform) => dataDirsUnder(platform, '/'));

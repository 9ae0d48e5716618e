// MariaDB/MySQL for the first-run assistant (contract.ts: KindDiscovery): the server's databases
// with their sizes, through the client and the runner like the backup's probe (dump.ts): the login
// in a private 0600 option file (withOptionFile), never argv; the same reading of the client's
// login words. Where servers are: the usual socket files, and the data folder of Debian's and
// Homebrew's packages.
import { join } from 'node:path';
import type { MariadbComponent } from '../../config/schema';
import type { Platform } from '../../platform/paths';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import type { ToolLocator } from '../../process/tool-locator';
import { findListingTools, isDir, isSocket, underRoot } from '../common/discovery-kit';
import type { DataFolder, DataFolderRoots, FoundDatabase, KindDiscovery, Listing, Place } from '../contract';
import { mariaLoginSignals, serverMessage, withOptionFile } from './dump';
import { MARIADB, MARIADB_DUMP } from './tools';

const ID = 'mariadb';
const DEFAULT_PORT = 3306;

const SYSTEM = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

/**
 * @@port first (a socket does not say which server it belongs to; the port does), then one line per
 * database: its name in hex (any name survives batch output) and data + index length, as
 * information_schema reports it.
 */
export const MARIA_LIST_SQL = `SELECT @@port;
SELECT HEX(s.SCHEMA_NAME), COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0)
  FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME
  GROUP BY s.SCHEMA_NAME ORDER BY s.SCHEMA_NAME;`;

export function planMariaList(client: string, optFile: string, place: Place, secrets: string[]): CommandPlan {
  return {
    label: `${client.split('/').pop()} (${place.where})`,
    file: client,
    // --defaults-extra-file must come first, or the client ignores it.
    args: [
      `--defaults-extra-file=${optFile}`,
      ...(place.socketFile ? [`--socket=${place.socketFile}`, '--protocol=SOCKET'] : ['--protocol=TCP']),
      '--batch', '--skip-column-names', '--connect-timeout=15', '-e', MARIA_LIST_SQL,
    ],
    secrets,
    timeoutMs: 60_000,
  };
}

export function parseMariaList(lines: string[]): { port: number; databases: FoundDatabase[] } {
  const [first, ...rest] = lines;
  const databases = rest
    .map((l) => l.split('\t'))
    .filter((f) => f.length >= 2)
    .map(([hex, size]) => {
      const name = Buffer.from(hex!, 'hex').toString('utf8');
      return { name, sizeBytes: Number(size) || 0, system: SYSTEM.has(name.toLowerCase()) };
    });
  return { port: Number(first) || 0, databases };
}

async function list(tools: ToolLocator, place: Place, user: string, password: string | null, signal: AbortSignal): Promise<Listing> {
  const found = await findListingTools(() => tools.find(MARIADB), () => tools.find(MARIADB_DUMP));
  if ('missing' in found) return found.missing;
  const { client, toolVersion } = found;
  // For a socket the option file says host=localhost: the client then takes --socket.
  const c = { host: place.socketFile ? 'localhost' : place.host, port: place.port, user } as MariadbComponent;
  const lines: string[] = [];
  try {
    await withOptionFile(c, password, (opt) =>
      run(planMariaList(client.path, opt, place, password ? [password] : []), { signal, onStdoutLine: (l) => lines.push(l) }),
    );
    return { ok: true, ...parseMariaList(lines), toolVersion };
  } catch (e) {
    if (!(e instanceof CommandError) || e.reason === 'cancelled') throw e;
    const words = serverMessage(e);
    // "(using password: NO)" is a request for one; with one given, 1045 says "YES": it was wrong.
    const asked = mariaLoginSignals(e.stderrTail).wantsPassword;
    const refused = password !== null && /ERROR 1045 .*\(using password: YES\)/.test(words);
    return { ok: false, wantsPassword: asked, wrongPassword: refused, problem: null, message: words, toolVersion };
  }
}

/** Debian's mariadb-server, and /tmp/mysql.sock (Homebrew, MySQL's own packages). */
const SOCKETS: Record<Platform, string[]> = {
  linux: ['/run/mysqld/mysqld.sock', '/var/run/mysqld/mysqld.sock', '/tmp/mysql.sock'],
  darwin: ['/tmp/mysql.sock'],
};

function socketPlace(file: string, port?: number): Place {
  // The config can only say "localhost" (the client's own default socket): a socket elsewhere is
  // better reached over TCP, which the default places also try.
  return { kind: ID, host: 'localhost', port: port ?? DEFAULT_PORT, via: 'socket', where: file, socketFile: file };
}

async function defaultSockets(platform: Platform, fsRoot: string): Promise<Place[]> {
  const out: Place[] = [];
  for (const f of await underRoot(fsRoot, SOCKETS[platform])) if (await isSocket(f)) out.push(socketPlace(f));
  return out;
}

/** Debian's /var/lib/mysql; Homebrew's var/mysql (Apple silicon and Intel). */
async function dataFolders(platform: Platform, roots: DataFolderRoots): Promise<DataFolder[]> {
  const dirs = platform === 'darwin' ? ['opt/homebrew/var/mysql', 'usr/local/var/mysql'] : ['var/lib/mysql'];
  const out: DataFolder[] = [];
  for (const d of dirs.map((p) => join(roots.fsRoot, p))) if (await isDir(d)) out.push({ dir: d, port: DEFAULT_PORT });
  return out;
}

export const mariadbDiscovery: KindDiscovery = { list, defaultSockets, socketPlace, dataFolders };

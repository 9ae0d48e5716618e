// MariaDB/MySQL for the first-run assistant: the server's databases with their sizes, through the
// client and the runner like the backup's probe (mariadb-dump.ts): the login in a private 0600
// option file (withOptionFile), never argv; the same reading of the client's login words.
import type { MariadbComponent } from '../../config/schema';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import { mariaLoginSignals, serverMessage, withOptionFile } from '../../databases/mariadb/dump';
import type { ToolLocator } from '../../process/tool-locator';
import type { FoundDatabase } from '../contracts';
import { findListingTools, type KindLister, type Listing, type Place } from './server-listing';

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

export const mariadbLister: KindLister = {
  kind: 'mariadb',
  async list(tools: ToolLocator, place: Place, user: string, password: string | null, signal: AbortSignal): Promise<Listing> {
    const found = await findListingTools(() => tools.find('mariadb'), () => tools.find('mariadb-dump'));
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
  },
};

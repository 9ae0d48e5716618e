// PostgreSQL for the first-run assistant: the server's databases with their sizes, through psql
// and the runner like the backup's own probe (postgres-dump.ts): same connection arguments (-w:
// never prompt), the password only as PGPASSWORD in psql's environment, the same reading of
// libpq's login words (pgLoginSignals).
import type { PostgresComponent } from '../../config/schema';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import { connArgs, pgEnv, pgLoginSignals, serverMessage } from '../../databases/postgres/dump';
import type { ToolLocator } from '../../process/tool-locator';
import type { FoundDatabase } from '../contracts';
import { findListingTools, type KindLister, type Listing, type Place } from './server-listing';

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

export const postgresLister: KindLister = {
  kind: 'postgres',
  async list(tools: ToolLocator, place: Place, user: string, password: string | null, signal: AbortSignal): Promise<Listing> {
    const found = await findListingTools(() => tools.findPg('psql'), () => tools.findPg('pg_dump'));
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
  },
};

// What one login attempt at one database server says, the same for PostgreSQL and MariaDB: its
// databases, or why not — the server wants a password, the one given was wrong, or something else
// (the server's own words). Each kind is one module that answers `list` (borgmatic's layout):
// postgres-listing.ts, mariadb-listing.ts.
import type { Message } from '../../i18n';
import { PraxisError } from '../../core/errors';
import type { ToolInfo, ToolLocator } from '../../process/tool-locator';
import type { DatabaseKind, FoundDatabase } from '../contracts';

/** Where to knock: TCP host and port, or a socket (PostgreSQL: its directory; MariaDB: the socket file). */
export interface Place {
  kind: DatabaseKind;
  /** For the config: localhost / 127.0.0.1 / a host name, or the socket directory (PostgreSQL). */
  host: string;
  port: number;
  via: 'tcp' | 'socket';
  /** Shown to the admin: "localhost:5432", "/run/postgresql/.s.PGSQL.5432", "/run/mysqld/mysqld.sock". */
  where: string;
  /** MariaDB only: the socket file the client is pointed at (--socket); the config then says "localhost". */
  socketFile?: string;
}

export type Listing =
  | { ok: true; databases: FoundDatabase[]; toolVersion: string; /** MariaDB's @@port: which server a socket belongs to. */ port?: number }
  | {
      ok: false;
      /** The server asked for a password and none was given. */
      wantsPassword: boolean;
      /** A password was given and refused. */
      wrongPassword: boolean;
      /** A catalogue message when the cause is ours to name (tools missing), else null. */
      problem: Message | null;
      /** The client's last words (redacted). */
      message: string;
      toolVersion?: string;
    };

export interface KindLister {
  kind: DatabaseKind;
  list(tools: ToolLocator, place: Place, user: string, password: string | null, signal: AbortSignal): Promise<Listing>;
}

/**
 * The client that lists a kind's databases, and the version of the dump tool the backup will use
 * (the client's where the dump tool is missing). A missing client is the Listing that says so with
 * the locator's install hint.
 */
export async function findListingTools(client: () => Promise<ToolInfo>, dump: () => Promise<ToolInfo>): Promise<{ client: ToolInfo; toolVersion: string } | { missing: Listing }> {
  let found: ToolInfo;
  try {
    found = await client();
  } catch (e) {
    if (e instanceof PraxisError) return { missing: { ok: false, wantsPassword: false, wrongPassword: false, problem: e.message_, message: '' } };
    throw e;
  }
  const d = await dump().catch(() => null);
  return { client: found, toolVersion: (d ?? found).version };
}

// The contract between the restore run (restore-run.ts) and the database restorers
// (each kind's restore.ts, src/databases/<kind>/). The live database is never dropped or overwritten
// before its replacement is fully loaded and checked: each restorer loads into a new database /
// schema `<db>_restore_<stamp>`, checks it, then swaps names so the old one is kept as
// `<db>_vor_restore_<stamp>` (unless dropPrevious). A restore killed at any point before the swap
// leaves the live database exactly as it was; leftovers named `<db>_restore_*` are removed by the
// next restore of that database (and said so in the log).
import type { DatabaseComponent } from '../config/schema';
import type { Message } from '../i18n';
import type { ManifestComponent } from '../backup-directory/manifest';

/** A client connected to the live database: the manuals say to stop all clients before a restore. */
export interface DbClient {
  /** Server-side id (PostgreSQL backend pid, MariaDB connection id). */
  id: string;
  user: string;
  /** Host/address the client connects from ("192.168.1.20", "localhost", "[local]"). */
  address: string;
  /** application_name (PostgreSQL) or the current command/state (MariaDB), when known. */
  program?: string;
  /** When it connected (ISO), when known. */
  since?: string;
}

export interface DbRestoreRequest {
  component: DatabaseComponent;
  /** Absolute path of the dump file in the chosen backup (checksum already verified). */
  dumpFile: string;
  /** The dump's manifest entry: serverVersion, database, sha256, bytes. */
  entry: ManifestComponent;
  /** The admin password (credential store or typed at a prompt). Never in argv, logs or errors. */
  password: string | null;
  /** Local time of the restore as YYYYMMDD_HHMMSS: names `<db>_restore_<stamp>` and `<db>_vor_restore_<stamp>`. */
  stamp: string;
  /** Drop the previous live database after a successful swap instead of keeping it. */
  dropPrevious: boolean;
}

/** `restore --sql FILE --database NAME`: a plain SQL file (e.g. from mysqldump) into the live database, the same safe way. */
export interface SqlFileRestoreRequest<C extends DatabaseComponent = DatabaseComponent> {
  component: C;
  file: string;
  /** Never in argv, logs or errors. */
  password: string | null;
  stamp: string;
  dropPrevious: boolean;
}

export interface DbPreflight {
  /** The live server's version (as the manifest records versions). */
  serverVersion: string;
  /** Clients connected to the live database now (excluding ourselves). */
  clients: DbClient[];
  /** E.g. a different major version than the dump's: said, not fatal. A version that cannot load throws. */
  warnings: Message[];
  /** Rough bytes the restored database will take on the server (for the free-space check), when known. */
  estimatedBytes?: number;
}

export interface DbRestoreResult {
  /** The live database's name (unchanged). */
  database: string;
  /** Where the previous live database is kept now, or null when it was dropped or did not exist. */
  keptAs: string | null;
  /** Tables in the restored database (checked against the dump's table list). */
  tables: number;
  durationMs: number;
  warnings: Message[];
}

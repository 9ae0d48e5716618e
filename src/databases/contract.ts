// What the engine needs of a database kind (PostgreSQL, MariaDB/MySQL, Firebird, …): one interface,
// answered by one folder per kind (src/databases/<kind>/index.ts), looked up by `component.type`
// in the registry (registry.ts). The engine, the CLI and the tray ask the registry and never name
// a kind themselves (test/architecture.test.ts checks it). borgmatic keeps its database hooks the
// same way (hooks/data_source/<kind>.py, all answering the same functions through one dispatch).
//
// Adding a kind: a folder with an index.ts that exports a DatabaseKind, its entry in the config
// schema (src/config/schema.ts) and in KINDS (registry.ts), its texts in src/i18n/{de,en}.ts, and
// a test file that runs the contract suite (test/databases/contract.ts) against its real server.
//
// The safety rules every kind keeps (the suite checks them):
// - dump: streamed to `<dir>/<dumpFileName(name)>` with its sha256 while it is written; a cancel or
//   a failure leaves no file of that name (write to a temp name, rename when complete); the
//   password only in the child's environment or a 0600 file, never in argv.
// - restore: load into a new database beside the live one, check it, then swap names, so a restore
//   killed at any point before the swap leaves the live database exactly as it was
//   (restore-types.ts says the whole contract).
// - restoreTest: load into a scratch database named by scratchName(backupId), compare every
//   table's rows with the manifest, drop the scratch database on every way out.
import type { Component, DatabaseComponent } from '../config/schema';
import type { Lang, Message } from '../i18n';
import type { ManifestComponent } from '../backup-directory/manifest';
import type { Platform } from '../platform/paths';
import type { StepContext } from '../run/step-context';
import type { ToolLocator, ToolSpec } from '../process/tool-locator';
import type { DbPreflight, DbRestoreRequest, DbRestoreResult, SqlFileRestoreRequest } from './restore-types';

export type { DbClient, DbPreflight, DbRestoreRequest, DbRestoreResult } from './restore-types';
export type { DatabaseComponent } from '../config/schema';

/** What a kind's probe learned: at least the server's version and the database's size. */
export interface ServerInfo {
  /** As the manifest records it ("15.18 (Debian 15.18-0+deb12u1)", "10.11.6-MariaDB-0+deb12u1", "WI-V3.0.11.33703 Firebird 3.0"). */
  version: string;
  /** Bytes the database takes on the server: the backup's space estimate. */
  databaseBytes: number;
}

/** What a login attempt said, success or not (db-login.ts decides the way to log in from it). */
export interface LoginSignals {
  /** The server asked for a password (none given, or the one given was refused). */
  wantsPassword: boolean;
  /** Password files the tool skipped for their mode (~/.pgpass, ~/.my.cnf with group/world access). */
  ignoredFiles: string[];
}

/** A program a kind needs, and how to find it when launchd or a GUI gives no login shell PATH (defined beside the locator that reads it). */
export type { ToolSpec } from '../process/tool-locator';

export interface RestoreTestRequest {
  entry: ManifestComponent;
  /** Absolute path of the dump file (its checksum already verified). */
  dumpFile: string;
  password: string | null;
  /** Names the scratch database: scratchName(backupId). */
  backupId: string;
}

export interface RestoreTestResult {
  problems: Message[];
  warnings: Message[];
  tables: number;
  /** Tables whose row count was compared with the manifest. */
  counted: number;
}

/** One by-hand step of the Notfallblatt / Datensicherungskonzept: what to do, and the shell lines. */
export interface ByHandStep {
  text: string;
  code?: string;
}

/** A component's fields the by-hand steps need; placeholders when no config is known. */
export interface ByHandComponent {
  name: string;
  database?: string;
}

// ---------------------------------------------------------------------------------------------
// Discovery: the first-run assistant (`praxis-backup init`, the tray's first-start window) looks
// for a kind's servers on this machine. A kind that answers `discovery` is looked for (and gets its
// `init --<id> HOST:PORT` option and PRAXIS_BACKUP_DISCOVER_<ID> variable); one without is simply
// not proposed there and is added in the settings instead.
//
// What the assistant does with it (src/setup-assistant/discover/): knocks at the kind's TCP place
// `defaults.host:defaults.port`, at every place the admin named (`--<id> HOST:PORT`, `USER@HOST:PORT`
// or a socket path: socketPlace), and at `defaultSockets`; where something answers it calls `list`,
// first as `defaults.user` (the kind's superuser: postgres, root, SYSDBA) and on macOS also as the
// logged-in user (Homebrew and Postgres.app initialise their servers as that user); a data folder
// (`dataFolders`) with nothing answering is shown as "there is a server here — start it". The kind's
// name in its messages is `label`.

/**
 * Where a server may be reached: TCP host and port, or a socket. Made by the assistant for TCP and
 * by the kind (defaultSockets, socketPlace) for sockets.
 */
export interface Place {
  /** The kind's id (DatabaseKind.id). */
  kind: string;
  /** What goes into the config's `host`: localhost / 127.0.0.1 / a host name, or what the kind's client takes for a socket (PostgreSQL: the socket's directory). */
  host: string;
  port: number;
  via: 'tcp' | 'socket';
  /** Shown to the admin: "localhost:5432", "/run/postgresql/.s.PGSQL.5432", "/run/mysqld/mysqld.sock". For a socket without socketFile, the socket's path (the assistant connects to it to see whether anyone answers). */
  where: string;
  /** The socket file itself when `host` cannot say it (MariaDB: the config then says "localhost", the client gets --socket). */
  socketFile?: string;
}

/** One database a server holds, as `list` found it. */
export interface FoundDatabase {
  name: string;
  /** As the server reports it (pg_database_size; information_schema data+index length). */
  sizeBytes: number;
  /** The server's own (template0/1, postgres, mysql, information_schema, …): shown, never proposed. */
  system: boolean;
  /** Found (a Firebird database file or alias) but the server would not open it: its words. Then `system` is true too (never proposed); reported, not left out. */
  unopenable?: string;
}

/** What one login attempt at one server said: its databases, or why not. */
export type Listing =
  | {
      ok: true;
      databases: FoundDatabase[];
      /** The version of the dump tool the backup will use ("pg_dump (PostgreSQL) 15.18"). */
      toolVersion: string;
      /** The server's own port when the listing can tell (MariaDB's @@port: which server a socket belongs to); replaces the place's. */
      port?: number;
    }
  | {
      ok: false;
      /** The server asked for a password and none was given. */
      wantsPassword: boolean;
      /** A password was given and refused. */
      wrongPassword: boolean;
      /** A catalogue message when the cause is ours to name (tools missing: findListingTools in common/discovery-kit.ts), else null. */
      problem: Message | null;
      /** The client's last words (redacted). */
      message: string;
      toolVersion?: string;
    };

/** Where the assistant looks for data folders: tests hand in folders of their own, so they never see this machine's /var/lib. */
export interface DataFolderRoots {
  /** Prefix for absolute system paths ("/" for real): join(fsRoot, 'var/lib/mysql'). */
  fsRoot: string;
  /** The admin's home (Postgres.app keeps its clusters under ~/Library). */
  home: string;
}

/** A server's data folder: a server is installed here, whether or not it runs. */
export interface DataFolder {
  dir: string;
  /** The port its server would listen on (its own config file), else the kind's default. */
  port: number;
}

/**
 * The optional discovery facet of a kind (see above). Every function is read-only and quick to
 * give up: the assistant runs them on every first start, on machines that may have nothing of the kind.
 */
export interface KindDiscovery {
  /**
   * The server's databases with their sizes, logged in as `user` with `password` (null: without
   * one, the way a nightly run with "password": "none" would: trust, peer, the tool's own password
   * file). Through the runner like every child; the password only in the child's environment or a
   * 0600 file, never in argv. A refused login is a Listing, not a throw; throws only on cancel
   * (`signal`) and on bugs. Missing tools: findListingTools (common/discovery-kit.ts).
   */
  list(tools: ToolLocator, place: Place, user: string, password: string | null, signal: AbortSignal): Promise<Listing>;
  /** The sockets the usual installs of `platform` leave, those that exist under `fsRoot` now (each a Place with via 'socket'); [] for a kind without sockets. */
  defaultSockets(platform: Platform, fsRoot: string): Promise<Place[]>;
  /** A socket path the admin named (`--<id> /path`) as a Place; `port` if they gave one, else what the path says, else defaults.port. */
  socketPlace(path: string, port?: number): Place;
  /** The data folders of the usual installs of `platform` that exist under `roots` (Debian's /var/lib/…, Homebrew's, Postgres.app's). */
  dataFolders(platform: Platform, roots: DataFolderRoots): Promise<DataFolder[]>;
}

export interface DatabaseKind<C extends DatabaseComponent = DatabaseComponent, S extends ServerInfo = ServerInfo> {
  /** The registry key, also the credential id's scheme: `<id>://user@host:port/database`. */
  readonly id: string;
  /** The config's `type` values this kind answers (MariaDB: "mariadb" and "mysql"). */
  readonly types: readonly C['type'][];
  /** The product's name for people ("PostgreSQL", "MariaDB/MySQL"); `labelFor` tells a type apart ("MySQL"). */
  readonly label: string;
  labelFor(type: C['type']): string;
  /** Connection defaults of a new component (settings window, assistant). */
  readonly defaults: { host: string; port: number; user: string };
  /** A database name for the examples of messages (credential ids: "tomedo", "elexis"); absent: "praxis". */
  readonly exampleDatabase?: string;
  /** The component's `database` is a file path on the server (Firebird), so it may hold "/" (credential ids keep it whole). */
  readonly databaseIsPath?: boolean;
  /** The dump's file name inside a backup folder ("praxis.pgdump", "elexis.sql.gz", "praxis.fbk"). */
  dumpFileName(componentName: string): string;
  /** Every program the kind runs; the locator finds them (ToolLocator). */
  readonly tools: readonly ToolSpec[];
  /** How the server lets us in without a password from us, and the tool's own password file (db-login.ts). */
  readonly login: {
    /** "peer/trust or ~/.pgpass". */
    means: Message;
    /** "~/.pgpass (one line …; chmod 600)". */
    toolFile: Message;
    /** A password file the tool skipped because of its mode. */
    ignored(file: string): Message;
  };

  /** Log in, read the server version and the database size. Throws a PraxisError naming the database on failure. */
  probe(ctx: StepContext, c: C, password: string | null, onSignals?: (s: LoginSignals) => void): Promise<S>;
  /** Dump the live database into `dir` (rules above); the manifest entry with sha256, bytes, rows. */
  dump(ctx: StepContext, c: C, server: S, password: string | null, dir: string): Promise<ManifestComponent>;
  /** Before a restore: the live server's version, connected clients, warnings, the space it will take. */
  preflight(ctx: StepContext, req: DbRestoreRequest): Promise<DbPreflight>;
  /** Load beside the live database, check, swap (restore-types.ts). */
  restore(ctx: StepContext, req: DbRestoreRequest): Promise<DbRestoreResult>;
  /** The scratch restore test of `verify --restore-test` (rules above). */
  restoreTest(ctx: StepContext, c: C, req: RestoreTestRequest): Promise<RestoreTestResult>;
  /**
   * `restore --sql FILE --database NAME`: a plain SQL file made by the server's own dump tool (not a
   * backup of ours) loaded the restore's way, beside the live database and swapped in. Only kinds
   * whose dumps are SQL text answer it (MariaDB/MySQL); the CLI offers the components of those.
   */
  restoreSqlFile?(ctx: StepContext, req: SqlFileRestoreRequest<C>): Promise<DbRestoreResult>;
  /** The Notfallblatt's steps that load this component's dump with the standard tools alone; `$B` is the opened backup folder. */
  byHandSteps(lang: Lang, c: ByHandComponent, tools: 'linux' | 'darwin'): ByHandStep[];
  /** Optional: how the first-run assistant finds this kind's servers on this machine (KindDiscovery above). */
  readonly discovery?: KindDiscovery;
}

/** Narrowing helper for callers that hold a Component and a kind from the registry. */
export type AnyDatabaseKind = DatabaseKind<any, any>;
export type { Component };

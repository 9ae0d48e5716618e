// The first-run assistant (issue 15): the contract between its three parts, which are built apart.
//
//   discovery (src/setup-assistant/discover/*)  — what is on this machine: database servers and
//       their databases, folder facts, where a backup directory fits, external disks. Real probes
//       through the runner; no Qt, no terminal.
//   model (src/setup-assistant/assistant.ts)     — the steps, their proposals, the answers, and the
//       config they make (validated by the config schema). Qt-free, terminal-free: `praxis-backup
//       init` (src/cli/commands/init.ts) and the tray's first-start window
//       (src/tray/windows/setup-window.ts) both walk the same model, so the two can never disagree
//       about what a good first setup is.
//   apply (src/setup-assistant/apply.ts)         — writes the config (atomic, .bak, never over an
//       existing one without consent), stores a password given in the assistant in the keyring,
//       installs the schedule and the tray's start at login, runs the first backup with its restore
//       test. Only the CLI runs it: the tray window saves its answers to a file and starts
//       `praxis-backup init --answers <file> --yes --json`, reading the JSON events like any other run
//       it starts (one process seam; a backup never runs inside the tray's Qt process).
import type { Volume } from '../core/volumes';
import type { FoundDatabase } from '../databases/contract';
import type { Message } from '../i18n';

/** The steps in the order both front ends show them (the 1–6). */
export const STEP_IDS = ['databases', 'folders', 'backupDir', 'mirror', 'schedule', 'finish'] as const;
export type StepId = (typeof STEP_IDS)[number];

// ---------------------------------------------------------------------------------------------
// Discovery

/** A database kind's id (DatabaseKind.id in src/databases/registry.ts): one of the kinds with a discovery facet. */
export type DatabaseKindId = string;

export type { FoundDatabase } from '../databases/contract';

/**
 * A database server found on this machine. `host` is what goes into the config: "localhost" /
 * "127.0.0.1" for TCP, or the socket directory for a PostgreSQL socket (libpq takes a directory as
 * host). `where` is what the admin is shown.
 */
export interface FoundServer {
  kind: DatabaseKindId;
  host: string;
  port: number;
  /** How it was found. 'dataDir': a data folder exists (Postgres.app, Homebrew, Debian) but nothing answers. */
  via: 'tcp' | 'socket' | 'dataDir';
  where: string;
  /** The admin user proposed for the config: postgres / root, or the login user where that is how it is set up (Homebrew, Postgres.app). */
  user: string;
  /**
   * 'none': listed its databases without a password from us (trust, peer, ~/.pgpass, ~/.my.cnf);
   * 'password': the server asks for one (ask once, store in the keyring);
   * 'failed': something else went wrong (problem says what) — shown, not proposed.
   */
  login: 'none' | 'password' | 'failed';
  databases: FoundDatabase[];
  problem?: Message;
  /** Client tool versions as found (pg_dump 15.x …); absent when the tools are missing (problem names them). */
  toolVersion?: string;
}

/** Where a folder lives: backups of it off a network or removable disk are warned about (tomedo's manual). */
export type Location = 'local' | 'network' | 'removable';

export interface FolderFacts {
  path: string;
  exists: boolean;
  bytes: number;
  files: number;
  location: Location;
  /** ext4, apfs, nfs4, cifs, … as the mount table says. */
  fileSystem: string | null;
  mountPoint: string | null;
  /** Set when part of it cannot be read (discover.folderUnreadable: the first, how many): a backup would miss those. */
  problem?: Message;
}

export interface BackupDirCandidate {
  path: string;
  location: Location;
  freeBytes: number;
  totalBytes: number;
  /** freeBytes ≥ estimate × 1.1 (tomedo's 10 % reserve; RESERVE_FRACTION in space-check.ts). */
  fits: boolean;
}

export interface Discovery {
  /** Every server of each kind with a discovery facet (KindDiscovery) on its default port, sockets and data folders, each tried without a password. */
  findServers(signal: AbortSignal): Promise<FoundServer[]>;
  /** Lists a server's databases again with a password (the admin typed it): login becomes 'none' on success ('password' stays when it was wrong; problem says so). */
  listDatabases(server: FoundServer, password: string | null, signal: AbortSignal): Promise<FoundServer>;
  folderFacts(path: string, signal: AbortSignal): Promise<FolderFacts>;
  /** Internal-disk places for the backup directory, best first, judged against the estimated size of one backup. */
  backupDirCandidates(estimateBytes: number, signal: AbortSignal): Promise<BackupDirCandidate[]>;
  /** Attached external disks (Volumes.list() filtered to external, with a UUID). */
  externalDisks(signal: AbortSignal): Promise<Volume[]>;
}

// ---------------------------------------------------------------------------------------------
// Answers: what the admin chose. Serialisable as JSON (the tray window hands them to the CLI).

export interface DatabaseAnswer {
  /** Component name in the config ("tomedo", "elexis", "praxisdb"). */
  name: string;
  kind: DatabaseKindId;
  host: string;
  port: number;
  user: string;
  database: string;
  /** The config's password mode: "none" when the server let us in without one, "keyring" when it asked. */
  password: 'none' | 'keyring';
}

export interface FolderAnswer {
  name: string;
  path: string;
  role: 'data' | 'program';
}

export interface MirrorAnswer {
  /** Component name of the mirror ("usb"). */
  name: string;
  uuid: string;
  /** Shown only; the config references the disk by UUID. */
  label: string | null;
  /** Leads to the existing encryption setup (passphrase, Notfallblatt) after the config is written. */
  encrypt: boolean;
}

export interface Answers {
  /** Format of this object, for `init --answers FILE`. */
  version: 1;
  practiceName?: string;
  databases: DatabaseAnswer[];
  folders: FolderAnswer[];
  backupDir: string;
  mirror: MirrorAnswer | null;
  /** A cron expression (Elexis's example: Mo–Fr 03:15 = "15 3 * * 1-5"), or null for none. */
  schedule: string | null;
  /** Start the tray at every login (tray install). */
  trayAtLogin: boolean;
  /** Run the first backup, with its restore test, at the end. */
  firstBackup: boolean;
}

/**
 * Passwords typed into the assistant, by credential id (postgres://user@host:port …). Never part of
 * Answers (those are written to a file for the CLI); apply stores them in the keyring. The tray window
 * stores them itself before it starts the CLI, through the credentials code it already uses.
 */
export type TypedPasswords = Map<string, string>;

// ---------------------------------------------------------------------------------------------
// What apply reports while it works (the CLI prints them; with --json they are JSON lines the
// window reads). Backup progress itself comes as the run's own events (RunEvent).

export type ApplyStage = 'config' | 'passwords' | 'schedule' | 'tray' | 'backup' | 'encryption';

export type ApplyEvent =
  | { type: 'apply-stage'; stage: ApplyStage; state: 'start' | 'done' | 'skipped' | 'failed'; message?: Message }
  /** The end: what was saved, where, and what to do next (print the Notfallblatt, take the disk home). */
  | { type: 'apply-summary'; configFile: string; backupDir: string; backupId: string | null; restoreTest: 'passed' | 'failed' | 'not run'; next: Message[] };

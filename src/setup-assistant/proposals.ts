// What the first-run assistant proposes, as pure functions of what discovery found: the practice
// database, component names, the size estimate, the backup directory, the mirror disk and the
// schedule. Pure so that the CLI, the tray window and the tests agree by construction, and so the
// tests can feed recorded facts without starting anything.
import type { Volume } from '../core/volumes';
import { RESERVE_FRACTION } from '../backup-directory/space-check';
import type { BackupDirCandidate, DatabaseAnswer, FolderAnswer, FolderFacts, FoundDatabase, FoundServer, MirrorAnswer } from './contracts';

/** Elexis-OOB's example: Monday to Friday at 03:15, when no practice works. */
export const DEFAULT_SCHEDULE = '15 3 * * 1-5';

/** Databases of a practice program by name: what the admin most likely wants backed up, before anything merely big. */
const PRACTICE_NAMES = /tomedo|elexis|medical|medoff|medistar|praxis|turbomed|albis|arzt/i;

/** A database that is a file path on its server (Firebird): known by its file's name without the extension ("/srv/medoff/medoff.gdb" → "medoff"), not by its folders. */
export function databaseStem(database: string): string {
  return database.startsWith('/') ? database.replace(/^.*\//, '').replace(/\.[^.]*$/, '') : database;
}

/** The config's rule for component names (schema.ts componentName): they become file names in the backup. */
export const COMPONENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface PracticeDatabase {
  server: FoundServer;
  database: FoundDatabase;
}

/** Servers whose databases we could list: a 'failed' server is shown, never proposed. */
const usable = (servers: FoundServer[]) => servers.filter((s) => s.login === 'none' && s.databases.length > 0);

/**
 * The practice databases: every database named like a practice program (tomedo, elexis, medical …,
 * biggest first; a practice with tomedo on PostgreSQL and Elexis on MariaDB gets both), else the
 * biggest non-system database on any server we could log in to. [] when there is none (nothing
 * found, or every server still wants a password).
 */
export function proposePracticeDatabases(servers: FoundServer[]): PracticeDatabase[] {
  const all = usable(servers).flatMap((server) => server.databases.filter((d) => !d.system).map((database) => ({ server, database })));
  const bySize = (a: PracticeDatabase, b: PracticeDatabase) => b.database.sizeBytes - a.database.sizeBytes || a.database.name.localeCompare(b.database.name);
  const named = all.filter((c) => PRACTICE_NAMES.test(databaseStem(c.database.name))).sort(bySize);
  if (named.length) return named;
  const biggest = all.sort(bySize)[0];
  return biggest ? [biggest] : [];
}

/** The one database to name first (proposePracticeDatabases' first), or null. */
export function proposePracticeDatabase(servers: FoundServer[]): PracticeDatabase | null {
  return proposePracticeDatabases(servers)[0] ?? null;
}

/**
 * A valid, unique component name from anything (a database or folder name): characters the config
 * does not allow become "-", it is cut to 64, and "-2", "-3" … make it unique (case-insensitively,
 * as the schema compares). German umlauts and ß are written out as Germans do when they cannot
 * type them ("Anhänge" → "Anhaenge", "Röntgen" → "Roentgen", "Straße" → "Strasse"); other accents
 * are dropped ("Café" → "Cafe"). `fallback` when nothing usable is left ("…" → fallback).
 */
const GERMAN_SPELLED_OUT: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue', ß: 'ss' };

export function componentNameFrom(raw: string, taken: Iterable<string>, fallback = 'data'): string {
  let base = raw
    .normalize('NFC')
    .replace(/[äöüÄÖÜß]/g, (c) => GERMAN_SPELLED_OUT[c]!)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // ä → a: a name people can still read
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 60);
  if (!COMPONENT_NAME.test(base)) base = fallback;
  const used = new Set([...taken].map((n) => n.toLowerCase()));
  let name = base;
  for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}-${i}`;
  return name;
}

/** The config's answer for one found database: the password mode is how discovery got in ('none') or that the server asked ('keyring'). */
export function databaseAnswer(server: FoundServer, database: string, taken: Iterable<string>, loggedInWithTypedPassword = false): DatabaseAnswer {
  return {
    name: componentNameFrom(databaseStem(database), taken, server.kind),
    kind: server.kind,
    host: server.host,
    port: server.port,
    user: server.user,
    database,
    password: loggedInWithTypedPassword || server.login === 'password' ? 'keyring' : 'none',
  };
}

/**
 * One backup's size, estimated: the chosen databases as the server reports them plus the folders'
 * bytes. Dumps are usually smaller than the server's pages, so this errs on the safe side.
 */
export function estimateBytes(servers: FoundServer[], databases: DatabaseAnswer[], folders: FolderFacts[]): number {
  let total = 0;
  for (const d of databases) {
    const server = servers.find((s) => s.kind === d.kind && s.host === d.host && s.port === d.port);
    total += server?.databases.find((x) => x.name === d.database)?.sizeBytes ?? 0;
  }
  for (const f of folders) total += f.bytes;
  return total;
}

/** Free space that holds one backup and leaves tomedo's 10 % reserve: estimate × 1.1. */
export function spaceNeeded(estimate: number): number {
  return Math.ceil(estimate * (1 + RESERVE_FRACTION));
}

/** The first local candidate with room (discovery orders them best first); null when none fits. */
export function proposeBackupDir(candidates: BackupDirCandidate[]): BackupDirCandidate | null {
  return candidates.find((c) => c.location === 'local' && c.fits) ?? null;
}

/** The external disks a mirror can reference: by UUID only (a label can be shared by two disks). */
export function mirrorDisks(disks: Volume[]): Volume[] {
  return disks.filter((d) => d.external && !!d.uuid);
}

/**
 * The first external disk as the mirror "usb", encrypted: a disk that leaves the practice every
 * evening is the one that gets lost (Notfallblatt and passphrase are made by the encryption setup).
 */
export function proposeMirror(disks: Volume[], encrypt = true): MirrorAnswer | null {
  const d = mirrorDisks(disks)[0];
  return d ? { name: 'usb', uuid: d.uuid!, label: d.label, encrypt } : null;
}

/** A folder answer for a path: its name from the folder's own name, unique among the components so far. */
export function folderAnswer(path: string, role: FolderAnswer['role'], taken: Iterable<string>): FolderAnswer {
  const last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  return { name: componentNameFrom(last, taken, role === 'program' ? 'program' : 'files'), path, role };
}

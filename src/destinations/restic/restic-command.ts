// How restic is called for a configured off-site repository: the environment that carries the
// repository, its password and the backend's keys (never argv: argv is readable by every user in
// /proc/<pid>/cmdline and ends up in logs), the options every command shares, and what restic's
// error output means. Pure functions: the destination (restic-destination.ts) runs them.
//
// Versions: Debian 12 ships restic 0.14 (its exit code is 1 for every failure, so failures are told
// apart by their text); 0.17 adds exit codes 10 (no repository), 11 (locked) and 12 (wrong
// password), which are read too.
import { dirname, join } from 'node:path';
import type { Mirror } from '../../config/schema';
import { PraxisError } from '../../core/errors';
import type { ToolInfo, ToolSpec } from '../../process/tool-locator';
import type { CommandPlan } from '../../process/runner';
import type { Platform } from '../../platform/paths';

export type ResticMirror = Extract<Mirror, { type: 'restic' }>;

/** The tag every snapshot of ours carries; the backup id is a second tag. */
export const SNAPSHOT_TAG = 'praxis-backup';

/** The oldest restic we support: Debian 12's. */
export const RESTIC_MIN = { major: 0, minor: 14 };

/** A backend's secret, kept in the keyring under this id (the variable's name says which). */
export function backendCredentialId(mirrorName: string, variable: string): string {
  return `restic-env://${mirrorName}/${variable}`;
}

/** The REST server's login password: put into the repository address (in the environment), as restic 0.14 has no variable of its own for it. */
export const REST_PASSWORD = 'RESTIC_REST_PASSWORD';

export function resticTool(m: Pick<ResticMirror, 'resticPath'>): ToolSpec {
  return {
    name: 'restic',
    alternatives: [m.resticPath ? m.resticPath.split('/').pop()! : 'restic'],
    hint: 'macOS: brew install restic; Debian: apt install restic (or "resticPath" in the mirror\'s config)',
    version: { args: ['version'], okExitCodes: [0] },
    searchDirs: async (_p: Platform) => (m.resticPath ? [dirname(m.resticPath)] : []),
  };
}

/** restic older than 0.14 lacks what we rely on (--json summaries with data_added, --read-data-subset n/t). */
export function checkResticVersion(tool: ToolInfo): void {
  if (tool.major > RESTIC_MIN.major || (tool.major === RESTIC_MIN.major && tool.minor >= RESTIC_MIN.minor)) return;
  throw new PraxisError('offsite.resticTooOld', { found: tool.version || '?', path: tool.path, min: `${RESTIC_MIN.major}.${RESTIC_MIN.minor}` });
}

/** Where an SFTP repository is: user, host and port (for our own ssh command line and the reachability check). */
export interface SftpLocation {
  user: string | null;
  host: string;
  port: number;
  path: string;
}

/** restic's two SFTP forms: sftp:user@host:/path and sftp://user@host:port//path. */
export function parseSftp(repository: string): SftpLocation | null {
  const url = /^sftp:\/\/(?:([^@/]+)@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/(.*)$/.exec(repository);
  if (url) return { user: url[1] ?? null, host: url[2]!.replace(/^\[|\]$/g, ''), port: url[3] ? Number(url[3]) : 22, path: url[4]! };
  const short = /^sftp:(?:([^@/]+)@)?([^:/]+):(.*)$/.exec(repository);
  if (short) return { user: short[1] ?? null, host: short[2]!, port: 22, path: short[3]! };
  return null;
}

/** Host and port to reach before restic is started (it retries a refused connection for minutes). Null: a local path or a cloud service. */
export function networkEndpoint(repository: string): { host: string; port: number } | null {
  const sftp = parseSftp(repository);
  if (sftp) return { host: sftp.host, port: sftp.port };
  const rest = /^rest:(https?):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(repository);
  if (rest) return { host: rest[2]!.replace(/^\[|\]$/g, ''), port: rest[3] ? Number(rest[3]) : rest[1] === 'https' ? 443 : 80 };
  return null;
}

/** The backend's name in restic's -o options ("rest.connections"). */
export function backendOf(repository: string): string {
  if (repository.startsWith('/')) return 'local';
  return repository.slice(0, repository.indexOf(':'));
}

/** The address restic is given (in RESTIC_REPOSITORY): a REST login's password put in from the keyring. */
export function repositoryAddress(repository: string, restPassword: string | null): string {
  if (!restPassword || !repository.startsWith('rest:')) return repository;
  // rest:https://user@host/ → rest:https://user:<password>@host/ (URL-encoded: a password may hold @ or :).
  return repository.replace(/^(rest:https?:\/\/)([^:@/]+)@/, (_all, scheme: string, user: string) => `${scheme}${user}:${encodeURIComponent(restPassword)}@`);
}

export interface ResticAccess {
  mirror: ResticMirror;
  tool: ToolInfo;
  password: string;
  /** Backend variables (name → value) from the keyring; RESTIC_REST_PASSWORD among them for a REST login. */
  backend: Record<string, string>;
  /** Our own known_hosts for SFTP: a changed host key is refused, a new one recorded on first contact. */
  knownHosts: string;
}

/** The secrets of an access, for the runner to redact from every line it keeps. */
export function accessSecrets(a: ResticAccess): string[] {
  const values = [a.password, ...Object.values(a.backend)];
  const rest = a.backend[REST_PASSWORD];
  if (rest) values.push(encodeURIComponent(rest));
  return values.filter((v) => v.length >= 3);
}

function sq(s: string): string {
  return /^[A-Za-z0-9_./:@=,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** ssh's arguments for an SFTP repository: our key, our known_hosts, never a prompt (a night run has nobody to answer it). */
export function sshArgs(m: ResticMirror, loc: SftpLocation, knownHosts: string): string[] {
  const args = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'ServerAliveInterval=30', '-o', 'ConnectTimeout=20'];
  if (m.sshKey) args.push('-o', 'IdentitiesOnly=yes', '-i', m.sshKey);
  args.push('-p', String(loc.port), loc.user ? `${loc.user}@${loc.host}` : loc.host, '-s', 'sftp');
  return args;
}

/** restic's sftp.command (one shell-like line: restic splits it on spaces, honouring single quotes). */
export function sftpCommand(m: ResticMirror, loc: SftpLocation, knownHosts: string): string {
  return ['ssh', ...sshArgs(m, loc, knownHosts)].map(sq).join(' ');
}

/**
 * The ssh session alone, with stdin at its end, before restic is started: restic 0.14 passes ssh's
 * own words ("REMOTE HOST IDENTIFICATION HAS CHANGED") on only sometimes (measured: 6 of 40 runs
 * printed none of them), while ssh on its own always says why it failed (exit 255) or opens the
 * session (exit 0). So a changed host key or a refused login is told reliably.
 */
export function sshProbePlan(m: ResticMirror, loc: SftpLocation, knownHosts: string): CommandPlan {
  return { label: `ssh ${loc.host} (${m.name})`, file: 'ssh', args: sshArgs(m, loc, knownHosts), okExitCodes: [0], timeoutMs: 60_000 };
}

/**
 * restic reads each -o value as CSV: a comma or a double quote inside it (a key's path) would cut
 * it apart, so such a value goes in CSV quotes.
 */
export function optionArg(keyValue: string): string {
  return /[",\n]/.test(keyValue) ? `"${keyValue.replace(/"/g, '""')}"` : keyValue;
}

/** Options every command of this repository takes (connections, the SFTP command line). */
export function commonArgs(a: ResticAccess): string[] {
  const m = a.mirror;
  const out: string[] = [];
  const sftp = parseSftp(m.repository);
  if (sftp) out.push('-o', optionArg(`sftp.command=${sftpCommand(m, sftp, a.knownHosts)}`));
  if (m.connections) out.push('-o', `${backendOf(m.repository)}.connections=${m.connections}`);
  return out;
}

/** A restic command against the repository: address, password and keys in the child's environment only. */
export function resticPlan(a: ResticAccess, label: string, args: string[], extra: Partial<CommandPlan> = {}): CommandPlan {
  const { [REST_PASSWORD]: rest, ...backend } = a.backend;
  return {
    label: `restic ${label} (${a.mirror.name})`,
    file: a.tool.path,
    args: [...args, ...commonArgs(a)],
    env: {
      ...backend,
      RESTIC_REPOSITORY: repositoryAddress(a.mirror.repository, rest ?? null),
      RESTIC_PASSWORD: a.password,
      // restic asks nothing on a terminal when these are set; make sure it never waits for one.
      RESTIC_PROGRESS_FPS: '1',
    },
    secrets: accessSecrets(a),
    ...extra,
  };
}

/** The snapshot's time as restic's --time parses it: the same local time zone, in restic's own format. */
export function resticTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export type ResticFailure =
  | 'wrongPassword'
  | 'noRepository'
  | 'alreadyExists'
  | 'locked'
  | 'hostKeyChanged'
  | 'hostKeyUnknown'
  | 'authFailed'
  | 'unreachable'
  | 'full'
  | 'deleteRefused'
  | 'other';

/** What restic's exit code and error lines mean (0.14: text only; 0.17+: some exit codes). */
export function classifyFailure(exitCode: number | undefined, stderr: readonly string[]): ResticFailure {
  // ssh's note on a first contact ("subprocess ssh: Warning: Permanently added … to the list of known
  // hosts") precedes restic's real error (e.g. no repository yet, at offsite init): it is not one itself.
  const text = stderr.filter((l) => !/Warning: Permanently added .* to the list of known hosts/i.test(l)).join('\n');
  if (exitCode === 12 || /wrong password or no key found/i.test(text)) return 'wrongPassword';
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/i.test(text)) return /HAS CHANGED/i.test(text) ? 'hostKeyChanged' : 'hostKeyUnknown';
  if (/Permission denied \(publickey|Authentication failed|401 Unauthorized|unexpected HTTP response \(401\)/i.test(text)) return 'authFailed';
  if (/config (file )?already exists|repository master key and config already initialized/i.test(text)) return 'alreadyExists';
  // Before noRepository: restic 0.14 adds "Is there a repository at the following location?" to a refused connection too.
  if (/connection refused|no such host|network is unreachable|i\/o timeout|connection reset|ssh: connect to host|Connection closed by|subprocess ssh: /i.test(text)) return 'unreachable';
  if (exitCode === 10 || /Is there a repository at the following location\?|unable to open config file|repository does not exist/i.test(text)) return 'noRepository';
  if (exitCode === 11 || /repository is already locked/i.test(text)) return 'locked';
  if (/no space left on device|insufficient storage|507 Insufficient|disk quota exceeded/i.test(text)) return 'full';
  // A REST server whose disk is full answers a pack's upload with 500 (rclone: "preallocate: file too
  // big"); with --append-only the retries of that pack then get 403 (it keeps the empty file and
  // refuses to overwrite it). So a refused *upload* (Save of data, "unable to save snapshot") is a
  // full repository, not a refused deletion — only a Remove is that.
  if (/Save\(<data\/[^>]*>\) returned error.*\((500|507)\)|unable to save snapshot: server response unexpected: (500|403|507)/i.test(text)) return 'full';
  if (/403 Forbidden|unexpected HTTP response \(403\)|append.only|permission denied.*(remove|delete)/i.test(text)) return 'deleteRefused';
  return 'other';
}

/** A repository's status file beside the backups (last prune, the next slice of verify's data check). */
export function stateFile(backupDir: string, mirrorName: string): string {
  return join(backupDir, `.restic-${mirrorName}.json`);
}

// Making an off-site restic repository usable (`praxis-backup offsite init <mirror>`): either a new
// repository is created (`restic init`) with a generated password, or an existing one is connected
// with the password the admin has (from its Notfallblatt), proven by opening it. Either way the
// password ends up in the keyring as encryption://<mirror>, where every night's run looks for it.
//
// Order matters, because a repository whose password is lost is a lost backup: the keyring is asked
// first (an unavailable one stops everything before restic runs), a new password is stored BEFORE
// `restic init` (so it exists somewhere the moment the repository does; a retry reuses it, so a sheet
// printed then stays valid), and a typed password is stored only once it opened the repository.
// No CLI here: the questions (yes/no, the password) come through RepositorySetupIo.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../../config/schema';
import { ExitCode, PraxisError } from '../../core/errors';
import type { CredentialStore, SecretStore } from '../../core/secret-store';
import { encryptionCredentialId, generatePassphrase } from '../../encryption/passphrase';
import { run } from '../../process/runner';
import type { ToolInfo, ToolLocator } from '../../process/tool-locator';
import type { Reporter } from '../../run/events';
import { KNOWN_HOSTS } from './index';
import { parseSftp, type ResticMirror } from './restic-command';
import { ResticDestination } from './restic-destination';

export interface RepositorySetupDeps {
  tools: ToolLocator;
  /** Where the backend's keys are read (environment, then keyring: App.secretsFor). */
  secrets: SecretStore;
  /** The keyring the password is stored in; null: PRAXIS_BACKUP_KEYRING=off. */
  keyring: CredentialStore | null;
  /** Our own ssh folder (known_hosts of SFTP repositories). */
  sshDir: string;
  connectTimeoutMs?: number;
}

export interface RepositorySetupIo {
  /** Connect only (--existing): never create a repository. */
  existingOnly: boolean;
  /** The password was given (--passphrase-stdin): use it even when one is stored. */
  passwordGiven: boolean;
  /** The password of the existing repository (read from stdin or typed hidden), in the stored form. */
  password(repository: string): Promise<string>;
  /** Whether to create a new repository at the address (a terminal question, or --yes). */
  confirmCreate(repository: string): Promise<boolean>;
}

export interface RepositorySetupResult {
  outcome: 'created' | 'connected' | 'alreadyConnected' | 'notConfirmed';
  mirror: ResticMirror;
  credentialId: string;
  tool: ToolInfo;
  /** An SFTP server's host key as recorded in our known_hosts (key "ED25519 SHA256:…"), if any. */
  hostKey: { host: string; key: string } | null;
}

/** The configured restic mirror called `name`; exit 2 naming the restic mirrors there are. */
export function resticMirror(config: Config, name: string): ResticMirror {
  const m = config.mirrors.find((x) => x.name === name);
  const known = config.mirrors.filter((x) => x.type === 'restic').map((x) => x.name).join(', ') || '–';
  if (!m) throw new PraxisError('offsite.init.unknownMirror', { name, known }, ExitCode.invalidInput);
  if (m.type !== 'restic') throw new PraxisError('offsite.init.notRestic', { name, type: m.type, known }, ExitCode.invalidInput);
  return m;
}

/** Opens the repository with `password`: true when it opened, false when restic says there is none at the address. Other failures throw. */
async function opens(d: ResticDestination, password: string): Promise<boolean> {
  try {
    await d.unlock({ passphrase: password });
    return true;
  } catch (e) {
    if (e instanceof PraxisError && e.message_.key === 'offsite.noRepository') return false;
    throw e;
  }
}

/** Whether a repository is at the address: opened with a password nobody has, restic says "wrong password" (there is one) or "no repository". */
async function repositoryExists(d: ResticDestination): Promise<boolean> {
  try {
    return await opens(d, `probe-${randomBytes(24).toString('hex')}`);
  } catch (e) {
    if (e instanceof PraxisError && e.message_.key === 'offsite.wrongPassword') return true;
    throw e;
  }
}

export async function setupRepository(config: Config, name: string, deps: RepositorySetupDeps, io: RepositorySetupIo, reporter: Reporter): Promise<RepositorySetupResult> {
  const m = resticMirror(config, name);
  if (!deps.keyring) throw new PraxisError('offsite.init.keyringOff', { name }, ExitCode.failed);
  const keyring = deps.keyring;
  const id = encryptionCredentialId(name);
  // Asked first: a keyring that cannot be reached fails here (with its fix), before anything is created.
  const stored = await keyring.get(id);
  const knownHosts = join(deps.sshDir, KNOWN_HOSTS);
  const d = new ResticDestination(m, config.backupDir, { tools: deps.tools, secrets: deps.secrets, knownHosts, connectTimeoutMs: deps.connectTimeoutMs });
  reporter.info('offsite.init.checking', { name, repository: m.repository });
  const exists = await repositoryExists(d);
  const tool = d.tool!;
  reporter.info('run.tool', { tool: 'restic', path: tool.path, version: tool.version });
  const done = async (outcome: RepositorySetupResult['outcome']): Promise<RepositorySetupResult> => ({ outcome, mirror: m, credentialId: id, tool, hostKey: await recordedHostKey(m, knownHosts) });

  if (exists) {
    // Run twice (a script, a second try): the stored password still opens it — nothing to do.
    if (stored && !io.passwordGiven && (await opens(d, stored).catch(() => false))) return done('alreadyConnected');
    const password = await io.password(m.repository);
    // A wrong one throws offsite.wrongPassword here, and nothing is stored.
    await d.unlock({ passphrase: password });
    await keyring.set(id, password);
    reporter.info('offsite.init.connected', { name, id });
    return done('connected');
  }
  if (io.existingOnly) throw new PraxisError('offsite.init.nothingToConnect', { name, repository: m.repository }, ExitCode.failed);
  if (!(await io.confirmCreate(m.repository))) return done('notConfirmed');
  // A password stored by an earlier try that did not get as far as `restic init` is kept: its sheet stays valid.
  const password = stored ?? generatePassphrase();
  if (!stored) await keyring.set(id, password);
  await d.connect({ passphrase: password });
  await d.initRepository();
  // Proven as every night will: opened with the stored password.
  await d.unlock({ passphrase: (await keyring.get(id)) ?? '' });
  reporter.info('offsite.init.created', { name, repository: m.repository, id });
  return done('created');
}

/** The host key ssh recorded (accept-new) on first contact with an SFTP repository's server, for the admin to compare with the provider's. */
async function recordedHostKey(m: ResticMirror, knownHosts: string): Promise<{ host: string; key: string } | null> {
  const sftp = parseSftp(m.repository);
  if (!sftp) return null;
  const host = sftp.port === 22 ? sftp.host : `[${sftp.host}]:${sftp.port}`;
  try {
    const r = await run({ label: 'ssh-keygen -F', file: 'ssh-keygen', args: ['-l', '-F', host, '-f', knownHosts], timeoutMs: 10_000 });
    // "[127.0.0.1]:2222 ED25519 SHA256:abc… (comment)" per key; the "# Host … found" lines are comments.
    const keys = r.stdoutTail.filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/).slice(1, 3).join(' '));
    return keys.length ? { host: sftp.host, key: keys.join(', ') } : null;
  } catch {
    return null; // no ssh-keygen, no file yet: the output just does not name the key
  }
}

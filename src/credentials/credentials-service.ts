// What `credentials set|delete|list|test` do, without any CLI: ids checked and put into the form the
// engine looks up, passwords written to and deleted from the credential store, and a real login
// with a stored password (a database through its kind's probe, an SMB share) with every failure in
// the admin's words.
import type { Config, DatabaseComponent } from '../config/schema';
import { notifyCredentialIds } from './notify-credential-ids';
import { mirrorCredentials, mirrorSecretIds } from '../destinations/registry';
import type { Message, MessageKey, Params } from '../i18n';
import { Reporter } from '../run/events';
import { credentialId, type CredentialStore } from './credentials';
import { ExitCode, PraxisError } from '../core/errors';
import type { AnyDatabaseKind } from '../databases/contract';
import { KINDS, kindById } from '../databases/registry';
import type { ToolLocator } from '../process/tool-locator';

/** What an id is for: 'smb', 'smtp', 'ntfy', or a database kind's id (its scheme: databases/registry.ts). */
export type CredentialKind = string;

/** The schemes that are not database kinds (restic-env: a key an off-site restic repository's backend reads). */
const OTHER_SCHEMES = ['smb', 'smtp', 'ntfy', 'restic-env'];

/** A credential id taken apart. `id` is the canonical form: exactly what the engine asks the store for. */
export interface CredentialRef {
  id: string;
  kind: CredentialKind;
  user: string;
  /** As written, with the port ("localhost:5432", "nas.local"). */
  hostPort: string;
  /** Without port and brackets. */
  host: string;
  port: number | null;
  /** Database ids. */
  database?: string;
  /** smb: the share, percent-decoded. */
  share?: string;
  /** ntfy: the topic of an access token. */
  topic?: string;
}

export interface CredentialEntry {
  id: string;
  user: string;
  kind: CredentialKind | 'other';
}

/** An SMB login to test: the share of an `smb://user@host[:port]/share` id and its password. */
export interface ShareLogin {
  id: string;
  /** Without port and brackets. */
  host: string;
  /** As written in the id ("nas.local", "127.0.0.1:4455"). */
  hostPort: string;
  port: number | null;
  share: string;
  user: string;
  password: string;
}

/** Logs in to a share and lists it (Linux: smbclient), or mounts and unmounts it (macOS). */
export interface ShareLoginTester {
  /** Resolves when the login and the listing worked; throws a PraxisError saying what failed. */
  test(login: ShareLogin): Promise<void>;
}

export interface CredentialsDeps {
  store: CredentialStore;
  /** The store in the admin's words ("macOS-Schlüsselbund"), for messages. */
  storeName: Message;
  tools: ToolLocator;
  shares: ShareLoginTester;
}

export interface TestResult {
  id: string;
  kind: CredentialKind;
  user: string;
  target: string;
  /** The component or mirror of the config that uses this id, if any. */
  usedBy: string | null;
  message: Message;
}

/** One id of each scheme, for the message that rejects an id: each database kind's from its defaults. */
const examples = (): string =>
  [
    'smb://praxis@nas.local/backup',
    ...KINDS.map((k) => `${k.id}://${k.defaults.user}@${k.defaults.host}:${k.defaults.port}/${k.exampleDatabase ?? 'praxis'}`),
    'smtp://praxis@example.de@mail.example.de:587',
    'ntfy://ntfy.example.de/praxis-backup',
    'restic-env://aussenstelle/AWS_SECRET_ACCESS_KEY',
  ].join(', ');

function badId(id: string, problem: MessageKey, params: Params = {}): PraxisError {
  return new PraxisError('credentials.badId', { id, problem: { key: problem, params }, examples: examples() }, ExitCode.invalidInput);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Checks a credential id (exit 2 naming the problem) and returns it in canonical form.
 * `userOption` (--user) fills in a user the id does not name.
 */
export function parseCredentialId(raw: string, userOption?: string): CredentialRef {
  const input = raw.trim();
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(input);
  const scheme = m?.[1]!.toLowerCase();
  if (!m || !(OTHER_SCHEMES.includes(scheme!) || kindById(scheme!))) throw badId(input, 'credentials.idProblem.scheme');
  const kind: CredentialKind = scheme!;
  // restic-env://<mirror>/<VARIABLE>: no user, no host — the mirror's name and the variable restic reads (destinations/restic).
  if (kind === 'restic-env') {
    const r = /^([^/@:\s]+)\/([A-Z][A-Z0-9_]*)$/.exec(m[2]!);
    if (!r || userOption !== undefined) throw badId(input, 'credentials.idProblem.resticEnv');
    return { id: `restic-env://${r[1]}/${r[2]}`, kind, user: '', hostPort: r[1]!, host: r[1]!, port: null };
  }
  // The user is everything before the last "@" ahead of the first "/": a user may contain "@"
  // (praxis@firma.de), a host or a database name never does.
  const parts = /^(?:([^/]+)@)?([^@/]*)(?:\/(.*))?$/.exec(m[2]!);
  if (!parts) throw badId(input, 'credentials.idProblem.host');
  let user = parts[1] ?? '';
  // An ntfy access token belongs to a topic, not a user (notify.ntfy.token).
  if (kind === 'ntfy' && (user || userOption !== undefined)) throw badId(input, 'credentials.idProblem.ntfyTopic');
  if (userOption !== undefined) {
    if (user && user !== userOption) throw badId(input, 'credentials.idProblem.userTwice', { inId: user, option: userOption });
    user = userOption;
  }
  if (!user && kind !== 'ntfy') throw badId(input, 'credentials.idProblem.user');
  const hostPort = parts[2]!;
  const hp = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d*))?$/.exec(hostPort);
  if (!hostPort || !hp) throw badId(input, 'credentials.idProblem.host');
  const host = hp[1] ?? hp[2]!;
  const portText = hp[3];
  const port = portText ? Number(portText) : null;
  if (portText !== undefined && (port === null || port < 1 || port > 65535)) throw badId(input, 'credentials.idProblem.port', { value: portText || '""' });
  const path = parts[3] ?? '';

  if (kind === 'smb') {
    const [shareRaw, ...sub] = path.split('/');
    const share = decode(shareRaw ?? '');
    if (!share) throw badId(input, 'credentials.idProblem.share');
    const id = `smb://${user}@${hostPort}/${encodeURIComponent(share)}`;
    if (sub.some(Boolean)) throw badId(input, 'credentials.idProblem.subPath', { suggestion: id });
    return { id, kind, user, hostPort, host, port, share };
  }
  if (kind === 'ntfy') {
    const topic = decode(path.replace(/\/+$/, ''));
    if (!topic || topic.includes('/')) throw badId(input, 'credentials.idProblem.ntfyTopic');
    return { id: `ntfy://${hostPort}/${topic}`, kind, user: '', hostPort, host, port, topic };
  }
  if (kind === 'smtp') {
    // The SMTP password of notify.email: smtp://<user>@<host>:<port>, exactly as the deliverer asks.
    if (port === null) throw badId(input, 'credentials.idProblem.smtpPort', { value: '—' });
    if (path) throw badId(input, 'credentials.idProblem.smtpPath');
    return { id: `smtp://${user}@${hostPort}`, kind, user, hostPort, host, port };
  }
  if (port === null) throw badId(input, 'credentials.idProblem.port', { value: '—' });
  if (!path || (path.includes('/') && !kindById(kind)?.databaseIsPath)) throw badId(input, 'credentials.idProblem.database');
  return { id: `${kind}://${user}@${hostPort}/${path}`, kind, user, hostPort, host, port, database: path };
}

/** Every id the config's components and mirrors look up, with who uses it. */
export function configuredIds(config: Config): { id: string; name: string }[] {
  const out: { id: string; name: string }[] = [];
  for (const c of config.components) {
    const id = credentialId(c);
    if (id) out.push({ id, name: c.name });
  }
  for (const c of mirrorCredentials(config.mirrors)) out.push({ id: c.id, name: c.mirror.name });
  for (const c of mirrorSecretIds(config.mirrors)) out.push({ id: c.id, name: c.mirror.name });
  out.push(...notifyCredentialIds(config.notify));
  return out;
}

function usedByIn(config: Config | null, id: string): string | null {
  return config ? (configuredIds(config).find((c) => c.id === id)?.name ?? null) : null;
}

function target(ref: CredentialRef): string {
  if (ref.kind === 'smb') return `//${ref.hostPort}/${ref.share}`;
  if (ref.kind === 'smtp') return `SMTP ${ref.hostPort}`;
  if (ref.kind === 'ntfy') return `ntfy ${ref.hostPort}/${ref.topic}`;
  const kind = databaseKind(ref);
  return `${kind.labelFor(kind.types[0])} ${ref.hostPort}/${ref.database}`;
}

/** The kind of a database id (the parser let only registered schemes through). */
const databaseKind = (ref: CredentialRef): AnyDatabaseKind => kindById(ref.kind)!;

/** The server's own words, without the client's error number ("ERROR 1045 (28000): "): the kind's probe names the rest. */
const serverWords = (message: string): string => message.replace(/^ERROR \d+ \(\w+\)( at line \d+)?: /, '');

// PostgreSQL: "password authentication failed for user …", "fe_sendauth: no password supplied".
// MariaDB/MySQL: ERROR 1045 "Access denied for user 'root'@'localhost' (using password: YES)".
const WRONG_DB_LOGIN = /password authentication failed|no password supplied|ERROR 1045|Access denied for user/;

export class CredentialsService {
  constructor(private readonly deps: CredentialsDeps) {}

  get storeDescription(): string {
    return this.deps.store.description;
  }

  get storeName(): Message {
    return this.deps.storeName;
  }

  async set(id: string, password: string, userOption?: string): Promise<CredentialRef> {
    const ref = parseCredentialId(id, userOption);
    if (password.length === 0) throw new PraxisError('credentials.emptyPassword', {}, ExitCode.invalidInput);
    if (/[\r\n]/.test(password)) throw new PraxisError('credentials.multiLine', {}, ExitCode.invalidInput);
    await this.deps.store.set(ref.id, password);
    return ref;
  }

  async delete(id: string): Promise<CredentialRef> {
    const ref = parseCredentialId(id);
    if (!(await this.deps.store.delete(ref.id))) throw new PraxisError('credentials.notStored', { id: ref.id, store: this.deps.storeName });
    return ref;
  }

  /** Ids, users and kinds; the store's API hands out passwords too, they never leave it. */
  async list(): Promise<CredentialEntry[]> {
    return (await this.deps.store.ids()).map((id) => {
      try {
        const ref = parseCredentialId(id);
        return { id, user: ref.user, kind: ref.kind };
      } catch {
        return { id, user: '', kind: 'other' as const };
      }
    });
  }

  /** Logs in with the stored password. Throws a PraxisError (exit 1) saying what failed. */
  async test(id: string, config: Config | null, signal?: AbortSignal): Promise<TestResult> {
    const ref = parseCredentialId(id);
    // A mail or push login is tested by sending: that is `notify test`, which says each step.
    if (ref.kind === 'smtp' || ref.kind === 'ntfy') throw new PraxisError('credentials.test.useNotifyTest', { id: ref.id, channel: ref.kind === 'smtp' ? 'email' : 'ntfy' }, ExitCode.invalidInput);
    // A backend's key is tested by opening the repository with it.
    if (ref.kind === 'restic-env') throw new PraxisError('credentials.test.useOffsiteInit', { id: ref.id, name: ref.host }, ExitCode.invalidInput);
    const usedBy = usedByIn(config, ref.id);
    const password = await this.deps.store.get(ref.id);
    if (password === null) throw new PraxisError('credentials.test.noPassword', { id: ref.id, store: this.deps.storeName });
    const base = { id: ref.id, kind: ref.kind, user: ref.user, target: target(ref), usedBy };

    if (ref.kind === 'smb') return this.loginToShare(ref, password, usedBy);
    const component = this.component(ref, config);
    let version: string;
    try {
      // The kind's own probe, the backup's first login: the same client, the password only in its environment or a 0600 file.
      const ctx = { platform: this.deps.tools.platform, tools: this.deps.tools, secrets: this.deps.store, reporter: new Reporter([]), signal: signal ?? new AbortController().signal };
      version = (await databaseKind(ref).probe(ctx, component, password)).version;
    } catch (e) {
      if (!(e instanceof PraxisError) || e.message_.key !== 'error.dbConnect') throw e; // tool not found, a cancel
      const message = serverWords(String(e.message_.params?.message ?? ''));
      if (WRONG_DB_LOGIN.test(message)) {
        throw new PraxisError('credentials.test.wrongPassword', { user: ref.user, target: base.target, detail: message, id: ref.id });
      }
      throw new PraxisError('error.dbConnect', { database: ref.database!, host: ref.host, port: ref.port!, user: ref.user, message });
    }
    return { ...base, message: { key: 'credentials.test.ok', params: { user: ref.user, target: base.target, detail: { key: 'credentials.test.serverVersion', params: { version } } } } };
  }

  /**
   * Logs in to a share with a typed password that is not stored yet: the tray's credentials
   * window checks it before saving, so a typo never replaces a working password.
   */
  async testShare(id: string, password: string, config: Config | null = null): Promise<TestResult> {
    const ref = parseCredentialId(id);
    if (ref.kind !== 'smb') throw badId(ref.id, 'credentials.idProblem.share');
    if (password.length === 0) throw new PraxisError('credentials.emptyPassword', {}, ExitCode.invalidInput);
    return this.loginToShare(ref, password, usedByIn(config, ref.id));
  }

  private async loginToShare(ref: CredentialRef, password: string, usedBy: string | null): Promise<TestResult> {
    await this.deps.shares.test({ id: ref.id, host: ref.host, hostPort: ref.hostPort, port: ref.port, share: ref.share!, user: ref.user, password });
    const message: Message = { key: 'credentials.test.ok', params: { user: ref.user, target: target(ref), detail: { key: 'credentials.test.shareListed', params: { share: ref.share! } } } };
    return { id: ref.id, kind: ref.kind, user: ref.user, target: target(ref), usedBy, message };
  }

  /** The config's component for this id (same host spelling as the engine uses), else one made from the id. */
  private component(ref: CredentialRef, config: Config | null): DatabaseComponent {
    const fromConfig = config?.components.find((c): c is DatabaseComponent => credentialId(c) === ref.id);
    if (fromConfig) return fromConfig;
    return { name: 'credentials-test', type: databaseKind(ref).types[0], database: ref.database!, host: ref.host, port: ref.port!, user: ref.user } as DatabaseComponent;
  }
}

// How a run logs in to a database (issue 15, README "Passwords"): which password, if any, it gives
// psql / mariadb, and where that came from. The run says which way it logged in, so an admin reading
// the nightly log knows whether the keyring was needed.
//
//   environment (PRAXIS_BACKUP_PASSWORD_<NAME>) — always first: explicit, per run, for scripts;
//   "password": "keyring" — then the keyring, as before (unreachable = its own clear error);
//   "password": "none"    — never the keyring: the tools' own means (peer/trust, ~/.pgpass, ~/.my.cnf);
//   not set               — first without a password from us; the keyring only when the server asks
//                           for one. A nightly run on a server without a desktop (no D-Bus, no
//                           keyring) that needs none then never touches the keyring.
//
// Password and option files the client skips because of their mode (libpq: group/world readable;
// MariaDB: world-writable) are named with the fix: otherwise the admin sees only "no password
// supplied" and a file that plainly holds the password.
import type { DatabaseComponent } from '../config/schema';
import type { Message, MessageKey, Params } from '../i18n';
import { ConfiguredSecretStore, credentialId, passwordEnvVar, storeName, type SecretStore } from './credentials';
import { PraxisError } from '../core/errors';
import type { Reporter } from '../run/events';
import type { StepContext } from '../run/step-context';
import type { LoginSignals } from '../databases/contract';
import { kindFor } from '../databases/registry';

export type LoginWay = 'none' | 'environment' | 'keyring';

type DbComponent = DatabaseComponent;

/** A probe that connects with the given password (null: none from us) and reports what the client said. */
export type Probe<T> = (password: string | null, onSignals: (s: LoginSignals) => void) => Promise<T>;

export interface DbLogin<T> {
  password: string | null;
  server: T;
  way: LoginWay;
}

/** The two sources apart; a plain SecretStore (tests, older callers) counts as the keyring. */
function sources(secrets: SecretStore) {
  if (secrets instanceof ConfiguredSecretStore) {
    return { env: (id: string) => secrets.fromEnvironment(id), keyring: (id: string) => secrets.fromKeyring(id), keyringOn: (id: string) => secrets.keyringAllowed(id) };
  }
  return { env: async () => null, keyring: (id: string) => secrets.get(id), keyringOn: () => true };
}

/**
 * Connects once (the run's probe) the way the config says, and says which way it logged in.
 * Throws the probe's own connect error, or one that says why no password was given and how to
 * give one.
 */
export async function loginDatabase<T>(secrets: SecretStore, c: DbComponent, reporter: Reporter, probe: Probe<T>): Promise<DbLogin<T>> {
  const id = credentialId(c)!;
  const src = sources(secrets);
  const { login } = kindFor(c);
  const ignored = new Set<string>();
  const wants = { password: false };
  const listen = (s: LoginSignals): void => {
    wants.password = s.wantsPassword;
    for (const f of s.ignoredFiles) ignored.add(f);
  };
  const hint = (): Message | string => {
    const first = [...ignored][0];
    return first ? { key: 'login.ignoredHint', params: { text: login.ignored(first) } } : '';
  };
  const done = (password: string | null, server: T, way: LoginWay): DbLogin<T> => {
    const key: MessageKey = way === 'none' ? 'run.login.none' : way === 'environment' ? 'run.login.environment' : 'run.login.keyring';
    reporter.info(key, { name: c.name, means: login.means, variable: passwordEnvVar(c.name), store: storeName(secrets) });
    // Logged in all the same (trust, the keyring): the skipped file is still a trap for later.
    for (const f of ignored) reporter.warn(login.ignored(f).key, { file: f });
    return { password, server, way };
  };
  const params = (extra: Params = {}): Params => ({
    name: c.name, database: c.database, host: c.host, port: c.port, user: c.user, id, variable: passwordEnvVar(c.name), toolFile: login.toolFile, ignored: hint(), ...extra,
  });

  const fromEnv = await src.env(id);
  if (fromEnv !== null) return done(fromEnv, await probe(fromEnv, listen), 'environment');

  if (c.password === 'keyring') {
    // As before issue 15: the keyring is asked first, and an unreachable one is its own error.
    const stored = await src.keyring(id);
    if (stored === null) reporter.info('warn.noPassword', { name: c.name });
    const server = await probe(stored, listen);
    return done(stored, server, stored === null ? 'none' : 'keyring');
  }

  // "none" and not set: first without a password from us.
  let firstError: unknown;
  try {
    return done(null, await probe(null, listen), 'none');
  } catch (e) {
    if (!wants.password) throw e;
    firstError = e;
  }
  const serverWords = firstError instanceof PraxisError ? firstError.message_.params?.message ?? '' : '';
  if (c.password === 'none' || !src.keyringOn(id)) {
    throw new PraxisError('error.dbPasswordNotFromTool', params({
      message: serverWords,
      why: { key: c.password === 'none' ? 'login.why.none' : 'login.why.keyringOff', params: {} },
    }));
  }
  let stored: string | null;
  try {
    stored = await src.keyring(id);
  } catch (e) {
    if (!(e instanceof PraxisError) || e.message_.key !== 'error.secretStoreUnavailable') throw e;
    // Both halves of the truth: the server wants a password, and the place it would come from is
    // shut (the keyring's own message: why, its fix, the id it was asked for).
    throw new PraxisError('error.dbPasswordKeyringUnavailable', params({ message: serverWords, keyring: e.message_ }));
  }
  if (stored === null) throw new PraxisError('error.dbPasswordMissing', params({ message: serverWords, store: storeName(secrets) }));
  return done(stored, await probe(stored, listen), 'keyring');
}

/**
 * The password a restore tries first, the way the config says (restore asks the admin itself and
 * has its own "wrong password" check, so it cannot use loginDatabase's probe): the environment;
 * with "keyring" the keyring (an unreachable one is its own error); otherwise none from us, and
 * `keyringLater` says whether the keyring may be asked once the server turns that down — so a
 * restore on a server with trust/peer/~/.pgpass never touches a keyring it does not need.
 */
export async function firstLoginPassword(secrets: SecretStore, c: DbComponent): Promise<{ password: string | null; keyringLater: boolean }> {
  const id = credentialId(c)!;
  const src = sources(secrets);
  const fromEnv = await src.env(id);
  if (fromEnv !== null) return { password: fromEnv, keyringLater: false };
  if (c.password === 'keyring') return { password: await src.keyring(id), keyringLater: false };
  return { password: null, keyringLater: c.password === undefined && src.keyringOn(id) };
}

/** The keyring's password for a restore after the server asked for one; null when there is none or the keyring cannot be reached (the admin is asked then). */
export async function laterKeyringPassword(secrets: SecretStore, c: DbComponent): Promise<string | null> {
  try {
    return await sources(secrets).keyring(credentialId(c)!);
  } catch (e) {
    if (e instanceof PraxisError && e.message_.key === 'error.secretStoreUnavailable') return null;
    throw e;
  }
}

/**
 * The passwords the run's probes settled on, for the rest of the run (dumps, the restore test after
 * the backup): asked again, the keyring would be touched although the server needed none.
 */
export class SettledSecretStore implements SecretStore {
  constructor(
    private readonly settled: ReadonlyMap<string, string | null>,
    private readonly rest: SecretStore,
  ) {}
  get description(): string {
    return this.rest.description;
  }
  get displayName(): Message | undefined {
    return this.rest.displayName;
  }
  has(id: string): boolean {
    return this.settled.has(id);
  }
  async get(id: string): Promise<string | null> {
    return this.settled.has(id) ? this.settled.get(id)! : this.rest.get(id);
  }
}

/**
 * The password for a database outside a backup's own probe (a scheduled `verify --restore-test`):
 * what the backup run settled on, else a login of its own, the same way (one short probe).
 */
export async function databaseLoginPassword(ctx: StepContext, c: DbComponent): Promise<string | null> {
  const id = credentialId(c)!;
  if (ctx.secrets instanceof SettledSecretStore && ctx.secrets.has(id)) return ctx.secrets.get(id);
  const kind = kindFor(c);
  const probe: Probe<unknown> = (pw, on) => kind.probe(ctx, c, pw, on);
  return (await loginDatabase(ctx.secrets, c, ctx.reporter, probe)).password;
}

// The composition root: the only place that asks which platform this is and picks the adapters.
import { realpathSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import type { Config } from '../config/schema';
import { DiskutilVolumes } from '../diskutil/diskutil-volumes';
import { MacCrypt } from '../diskutil/mac-crypt';
import { LinuxVolumes } from '../diskutil/linux-volumes';
import { SmbShares } from '../diskutil/smb-mount';
import type { Volumes } from '../core/volumes';
import type { Lang } from '../i18n';
import { SilentNotifier, SystemNotifier, type Notifier } from '../notify/notifier';
import { appPaths, type AppPaths, type Platform } from '../platform/paths';
import { currentPlatform } from './platform';
import { run } from '../process/runner';
import { KeytarSecretStore } from '../credentials/keytar-secret-store';
import { defaultCollectionLocked } from '../credentials/secret-service-lock';
import { MountLoginTester, SmbclientLoginTester } from '../credentials/smb-login-test';
import { ChainSecretStore, ConfiguredSecretStore, EnvSecretStore, type CredentialStore, type SecretStore } from '../credentials/credentials';
import { CredentialsService } from '../credentials/credentials-service';
import type { MirrorDeps } from '../mirror/mirror-run';
import { StatusStore } from '../run/status-store';
import { ToolLocator } from '../process/tool-locator';
import { databaseTools } from '../databases/registry';
import { checkFullDiskAccess, type FullDiskAccess } from '../platform/full-disk-access';
import { LaunchdScheduler } from '../schedule/launchd-scheduler';
import type { ProgramPaths, Scheduler, SchedulerKind } from '../schedule/scheduler';
import { SystemdUserScheduler } from '../schedule/systemd-user-scheduler';
import { createDeliverer, createHeartbeat, type NotifyDeliverer } from '../alerting/deliver';
import { notifyCredentialIds } from '../credentials/notify-credential-ids';
import type { HeartbeatClient } from '../alerting/heartbeat';

export interface App {
  platform: Platform;
  paths: AppPaths;
  tools: ToolLocator;
  status: StatusStore;
  version: string;
  /**
   * The clock of what is decided by the calendar (weekly summary, monthly report, once a day):
   * the real time, or — for tests only — a start instant given by PRAXIS_BACKUP_TEST_NOW (ISO)
   * that then advances in real time, so a test never depends on the day it runs.
   */
  now(): Date;
  secretsFor(config: Config): SecretStore;
  /** `credentials set|delete|list|test`: the Keychain / Secret Service itself. */
  credentials(): CredentialsService;
  /** The Keychain / Secret Service itself, for ids the credentials command does not parse (encryption://<mirror>). */
  keyring(): CredentialStore;
  volumes(): Volumes;
  /** macOS only (null elsewhere): diskutil itself and the runner, for `volumes prepare` (erase + encrypt a USB disk). */
  macDisks(): { volumes: DiskutilVolumes; run: typeof run } | null;
  notifier(): Notifier;
  mirrorDeps(config: Config, lang: Lang): MirrorDeps;
  /** launchd on macOS, systemd user units on Linux; `kind` only for `schedule render --for`. */
  scheduler(kind?: SchedulerKind): Scheduler;
  /** Whether this process's node binary has Full Disk Access (macOS; 'not applicable' elsewhere). */
  fullDiskAccess(): Promise<FullDiskAccess>;
  /**
   * Opens a folder in Finder / the desktop's file manager, or a URL (the Full Disk Access pane:
   * FULL_DISK_ACCESS_PANE). Does not wait for the opened program; rejects when it cannot start.
   */
  openExternal(target: string): Promise<void>;
  /**
   * Issue 14: the configured notification channels (e-mail, ntfy, webhook) with the outbox in the
   * state folder, or null when `notify` names none. Secrets: environment first
   * (PRAXIS_BACKUP_PASSWORD_SMTP, PRAXIS_BACKUP_PASSWORD_NTFY), then the keyring.
   */
  deliverer(config: Config): NotifyDeliverer | null;
  /** The heartbeat of `notify.heartbeat`, or null. */
  heartbeat(config: Config): HeartbeatClient | null;
}

/** System Settings → Privacy & Security → Full Disk Access (macOS 13+, also understood by 10.15–12). */
export const FULL_DISK_ACCESS_PANE = 'x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles';

function macCrypt(): MacCrypt {
  const diskutil = new DiskutilVolumes(run);
  return new MacCrypt({ run, info: (id) => diskutil.info(id), mount: (v) => diskutil.mount(v), unmount: (v) => diskutil.unmount(v) });
}

/** Real time, or a test's start instant advancing from the moment this process composed its app. */
export function testClock(start: string | undefined): () => Date {
  const at = start ? Date.parse(start) : NaN;
  if (!start || Number.isNaN(at)) return () => new Date();
  const t0 = Date.now();
  return () => new Date(at + (Date.now() - t0));
}

export function compose(env: NodeJS.ProcessEnv = process.env): App {
  const platform: Platform = currentPlatform();
  const home = env.HOME || homedir();
  const paths = appPaths(platform, env, home);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // Loaded lazily on first use; Linux asks D-Bus whether the keyring is locked when nothing is found.
  const keyring = new KeytarSecretStore({ platform, isLocked: platform === 'linux' ? () => defaultCollectionLocked(run) : undefined });
  const app: App = {
    platform,
    paths,
    tools: new ToolLocator(platform, env, databaseTools()),
    status: new StatusStore(paths.stateDir),
    version: pkg.version,
    now: testClock(env.PRAXIS_BACKUP_TEST_NOW),
    // Environment first: it is explicit, per run. Then the keyring; if that cannot be reached, a
    // lookup fails with the reason and the fix (never a silent "no password"). Setups that keep
    // passwords elsewhere on purpose (~/.pgpass) say so per component with "password": "none", or
    // for everything with PRAXIS_BACKUP_KEYRING=off.
    secretsFor: (config) =>
      ConfiguredSecretStore.forConfig(env, config.components, config.mirrors, env.PRAXIS_BACKUP_KEYRING === 'off' ? null : keyring),
    keyring: () => keyring,
    credentials: () =>
      new CredentialsService({
        store: keyring,
        storeName: { key: platform === 'darwin' ? 'secretStore.name.darwin' : 'secretStore.name.linux' },
        tools: app.tools,
        shares:
          platform === 'darwin'
            ? new MountLoginTester(new SmbShares({ platform, run }), env.PRAXIS_BACKUP_SMB_MOUNT_BASE || join(paths.stateDir, 'shares'))
            : new SmbclientLoginTester(run, env),
      }),
    volumes: () =>
      platform === 'darwin'
        ? new DiskutilVolumes(run)
        : new LinuxVolumes({ mountBase: env.PRAXIS_BACKUP_MOUNT_BASE || (isRoot ? '/run/praxis-backup/volumes' : join(paths.stateDir, 'volumes')) }),
    macDisks: () => (platform === 'darwin' ? { volumes: new DiskutilVolumes(run), run } : null),
    // The tray shows notifications itself (it reads the run's events) and sets PRAXIS_BACKUP_NOTIFY=none.
    notifier: () => (env.PRAXIS_BACKUP_NOTIFY === 'none' ? new SilentNotifier() : new SystemNotifier(platform)),
    mirrorDeps: (config, lang) => ({
      volumes: app.volumes(),
      shares: new SmbShares({ platform, run }),
      secrets: app.secretsFor(config),
      tools: app.tools,
      status: app.status,
      notifier: app.notifier(),
      // mount_smbfs needs a mount point the user owns (FACTS.md §2): under our own state folder.
      smbMountBase: env.PRAXIS_BACKUP_SMB_MOUNT_BASE || join(paths.stateDir, 'shares'),
      // Encrypted mirrors: macOS APFS volumes and sparse bundles; Linux gocryptfs (the default).
      ...(platform === 'darwin' ? { crypt: macCrypt() } : {}),
      lang,
    }),
    scheduler: (kind = platform === 'darwin' ? 'launchd' : 'systemd') => {
      const program = selfProgram();
      return kind === 'launchd'
        ? new LaunchdScheduler({ run, home, uid: process.getuid?.() ?? 0, program })
        : new SystemdUserScheduler({ run, home, env, user: env.USER || userInfo().username, program });
    },
    fullDiskAccess: () => checkFullDiskAccess(platform, process.execPath),
    openExternal: async (target) => {
      // `open` returns at once; xdg-open hands over to the desktop's opener and returns too.
      const plan = { label: `open ${target}`, file: platform === 'darwin' ? '/usr/bin/open' : 'xdg-open', args: [target], timeoutMs: 15_000 };
      await run(plan);
    },
    deliverer: (config) =>
      createDeliverer(config.notify, {
        secrets: notifySecrets(config, env, keyring),
        storeName: { key: platform === 'darwin' ? 'secretStore.name.darwin' : 'secretStore.name.linux' },
        stateDir: paths.stateDir,
        now: app.now,
        hostname: hostname(),
        version: app.version,
        timeoutMs: notifyTimeout(env),
      }),
    heartbeat: (config) => createHeartbeat(config.notify, { version: app.version, timeoutMs: notifyTimeout(env) }),
  };
  return app;
}

/**
 * The SMTP password and the ntfy token: PRAXIS_BACKUP_PASSWORD_SMTP / _NTFY for scripted setups
 * (the runner keeps every PRAXIS_BACKUP_PASSWORD_* away from child processes), then the keyring.
 */
function notifySecrets(config: Config, env: NodeJS.ProcessEnv, keyring: CredentialStore): SecretStore {
  const byId = new Map(notifyCredentialIds(config.notify).map(({ id, name }) => [id, name === 'notify.email' ? 'PRAXIS_BACKUP_PASSWORD_SMTP' : 'PRAXIS_BACKUP_PASSWORD_NTFY']));
  const fromEnv = new EnvSecretStore(env, byId);
  return new ChainSecretStore(env.PRAXIS_BACKUP_KEYRING === 'off' ? [fromEnv] : [fromEnv, keyring]);
}

/** PRAXIS_BACKUP_NOTIFY_TIMEOUT_MS: a longer wait for a slow link, or a short one in tests (0.1 s … 120 s). */
function notifyTimeout(env: NodeJS.ProcessEnv): number | undefined {
  const ms = Number(env.PRAXIS_BACKUP_NOTIFY_TIMEOUT_MS);
  return Number.isFinite(ms) && ms >= 100 && ms <= 120_000 ? ms : undefined;
}

/**
 * What a scheduled job must run: this very node binary and this CLI file, both absolute and with
 * symlinks resolved (an npm bin link may move; the file it points to is what ran). launchd and
 * systemd start jobs without the login shell's PATH, so `node` alone would not be found. After a
 * node update or moving the installation, `schedule status` names the path that is gone.
 */
export function selfProgram(): ProgramPaths {
  const script = process.argv[1] ?? '';
  let cli = script;
  try {
    cli = realpathSync(script);
  } catch {
    /* not a file (REPL, eval): the renderer refuses a relative path with a clear message */
  }
  return { node: process.execPath, cli };
}

// The composition root: the only place that asks which platform this is and picks the adapters.
import { homedir } from 'node:os';
import { join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import type { Config } from '../config/schema';
import { DiskutilVolumes } from '../diskutil/diskutil-volumes';
import { LinuxVolumes } from '../diskutil/linux-volumes';
import { SmbShares } from '../diskutil/smb-mount';
import type { Volumes } from '../diskutil/volumes';
import type { Lang } from '../i18n';
import { SilentNotifier, SystemNotifier, type Notifier } from '../notify/notifier';
import { appPaths, type AppPaths, type Platform } from '../platform/paths';
import { run } from '../process/runner';
import { ChainSecretStore, EnvSecretStore, type SecretStore } from '../services/credentials';
import type { MirrorDeps } from '../services/mirror-run';
import { StatusStore } from '../services/status-store';
import { ToolLocator } from '../services/tool-locator';

export interface App {
  platform: Platform;
  paths: AppPaths;
  tools: ToolLocator;
  status: StatusStore;
  version: string;
  secretsFor(config: Config): SecretStore;
  volumes(): Volumes;
  notifier(): Notifier;
  mirrorDeps(config: Config, lang: Lang): MirrorDeps;
}

export function compose(env: NodeJS.ProcessEnv = process.env): App {
  const platform: Platform = process.platform === 'darwin' ? 'darwin' : 'linux';
  const home = env.HOME || homedir();
  const paths = appPaths(platform, env, home);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const app: App = {
    platform,
    paths,
    tools: new ToolLocator(platform, env),
    status: new StatusStore(paths.stateDir),
    version: pkg.version,
    // The Keychain / Secret Service store joins this chain with the credentials issue.
    secretsFor: (config) => new ChainSecretStore([EnvSecretStore.forComponents(env, config.components, config.mirrors)]),
    volumes: () =>
      platform === 'darwin'
        ? new DiskutilVolumes(run)
        : new LinuxVolumes({ mountBase: env.PRAXIS_BACKUP_MOUNT_BASE || (isRoot ? '/run/praxis-backup/volumes' : join(paths.stateDir, 'volumes')) }),
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
      lang,
    }),
  };
  return app;
}

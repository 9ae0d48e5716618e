// Where config, status and logs live on each platform. Pure: the composition root hands in the
// platform and environment, so tests can ask for macOS paths on Linux.
import { join } from 'node:path';

export type Platform = 'darwin' | 'linux';

export interface AppPaths {
  configFile: string;
  /** status.json and other small state the tray watches. */
  stateDir: string;
  /** One JSON-lines log file per run. */
  logDir: string;
}

export function appPaths(platform: Platform, env: NodeJS.ProcessEnv, home: string): AppPaths {
  if (platform === 'darwin') {
    const support = join(home, 'Library', 'Application Support', 'Praxis-Backup');
    return {
      configFile: join(support, 'config.json'),
      stateDir: env.PRAXIS_BACKUP_STATE_DIR || support,
      logDir: env.PRAXIS_BACKUP_LOG_DIR || join(home, 'Library', 'Logs', 'Praxis-Backup'),
    };
  }
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  const stateHome = env.XDG_STATE_HOME || join(home, '.local', 'state');
  const stateDir = env.PRAXIS_BACKUP_STATE_DIR || join(stateHome, 'praxis-backup');
  return {
    configFile: join(configHome, 'praxis-backup', 'config.json'),
    stateDir,
    logDir: env.PRAXIS_BACKUP_LOG_DIR || join(stateDir, 'logs'),
  };
}

// The composition root: the only place that asks which platform this is and picks the adapters.
import { homedir } from 'node:os';
import pkg from '../../package.json' with { type: 'json' };
import type { Config } from '../config/schema';
import { appPaths, type AppPaths, type Platform } from '../platform/paths';
import { ChainSecretStore, EnvSecretStore, type SecretStore } from '../services/credentials';
import { StatusStore } from '../services/status-store';
import { ToolLocator } from '../services/tool-locator';

export interface App {
  platform: Platform;
  paths: AppPaths;
  tools: ToolLocator;
  status: StatusStore;
  version: string;
  secretsFor(config: Config): SecretStore;
}

export function compose(env: NodeJS.ProcessEnv = process.env): App {
  const platform: Platform = process.platform === 'darwin' ? 'darwin' : 'linux';
  const paths = appPaths(platform, env, env.HOME || homedir());
  return {
    platform,
    paths,
    tools: new ToolLocator(platform, env),
    status: new StatusStore(paths.stateDir),
    version: pkg.version,
    // The Keychain / Secret Service store joins this chain with the credentials issue.
    secretsFor: (config) => new ChainSecretStore([EnvSecretStore.forComponents(env, config.components)]),
  };
}

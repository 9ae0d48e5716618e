// Picks the Autostart adapter for the platform the composition root reported (it alone asks which
// platform this is) and the program of this installation.
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { selfProgram } from '../app/compose';
import type { Platform } from '../platform/paths';
import { run } from '../process/runner';
import type { Autostart, AutostartSpec } from './autostart';
import { LaunchdTrayAgent } from './launchd-tray-agent';
import { trayProgram } from './tray-program';
import { XdgAutostart } from './xdg-autostart';

export function createAutostart(platform: Platform, env: NodeJS.ProcessEnv = process.env): Autostart {
  const home = env.HOME || homedir();
  return platform === 'darwin' ? new LaunchdTrayAgent({ run, home, uid: process.getuid?.() ?? 0 }) : new XdgAutostart({ env, home });
}

/** What install writes for the running CLI: its Node (qode on macOS) and the dist/tray.js beside it. */
export function currentSpec(platform: Platform, configFile: string | undefined): AutostartSpec {
  const underQode = (process.versions as Record<string, string | undefined>).qode !== undefined;
  const program = trayProgram(platform, selfProgram().cli, process.execPath, underQode);
  return configFile === undefined ? { program } : { program, configFile: resolve(configFile) };
}

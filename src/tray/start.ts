// Wires the tray app: one instance per user, the CLI it spawns, the icon — then everything else.
//
// The icon comes first (issue 19: up within a second of the start). This module imports only Qt
// and small modules, shows the icon with the neutral image (no badge: nothing is known yet), and
// only then loads the rest of the app (composition root, i18n, models, config schema: about 2 MB of
// bundle whose compiling and running took 0.1–0.5 s before the icon, measured with
// `npm run bench:tray`), which reads config, status and disks and draws the real state.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { QApplication, QIcon, QSystemTrayIcon } from '@nodegui/nodegui';
import { currentPlatform } from '../app/platform';
import { appPaths, type Platform } from '../platform/paths';
import { isAlive } from '../run/pid-alive';
import { EventPump } from './event-pump';
import { findCli, findTrayAssets } from './install-files';
import { traceTo } from './trace-file';
import type { TrayApp } from './tray-app';

export async function startTray(opts: { configFile?: string }): Promise<TrayApp> {
  // As compose() decides them; compose itself is among what loads after the icon.
  const platform = currentPlatform();
  const paths = appPaths(platform, process.env, process.env.HOME || homedir());
  const configFile = opts.configFile ? resolve(opts.configFile) : paths.configFile;
  const traceFile = process.env.PRAXIS_BACKUP_TRAY_TRACE || undefined;
  const trace = traceTo(traceFile);
  await claimSingleInstance(paths.stateDir);
  const cli = findCli();
  if (!cli) throw new Error(await say('tray.cliMissing'));

  const qapp = QApplication.instance();
  // A menu-bar app has no main window: closing the settings window must not quit it.
  qapp.setQuitOnLastWindowClosed(false);
  const pump = new EventPump(qapp);
  pump.start();
  const icon = showNeutralIcon(platform);
  // The pump's first turn is up to IDLE_MS away: hand the tray host the dock request now.
  pump.processNow();
  // Fast turns until the real state is drawn: the icon's first paint comes from them.
  pump.hold('start');
  trace({ t: 'icon', state: 'starting', file: platform === 'darwin' ? 'starting-template.png' : 'starting.png' });
  trace({ t: 'shown', ms: Math.round(performance.now()) });

  const [{ compose }, { detectLang }, { TrayApp }] = await Promise.all([import('../app/compose'), import('../i18n'), import('./tray-app')]);
  const tray = new TrayApp({ app: compose(), configFile, lang: detectLang(), pump, cli, traceFile, tray: icon });
  // Keep the app (and with it every Qt wrapper it holds) reachable for the process's lifetime.
  (globalThis as { praxisTray?: TrayApp }).praxisTray = tray;
  await tray.start();
  pump.release('start');
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(0));
  return tray;
}

/** The icon with the badge-free glyph, shown (Qt copies the image: no wrapper to keep but the icon's). */
function showNeutralIcon(platform: Platform): QSystemTrayIcon {
  const tray = new QSystemTrayIcon();
  const image = new QIcon(join(findTrayAssets(), platform === 'darwin' ? 'starting-template.png' : 'starting.png'));
  // macOS: a template image that the menu bar tints for light and dark mode, like the state icons.
  if (platform === 'darwin') image.setIsMask(true);
  tray.setIcon(image);
  tray.setToolTip('Praxis-Backup');
  tray.show();
  return tray;
}

/** A message in the admin's language; i18n (its two dictionaries) loads only when one is said before the icon. */
async function say(key: 'tray.cliMissing' | 'tray.alreadyRunning', params?: { pid: number }): Promise<string> {
  const { detectLang, t } = await import('../i18n');
  return t(detectLang(), key, params);
}

/** A second tray for the same user would show a second icon: say so and stop instead. */
async function claimSingleInstance(stateDir: string): Promise<void> {
  const file = join(stateDir, 'tray.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      process.stderr.write((await say('tray.alreadyRunning', { pid })) + '\n');
      process.exit(0);
    }
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
}

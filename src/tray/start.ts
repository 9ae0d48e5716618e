// Wires the tray app: composition root, language, the CLI it spawns, one instance per user.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { QApplication } from '@nodegui/nodegui';
import { compose } from '../app/compose';
import { detectLang, t, type Lang } from '../i18n';
import { isAlive } from '../run/lock';
import { EventPump } from './event-pump';
import { findCli } from './run-launcher';
import { TrayApp } from './tray-app';

export async function startTray(opts: { configFile?: string }): Promise<TrayApp> {
  const app = compose();
  const lang = detectLang();
  const configFile = opts.configFile ? resolve(opts.configFile) : app.paths.configFile;
  claimSingleInstance(app.paths.stateDir, lang);
  const cli = findCli();
  if (!cli) throw new Error(t(lang, 'tray.cliMissing'));

  const qapp = QApplication.instance();
  // A menu-bar app has no main window: closing the settings window must not quit it.
  qapp.setQuitOnLastWindowClosed(false);
  const pump = new EventPump(qapp);
  pump.start();
  const tray = new TrayApp({ app, configFile, lang, pump, cli, traceFile: process.env.PRAXIS_BACKUP_TRAY_TRACE || undefined });
  // Keep the app (and with it every Qt wrapper it holds) reachable for the process's lifetime.
  (globalThis as { praxisTray?: TrayApp }).praxisTray = tray;
  await tray.start();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(0));
  return tray;
}

/** A second tray for the same user would show a second icon: say so and stop instead. */
function claimSingleInstance(stateDir: string, lang: Lang): void {
  const file = join(stateDir, 'tray.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      process.stderr.write(t(lang, 'tray.alreadyRunning', { pid }) + '\n');
      process.exit(0);
    }
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
}

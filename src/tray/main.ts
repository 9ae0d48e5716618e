// Entry of the menu-bar app (`npm start` → dist/tray.js). Loads Qt the way this runtime needs
// (qt-loader.ts), then the app. Under plain Node the app pumps Qt's events itself; under qode
// (macOS) qode runs Qt's loop and the pump's processEvents() calls are harmless extra turns.
import { parseArgs } from 'node:util';
import { prepareQt } from './qt-loader';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('praxis-backup tray [--config FILE]\n  Starts the menu-bar app. Without --config it uses the default config file (see README).\n');
    return;
  }
  prepareQt();
  // Only now may anything import @nodegui/nodegui.
  const { startTray } = await import('./start');
  await startTray({ configFile: values.config });
}

main().catch((e: unknown) => {
  process.stderr.write(`Praxis-Backup (Menüleiste) konnte nicht starten / could not start: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});

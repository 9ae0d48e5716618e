// Entry of the menu-bar app (`npm start` → dist/tray.js). Loads Qt the way this runtime needs
// (qt-loader.ts), then the app. Under plain Node the app pumps Qt's events itself; under qode
// (macOS) qode runs Qt's loop and the pump's processEvents() calls are harmless extra turns.
import { parseArgs } from 'node:util';
import { prepareQt } from './qt-loader';

// Started as `node --max-semi-space-size=1 dist/tray.js` (npm start): a menu-bar app allocates
// little and lives all day, and a 1 MiB young generation (instead of up to 16 MiB per semi-space)
// keeps start-up garbage from inflating its resident size (174 → 165 MiB 3 s after start, measured
// by `npm run bench:tray`). v8.setFlagsFromString at run time does not resize the heap: measured.

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

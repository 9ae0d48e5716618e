// The menu-bar app itself (dist/tray.js on Xvfb + trayer): „Protokoll exportieren…“ and
// „Datensicherungskonzept…“ are in its menu, a real right click and the keyboard choose them, and
// each opens its window (traced by the app; screenshots of what the admin sees). What the windows
// then do is proven in report-export-window.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv } from '../helpers/cli';
import { startDisplay, type TestDisplay } from '../helpers/display';
import { makeTempDir, runCleanups, visibly, waitUntil } from '../helpers/temp';
import { startTrayApp, type RunningTray } from '../helpers/tray-app';

let display: TestDisplay;
let tray: RunningTray;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(visibly(async () => {
  const root = await makeTempDir('tray-report-menu');
  const files = join(root, 'Anhaenge');
  mkdirSync(files);
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'anhaenge', type: 'folder', path: files }] }));
  const { env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', TZ: 'Europe/Berlin', PRAXIS_BACKUP_TEST_NOW: '2026-12-02T08:00:00Z' });
  display = await startDisplay({ tray: true });
  tray = await startTrayApp(display, ['--config', configFile], env, join(root, 'trace.jsonl'));
  await tray.waitFor((e) => e.t === 'ready', 60_000);
  assert.ok(await waitUntil(async () => !!(await tray.iconCentre()), 60_000), 'icon embedded by trayer');
}));
test.after(runCleanups);

test('both entries are in the menu, enabled with a config', async () => {
  const menu = await tray.openMenu();
  const actions = (menu.menu as any[]).filter((e) => e.kind === 'action');
  const entry = (a: string) => actions.find((e) => e.action === a);
  assert.is(entry('exportReport')?.text, 'Protokoll exportieren…');
  assert.is(entry('concept')?.text, 'Datensicherungskonzept…');
  assert.ok(entry('exportReport').enabled && entry('concept').enabled);
  await display.screenshot('menu-report-concept.png');
  await display.xdotool(['key', 'Escape']);
  await pause(300);
});

for (const [action, shot] of [
  ['exportReport', 'app-export-report-window.png'],
  ['concept', 'app-concept-window.png'],
] as const) {
  test(`„${action}“ opens its window`, async () => {
    const menu = await tray.openMenu();
    const before = tray.trace().length;
    await tray.choose(menu, action);
    const opened = await tray.waitFor((e) => e.t === 'window' && e.which === action, 60_000, before);
    assert.is(opened.which, action);
    assert.is(tray.trace().slice(before).filter((e) => e.t === 'window-error').length, 0, JSON.stringify(tray.trace().slice(before)));
    await pause(800);
    await display.screenshot(shot);
    assert.is(tray.child.exitCode, null, 'the app is still running');
  });
}

test.run();

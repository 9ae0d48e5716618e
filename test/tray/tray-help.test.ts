// „Hilfe…“ end to end: the built menu-bar app (dist/tray.js) on Xvfb + trayer, a real right click
// on its icon, the entry chosen with the keyboard, and the app handing the handbook in the admin's
// language to the desktop's opener — the file found from dist/, as an installed app finds it. When
// the opener fails (a server without a desktop), the notification names the file to open by hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { installFakeOpener, type FakeOpener } from '../helpers/fake-opener';
import { createSampleFiles } from '../helpers/sample-practice';
import { startDisplay, type TestDisplay } from '../helpers/display';
import { makeTempDir, runCleanups, visibly, waitUntil } from '../helpers/temp';
import { startTrayApp, type RunningTray } from '../helpers/tray-app';

const DOCS = resolve(import.meta.dirname, '../../docs');

let display: TestDisplay;
let root: string;
let configFile: string;
let opener: FakeOpener;

const opened = () => opener.calls();

async function startTray(lang: 'de' | 'en', name: string): Promise<RunningTray> {
  const traceFile = join(root, `trace-${name}.jsonl`);
  const env = {
    ...(process.env as Record<string, string>),
    HOME: join(root, 'home'),
    XDG_STATE_HOME: join(root, `state-${name}`),
    PATH: `${opener.bin}:${process.env.PATH}`,
    LANG: lang === 'de' ? 'de_DE.UTF-8' : 'en_GB.UTF-8',
    LC_ALL: '',
    LC_MESSAGES: '',
    PRAXIS_BACKUP_LANG: '',
  };
  const tray = await startTrayApp(display, ['--config', configFile], env, traceFile);
  await tray.waitFor((e) => e.t === 'ready', 60_000);
  assert.ok(await waitUntil(async () => !!(await tray.iconCentre()), 60_000), 'icon embedded by trayer');
  return tray;
}

test.before(visibly(async () => {
  root = await makeTempDir('tray-help');
  mkdirSync(join(root, 'home'));
  // xdg-open's stand-in: records what the app asks it to open.
  opener = installFakeOpener(root);
  const files = join(root, 'Anhaenge');
  await createSampleFiles(files, { files: 2, bytesEach: 512 });
  configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'anhaenge', type: 'folder', path: files }], retention: { keep: 3 } }));
  display = await startDisplay({ tray: true });
}));

test('German: „Hilfe…“ is in the menu and opens docs/handbuch.md', async () => {
  const tray = await startTray('de', 'de');
  const menu = await tray.openMenu();
  const help = (menu.menu as any[]).find((e) => e.kind === 'action' && e.action === 'help');
  assert.is(help?.text, 'Hilfe…');
  assert.is(help?.enabled, true);
  await display.screenshot('menu-help.png');
  const before = opened().length;
  await tray.choose(menu, 'help');
  assert.ok(await waitUntil(async () => opened().length > before, 30_000), 'the opener was called');
  assert.equal(opened().slice(before), [[join(DOCS, 'handbuch.md')]], 'exactly the German handbook, once');
  await tray.stop();
});

test('English: „Help…“ opens docs/manual.md; when the opener fails, the notification names the file', async () => {
  const tray = await startTray('en', 'en');
  let menu = await tray.openMenu();
  const help = (menu.menu as any[]).find((e) => e.kind === 'action' && e.action === 'help');
  assert.is(help?.text, 'Help…');
  let before = opened().length;
  await tray.choose(menu, 'help');
  assert.ok(await waitUntil(async () => opened().length > before, 30_000), 'the opener was called');
  assert.equal(opened().slice(before), [[join(DOCS, 'manual.md')]], 'exactly the English manual, once');

  opener.failing(true);
  menu = await tray.openMenu();
  before = tray.trace().length;
  await tray.choose(menu, 'help');
  const note = await tray.waitFor((e) => e.t === 'notify', 30_000, before);
  assert.is(note.level, 'warning');
  assert.ok(note.body.includes(join(DOCS, 'manual.md')), note.body);
  assert.match(note.body, /^The manual could not be opened/);
  await tray.stop();
});

test.after(runCleanups);
test.run();

// „Bei Anmeldung starten“ in the menu, end to end: the built menu-bar app on Xvfb + trayer, a real
// right click on its icon, the switch chosen with the keyboard; the app runs `tray install` through
// the CLI (the XDG autostart entry appears, for this app's config), the menu then shows the check
// mark, and choosing it again runs `tray remove --keep-running` (the entry goes, the app stays).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startDisplay, type TestDisplay } from '../helpers/display';
import { makeTempDir, runCleanups, visibly, waitUntil } from '../helpers/temp';
import { startTrayApp, TRAY } from '../helpers/tray-app';

const test = suite('tray menu: start at login');
let display: TestDisplay;
let root: string;
let home: string;
let configFile: string;

test.before(visibly(async () => {
  root = await makeTempDir('tray-menu-autostart-');
  home = join(root, 'home');
  mkdirSync(home);
  configFile = join(root, 'config.json');
  mkdirSync(join(root, 'files'));
  writeFileSync(configFile, JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'files', type: 'folder', path: join(root, 'files') }], retention: { keep: 3 } }));
  display = await startDisplay({ tray: true });
}));
test.after(() => runCleanups());

const switchOf = (menu: any) => (menu.menu as any[]).find((e) => e.kind === 'action' && e.action === 'autostart');

test('the switch installs the autostart entry for this app and config, shows the check mark, and removes it again', async () => {
  const env = {
    ...(process.env as Record<string, string>),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    LANG: 'de_DE.UTF-8',
    LC_ALL: '',
    LC_MESSAGES: '',
    PRAXIS_BACKUP_LANG: '',
  };
  const autostart = join(env.XDG_CONFIG_HOME, 'autostart', 'praxis-backup.desktop');
  const tray = await startTrayApp(display, ['--config', configFile], env, join(root, 'trace.jsonl'));
  await tray.waitFor((e) => e.t === 'ready', 60_000);
  assert.ok(await waitUntil(async () => !!(await tray.iconCentre()), 60_000), 'icon embedded by trayer');

  let menu = await tray.openMenu();
  assert.equal(switchOf(menu), { kind: 'action', action: 'autostart', text: 'Bei Anmeldung starten', enabled: true, checked: false });
  let before = tray.trace().length;
  await tray.choose(menu, 'autostart');
  let done = await tray.waitFor((e) => e.t === 'autostart', 120_000, before);
  assert.is(done.installed, true, JSON.stringify(done));
  assert.ok(existsSync(autostart));
  const exec = readFileSync(autostart, 'utf8').split('\n').find((l) => l.startsWith('Exec='));
  assert.is(exec, `Exec=${process.execPath} --max-semi-space-size=1 ${TRAY} --config ${configFile}`);

  menu = await tray.openMenu();
  assert.is(switchOf(menu).checked, true);
  await display.screenshot('menu-autostart-checked.png');
  before = tray.trace().length;
  await tray.choose(menu, 'autostart');
  done = await tray.waitFor((e) => e.t === 'autostart', 120_000, before);
  assert.is(done.installed, false, JSON.stringify(done));
  assert.not.ok(existsSync(autostart));
  assert.not.ok(existsSync(join(env.XDG_DATA_HOME, 'applications', 'praxis-backup.desktop')));
  // The app is still there.
  assert.is(tray.child.exitCode, null);
  menu = await tray.openMenu();
  assert.is(switchOf(menu).checked, false);
  await display.xdotool(['key', 'Escape']);
  await tray.stop();
});

test.run();

// The menu-bar app shows its icon first and reads config and status after (issue 19: the icon up
// within a second of the start). Shown here by order, not by a clock: the config file is a FIFO
// that the test holds shut, so reading it cannot finish until the test writes into it. The icon
// must be embedded in the tray (Xvfb + trayer) while that read is still waiting — with the neutral
// image, no state claimed and no menu — and once the config arrives, the real state and a menu
// whose „Backup jetzt“ acts on it follow.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { closeSync, constants, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv } from '../helpers/cli';
import { startDisplay, type TestDisplay } from '../helpers/display';
import { makeTempDir, runCleanups, visibly, waitUntil } from '../helpers/temp';
import { startTrayApp, type RunningTray } from '../helpers/tray-app';

let display: TestDisplay;
let tray: RunningTray;
let root: string;
let configFifo: string;
let config: string;
let env: Record<string, string>;

test.before(visibly(async () => {
  root = await makeTempDir('tray-start-order');
  const files = join(root, 'Anhaenge');
  mkdirSync(files);
  writeFileSync(join(files, 'befund.pdf'), 'x');
  config = JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'anhaenge', type: 'folder', path: files }] });
  configFifo = join(root, 'config.json');
  await execa('mkfifo', [configFifo]);
  ({ env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off' }));
  display = await startDisplay({ tray: true });
  tray = await startTrayApp(display, ['--config', configFifo], env, join(root, 'trace.jsonl'));
}));

test.after(runCleanups);

/** Opens the FIFO for writing without blocking: only possible once a reader (the app loading its config) has it open. */
function openWhileRead(): number | null {
  try {
    return openSync(configFifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') return null;
    throw e;
  }
}

test('the icon is in the tray while the config is still being read: neutral, no state, no menu', async () => {
  assert.ok(await waitUntil(async () => tray.child.exitCode !== null || !!(await tray.iconCentre()), 60_000), 'icon embedded by trayer while the config cannot be read');
  assert.is(tray.child.exitCode, null, tray.output().stderr);
  let fd: number | null = null;
  // The app is reading the config now (it holds the FIFO open), and the icon is already up.
  assert.ok(await waitUntil(async () => (fd = openWhileRead()) !== null, 60_000), 'the app opens its config for reading');
  const before = tray.trace();
  const kinds = before.map((e) => e.t);
  assert.ok(kinds.includes('shown'), kinds.join(' '));
  assert.equal(before.filter((e) => e.t === 'icon').map((e) => e.file), ['starting.png'], 'only the neutral image so far');
  for (const t of ['view', 'menu', 'ready']) assert.not.ok(kinds.includes(t), `${t} before the config was read: ${kinds.join(' ')}`);

  writeSync(fd!, config);
  closeSync(fd!);

  await tray.waitFor((e) => e.t === 'ready', 60_000);
  const after = tray.trace();
  const at = (t: string) => after.findIndex((e) => e.t === t);
  assert.ok(at('shown') < at('view') && at('view') < at('ready'), after.map((e) => e.t).join(' '));
  const view = after.find((e) => e.t === 'view')!;
  assert.is(view.icon, 'warning', 'the config was read: no backup yet');
  assert.ok(after.some((e) => e.t === 'icon' && e.file === 'warning.png'), 'the neutral image replaced by the state');
});

test('once the config is read, the menu acts on it', async () => {
  const menu = await tray.openMenu();
  const backupNow = (menu.menu as { kind: string; action?: string; enabled?: boolean }[]).find((e) => e.action === 'backupNow');
  assert.ok(backupNow?.enabled, JSON.stringify(menu.menu));
  await display.xdotool(['key', 'Escape']);
});

test('a second start for the same user says which one runs, in German, and shows no icon', async () => {
  // The check comes before the icon and before the messages are loaded (start.ts): its text must still be said.
  const second = await startTrayApp(display, ['--config', configFifo], env, join(root, 'trace-second.jsonl'));
  const result = await second.child;
  assert.is(result.exitCode, 0);
  // (Qt's own warnings may come before it: XDG_RUNTIME_DIR is unset on the test display.)
  assert.is(second.output().stderr.trim().split('\n').at(-1), `Praxis-Backup läuft bereits in der Menüleiste (PID ${tray.pid}).`);
  assert.equal(second.trace(), [], 'no icon, nothing traced');
});

test.run();

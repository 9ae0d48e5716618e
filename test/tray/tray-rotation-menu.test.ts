// The menu-bar app with a rotating set of USB disks, for real: the built app (dist/tray.js) on a
// test display with trayer, a config naming two disks of a set, one of them a real ext4 loop disk
// that is attached, the other at home (its UUID matches nothing). Whether a disk is „angeschlossen“
// or „zu Hause“ comes from the app's own listing of the volumes (lsblk), at start and when the
// menu opens: plugging the second disk in while the app runs moves its line to „angeschlossen“.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { cliEnv } from '../helpers/cli';
import { startDisplay, type TestDisplay } from '../helpers/display';
import { makeLoopDisk, type LoopDisk } from '../helpers/loop-disk';
import { makeTempDir, runCleanups, visibly, waitUntil } from '../helpers/temp';
import { startTrayApp, type RunningTray, type TraceEntry } from '../helpers/tray-app';

let display: TestDisplay;
let tray: RunningTray;
let montag: LoopDisk;
const FREITAG = randomUUID();

const diskLines = (e: TraceEntry): string[] => (e.menu as any[]).filter((m) => m.kind === 'info' && String(m.id).startsWith('disk:')).map((m) => m.text);

test.before(visibly(async () => {
  const root = await makeTempDir('tray-rotation');
  montag = await makeLoopDisk({ sizeMiB: 16, label: 'PRAXIS-MO' });
  const { env, stateDir } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off' });
  const files = join(root, 'files');
  mkdirSync(files);
  const configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir: join(root, 'backups'),
      components: [{ name: 'files', type: 'folder', path: files }],
      mirrors: [{ name: 'usb', type: 'volume', volumes: [{ uuid: montag.uuid, label: 'Montag' }, { uuid: FREITAG, label: 'Freitag' }] }],
    }),
  );
  // What the runs recorded: Montag got a copy on 30 Nov, Freitag never did.
  mkdirSync(stateDir, { recursive: true });
  const copy = { at: '2026-11-30T02:30:00.000Z', backupId: '20261130_031500' };
  writeFileSync(
    join(stateDir, 'status.json'),
    JSON.stringify({ version: 1, running: null, destinations: { usb: { lastSuccess: copy, disks: { [montag.uuid]: { label: 'Montag', lastSeen: copy.at, lastSuccess: copy } } } } }),
  );
  display = await startDisplay({ tray: true });
  tray = await startTrayApp(display, ['--config', configFile], env, join(root, 'trace.jsonl'));
}));

test.after(runCleanups);

test('each disk of the set has its line: the attached one „angeschlossen“, the other „zu Hause“, from the app’s volume list', async () => {
  await tray.waitFor((e) => e.t === 'ready', 60_000);
  const view = await tray.waitFor((e) => e.t === 'view' && diskLines(e).some((l) => l.endsWith('angeschlossen')), 60_000);
  const [mo, fr] = diskLines(view);
  assert.match(mo!, /^USB „Montag“: vor \d+ Tag(en)?, angeschlossen$/);
  assert.is(fr, 'USB „Freitag“: noch nie kopiert, zu Hause');
});

test('a disk plugged in while the app runs: its line says so when the menu is opened', async () => {
  assert.ok(await waitUntil(async () => !!(await tray.iconCentre()), 60_000), 'icon embedded by trayer');
  const before = tray.trace().length;
  await makeLoopDisk({ sizeMiB: 16, label: 'PRAXIS-FR', uuid: FREITAG });
  await tray.openMenu();
  const view = await tray.waitFor((e) => e.t === 'view' && diskLines(e)[1] === 'USB „Freitag“: noch nie kopiert, angeschlossen', 60_000, before);
  assert.match(diskLines(view)[0]!, /, angeschlossen$/);
  await display.screenshot('menu-rotation.png');
  await display.xdotool(['key', 'Escape']);
});

test.run();

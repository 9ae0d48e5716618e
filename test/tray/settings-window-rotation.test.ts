// A rotating set of USB disks made in the settings window for real: NodeGui under Xvfb, two real
// ext4 loop disks in the volume list (the real lsblk adapter), a config whose USB mirror names one
// of them by UUID. „+ Platte in den Wechsel“ with the second disk and the name „Freitag“ turns the
// row into a set („2 wechselnde Platten: …“), saving writes `volumes` (never one `volume`), and the
// window opened again shows the set as the file has it.
process.env.TZ = 'Europe/Berlin';

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeLoopDisk, type LoopDisk } from '../helpers/loop-disk';
import { startQt, type TestQt } from '../helpers/qt';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

const { compose } = await import('../../src/app/compose');
type SettingsWindowT = import('../../src/tray/windows/settings-window').SettingsWindow;

const test = suite('settings window: rotating disks');
test.after(runCleanups);

let qt: TestQt;
let configFile: string;
let disks: LoopDisk[];
let win: SettingsWindowT;

test.before(visibly(async () => {
  qt = await startQt();
  const dir = await makeTempDir('praxis-settings-rotation');
  const home = join(dir, 'home');
  configFile = join(home, '.config', 'praxis-backup', 'config.json');
  mkdirSync(join(configFile, '..'), { recursive: true });
  disks = [await makeLoopDisk({ sizeMiB: 16, label: 'PRAXIS-MO' }), await makeLoopDisk({ sizeMiB: 16, label: 'PRAXIS-FR' })];
  const original = {
    backupDir: join(dir, 'backups'),
    components: [{ name: 'files', type: 'folder', path: '/srv/tomedo/files' }],
    mirrors: [{ name: 'usb', type: 'volume', volume: { uuid: disks[0]!.uuid }, eject: true }],
  };
  writeFileSync(configFile, JSON.stringify(original, null, 2) + '\n');
  const app = compose({ ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), PRAXIS_BACKUP_STATE_DIR: join(home, 'state') });
  const { SettingsWindow } = await import('../../src/tray/windows/settings-window');
  win = new SettingsWindow({ app, configFile, lang: 'de', now: () => new Date(2026, 11, 2, 12, 0, 0) });
  win.show();
  await win.ready;
  await qt.settle(200);
}));

test.after(() => win?.close());

const w = () => win.widgets!;
const row = () => w().mirrors[0]!;

test('one disk, then a second one into the rotation with its name: the row shows the set, saving writes volumes', async () => {
  assert.ok(row().volume.isVisible());
  assert.not.ok(row().disks.isVisible());
  // Offered: the attached disk that is not the row's yet.
  assert.equal(row().setChoiceValues.map((u) => u.toLowerCase()), [disks[1]!.uuid.toLowerCase()]);
  row().setLabel.setText('Freitag');
  row().setAdd.click();
  await qt.until('the row is rebuilt as a set', () => row().disks.isVisible());
  assert.is(row().disks.text(), `2 wechselnde Platten: ${disks[0]!.uuid.slice(0, 8)}…, Freitag`);
  assert.not.ok(row().volume.isVisible());
  assert.is(row().setRemove.length, 2);
  assert.not.ok(row().setAdd.isEnabled(), 'no other disk attached');
  w().save.click();
  await qt.until('saved', () => w().summary.isVisible() && !w().summary.text().includes('…'), 20_000);
  const saved = JSON.parse(readFileSync(configFile, 'utf8'));
  assert.equal(saved.mirrors, [{ name: 'usb', type: 'volume', eject: true, volumes: [{ uuid: disks[0]!.uuid }, { uuid: disks[1]!.uuid, label: 'Freitag' }] }]);
  await qt.display.screenshot('settings-rotation.png');
});

test('opened again: the set as the file has it; taking a disk out and saving leaves the other', async () => {
  win.close();
  win.show();
  await win.ready;
  assert.is(row().disks.text(), `2 wechselnde Platten: ${disks[0]!.uuid.slice(0, 8)}…, Freitag`);
  row().setRemove[0]!.click();
  await qt.until('one disk left', () => row().setRemove.length === 1);
  assert.is(row().disks.text(), '1 wechselnde Platte: Freitag');
  w().save.click();
  await qt.until('saved', () => w().summary.isVisible() && !w().summary.text().includes('…'), 20_000);
  assert.equal(JSON.parse(readFileSync(configFile, 'utf8')).mirrors[0].volumes, [{ uuid: disks[1]!.uuid, label: 'Freitag' }]);
});

test.run();

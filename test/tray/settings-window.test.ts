// The settings window for real: NodeGui under Xvfb, the real widgets driven through their own
// setters (each one fires Qt's signal, as typing does), two real ext4 loop disks with the same
// label in the volume list, and the real composition root — so saving writes the real file and
// calls the real systemd user scheduler with HOME in a temp dir. This machine has no systemd user
// manager: the units are written and the window must say the schedule is NOT active.
process.env.TZ = 'Europe/Berlin';

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeLoopDisk, type LoopDisk } from '../helpers/loop-disk';
import { startQt, type TestQt } from '../helpers/qt';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

const { compose } = await import('../../src/app/compose');
const { loadConfig } = await import('../../src/config/load');
type SettingsWindowT = import('../../src/tray/windows/settings-window').SettingsWindow;

const test = suite('settings window');
test.after(runCleanups);

const HAS_USER_MANAGER = spawnSync('systemctl', ['--user', 'show-environment'], { stdio: 'ignore' }).status === 0;

let qt: TestQt;
let dir: string;
let home: string;
let configFile: string;
let disks: LoopDisk[];
let win: SettingsWindowT;
let closed = 0;

// The window's clock, fixed: the preview of the next runs depends on the day it is opened, and a
// test that read the real clock failed whenever the next 03:15 fell on another weekday.
const NOW = new Date(2026, 10, 24, 12, 0, 0); // Tuesday 24 November 2026, noon in Berlin
const now = () => new Date(NOW);

const ORIGINAL = {
  backupDir: '/srv/praxis-backup',
  components: [
    { name: 'datenbank', type: 'postgres', database: 'tomedo', host: 'localhost', port: 5432, user: 'postgres' },
    { name: 'files', type: 'folder', path: '/srv/tomedo/files', exclude: ['*.tmp'] },
  ],
  retention: { keep: 10 },
  schedule: { cron: '15 3 * * 1-5' },
  hooks: { afterBackup: { command: ['/usr/local/bin/tomedo-resume'], timeoutSeconds: 120 } },
};

test.before(visibly(async () => {
  qt = await startQt();
  dir = await makeTempDir('praxis-settings-window');
  home = join(dir, 'home');
  configFile = join(home, '.config', 'praxis-backup', 'config.json');
  mkdirSync(join(configFile, '..'), { recursive: true });
  writeFileSync(configFile, JSON.stringify(ORIGINAL, null, 2) + '\n');
  // Two USB disks with one label: the reason the window offers disks by UUID.
  disks = [await makeLoopDisk({ sizeMiB: 16, label: 'PRAXIS-USB' }), await makeLoopDisk({ sizeMiB: 24, label: 'PRAXIS-USB' })];
  const app = compose({ ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), PRAXIS_BACKUP_MOUNT_BASE: join(dir, 'volumes') });
  const { SettingsWindow } = await import('../../src/tray/windows/settings-window');
  const held: string[] = [];
  win = new SettingsWindow({ app, configFile, lang: 'de', now, pump: { hold: (r) => held.push(r), release: (r) => held.splice(held.indexOf(r), 1) } });
  win.onClosed = () => closed++;
  win.show();
  await win.ready;
  await qt.settle(300);
  assert.equal(held, ['settings']);
}));

const w = () => win.widgets!;

test('opens with the config: fields filled, rows per component, the preview of the saved schedule', () => {
  assert.is(w().backupDir.text(), '/srv/praxis-backup');
  assert.is(w().components.length, 2);
  assert.is(w().components[0]!.target.text(), 'tomedo');
  assert.is(w().components[1]!.target.text(), '/srv/tomedo/files');
  assert.not.ok(w().components[1]!.port.isEnabled()); // a folder has no port
  // The database's password mode: not set in the file → „automatisch“; a folder has none.
  assert.is(w().components[0]!.password.currentText(), 'automatisch');
  assert.ok(w().components[0]!.password.isEnabled());
  assert.not.ok(w().components[1]!.password.isEnabled());
  assert.is(w().retentionKeep.value(), 10);
  assert.is(
    w().preview.text(),
    'Mo–Fr um 03:15 („15 3 * * 1-5“)\n\nNächste Läufe:\n' +
      ['Mi., 25.11.2026', 'Do., 26.11.2026', 'Fr., 27.11.2026', 'Mo., 30.11.2026', 'Di., 01.12.2026'].map((d) => `   ${d}, 03:15`).join('\n'),
  );
  assert.not.ok(w().loadNote.isVisible());
});

test('the schedule field: five runs as you type, an inline error for a bad expression', async () => {
  w().cron.setText('0 2 * * *');
  await qt.settle(50);
  const [words, , title, ...runs] = w().preview.text().split('\n');
  assert.is(words, 'täglich um 02:00 („0 2 * * *“)');
  assert.is(title, 'Nächste Läufe:');
  assert.equal(runs, ['Mi., 25.11.2026', 'Do., 26.11.2026', 'Fr., 27.11.2026', 'Sa., 28.11.2026', 'So., 29.11.2026'].map((d) => `   ${d}, 02:00`));
  assert.not.ok(w().cronError.isVisible());

  w().cron.setText('61 * * * *');
  await qt.settle(50);
  assert.ok(w().cronError.isVisible());
  assert.is(w().cronError.text(), 'Minute „61“ geht nicht: erlaubt ist 0 bis 59.');
  assert.not.ok(w().preview.isVisible());

  w().cron.setText('* * *');
  await qt.settle(50);
  assert.is(w().cronError.text(), 'Es werden 5 Felder erwartet (Minute Stunde Tag Monat Wochentag), eingegeben sind 3.');

  w().cron.setText('30 1 * * 1-6');
  await qt.settle(50);
  assert.not.ok(w().cronError.isVisible());
  assert.match(w().preview.text(), /^Mo–Sa um 01:30/);
});

test('a mirror: the volume list offers both same-label disks, told apart by UUID', async () => {
  w().addMirror.click();
  await qt.settle(100);
  assert.is(w().mirrors.length, 1);
  const m = w().mirrors[0]!;
  const texts = Array.from({ length: m.volume.count() }, (_, i) => m.volume.itemText(i));
  for (const d of disks) {
    const i = m.volumeValues.findIndex((v) => v.toLowerCase() === `uuid:${d.uuid}`.toLowerCase());
    assert.ok(i > 0, `${d.uuid} offered: ${texts.join(' | ')}`);
    assert.ok(texts[i]!.startsWith(`PRAXIS-USB (UUID ${d.uuid.slice(0, 8)}…) – `), texts[i]);
  }
  assert.is(m.volume.currentIndex(), 0); // nothing chosen yet: „– Datenträger wählen –“
});

test('save refused: a bad port and no disk chosen, each error under its row naming the field; file unchanged', async () => {
  const before = readFileSync(configFile, 'utf8');
  w().components[0]!.port.setText('99999');
  w().save.click();
  await waitFor(() => w().summary.isVisible() && !w().summary.text().includes('…'));
  assert.is(w().summary.text(), '2 Angabe(n) bitte korrigieren (rot markiert). Es wurde nichts gespeichert.');
  assert.ok(w().components[0]!.error.isVisible());
  assert.is(w().components[0]!.error.text(), 'Komponente 1 („datenbank“), Port: darf höchstens 65535 sein.');
  assert.is(w().mirrors[0]!.error.text(), 'Datenträger 1 („usb“), Datenträger: fehlt. Bitte angeben.');
  assert.not.ok(w().components[1]!.error.isVisible());
  assert.is(readFileSync(configFile, 'utf8'), before);
  // Typing in the field takes its error away.
  w().components[0]!.port.setText('5433');
  await qt.settle(30);
  assert.not.ok(w().components[0]!.error.isVisible());
});

test('screenshot of the window with an error shown', async () => {
  w().components[1]!.target.setText('srv/tomedo/files');
  w().save.click();
  await waitFor(() => w().components[1]!.error.isVisible());
  await qt.settle(300);
  const shot = await qt.display.screenshot('settings.png');
  assert.ok(existsSync(shot));
  w().components[1]!.target.setText('/srv/tomedo/files');
});

test('save: the file is written (the CLI loader accepts it, hooks kept, .bak made) and the schedule outcome is said', async () => {
  const m = w().mirrors[0]!;
  const disk = disks[1]!;
  m.volume.setCurrentIndex(m.volumeValues.findIndex((v) => v.toLowerCase() === `uuid:${disk.uuid}`.toLowerCase()));
  w().retentionKeep.setValue(14);
  // A server where nobody is logged in at night: the keyring is never to be asked.
  w().components[0]!.password.setCurrentIndex(2);
  w().save.click();
  await waitFor(() => w().summary.isVisible() && !w().summary.text().includes('…'), 20_000);
  const config = await loadConfig(configFile);
  assert.is(config.schedule?.cron, '30 1 * * 1-6');
  assert.is(config.retention.keep, 14);
  assert.is(config.components[0]!.type === 'postgres' && config.components[0]!.port, 5433);
  assert.is(config.components[0]!.type === 'postgres' && config.components[0]!.password, 'none');
  assert.equal(config.mirrors[0], { name: 'usb', type: 'volume', volume: { uuid: disk.uuid }, mode: 'all', eject: true, required: false });
  assert.equal(config.hooks, ORIGINAL.hooks);
  assert.equal((config.components[1] as { exclude?: string[] }).exclude, ['*.tmp']);
  assert.equal(JSON.parse(readFileSync(`${configFile}.bak`, 'utf8')), ORIGINAL);
  const timer = join(home, '.config', 'systemd', 'user', 'praxis-backup.timer');
  assert.ok(existsSync(timer), 'the real scheduler wrote its timer into the temp HOME');
  if (HAS_USER_MANAGER) {
    assert.match(w().summary.text(), /^Gespeichert\. Zeitplan eingerichtet: Mo–Sa um 01:30/);
  } else {
    assert.match(w().summary.text(), /^Die Einstellungen sind gespeichert, aber der Zeitplan ist NICHT eingerichtet/);
    assert.match(w().summary.text(), /loginctl enable-linger/);
  }
  assert.is(w().cancel.text(), 'Schließen');
  await qt.settle(200);
  await qt.display.screenshot('settings-saved.png');
});

test('close releases the pump hold and reports it; show() again opens a fresh window with the saved config', async () => {
  w().cancel.click();
  await qt.settle(50);
  assert.is(win.widgets, null);
  assert.is(closed, 1);
  win.show();
  await win.ready;
  assert.is(w().retentionKeep.value(), 14);
  assert.is(w().mirrors.length, 1);
  win.close();
  assert.is(closed, 2);
});

test('English, and a saved config with mistakes: the window says so and marks them where they are', async () => {
  const file = join(dir, 'broken', 'config.json');
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify({ ...ORIGINAL, backupDir: 'relative/dir', schedule: { cron: '0 3 * *' } }));
  const { SettingsWindow } = await import('../../src/tray/windows/settings-window');
  const en = new SettingsWindow({ app: compose({ ...process.env, HOME: home }), configFile: file, lang: 'en', now });
  en.show();
  await en.ready;
  await qt.settle(200);
  const v = en.widgets!;
  assert.is(v.loadNote.text(), 'The saved configuration has 2 problem(s); they are marked red below.');
  assert.is(v.backupDirError.text(), 'Backup folder: must be an absolute path (starting with /), is "relative/dir".');
  assert.is(v.cronError.text(), '5 fields expected (minute hour day month weekday), 4 entered.');
  assert.is(v.save.text(), 'Save');
  await qt.display.screenshot('settings-en-invalid.png');
  en.close();
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the window');
    await qt.settle(30);
  }
}

test.run();

// The settings window with an off-site restic mirror, for real: NodeGui under Xvfb, the widgets
// driven through their own setters (each fires Qt's signal, as typing does) and a real mouse click
// on the append-only switch, the real composition root — so saving writes the real file, read back
// by the CLI's loader. The screenshots (test-output/screenshots/settings-restic-*.png) show the row.
process.env.TZ = 'Europe/Berlin';

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startQt, type TestQt } from '../helpers/qt';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

const { compose } = await import('../../src/app/compose');
const { loadConfig } = await import('../../src/config/load');
const { MIRROR_TYPES } = await import('../../src/tray/model/settings-form');
type SettingsWindowT = import('../../src/tray/windows/settings-window').SettingsWindow;

const test = suite('settings window: off-site restic mirror');
test.after(runCleanups);

let qt: TestQt;
let home: string;
let configFile: string;
let win: SettingsWindowT;

const NOW = new Date(2026, 10, 24, 12, 0, 0);

const AUSSEN = {
  name: 'aussen',
  type: 'restic',
  repository: 's3:https://s3.example.de/praxis/backup',
  backendEnv: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
  limitUploadKiBs: 2048,
  readDataDays: 14,
};
const ORIGINAL = {
  backupDir: '/srv/praxis-backup',
  components: [{ name: 'files', type: 'folder', path: '/srv/tomedo/files' }],
  mirrors: [AUSSEN],
};

test.before(visibly(async () => {
  qt = await startQt();
  const dir = await makeTempDir('praxis-settings-restic');
  home = join(dir, 'home');
  configFile = join(home, '.config', 'praxis-backup', 'config.json');
  mkdirSync(join(configFile, '..'), { recursive: true });
  writeFileSync(configFile, JSON.stringify(ORIGINAL, null, 2) + '\n');
  const app = compose({ ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), PRAXIS_BACKUP_MOUNT_BASE: join(dir, 'volumes') });
  const { SettingsWindow } = await import('../../src/tray/windows/settings-window');
  win = new SettingsWindow({ app, configFile, lang: 'de', now: () => new Date(NOW) });
  win.show();
  await win.ready;
  await qt.settle(300);
}));

const w = () => win.widgets!;

test('a saved restic mirror: „Auslagerung (restic)“, its address in the field, append-only on, nothing of a disk or share', () => {
  const r = w().mirrors[0]!;
  assert.is(r.type.currentText(), 'Auslagerung (restic)');
  assert.is(r.target.text(), AUSSEN.repository);
  assert.ok(r.target.isVisible());
  assert.not.ok(r.volume.isVisible());
  assert.not.ok(r.user.isEnabled());
  assert.not.ok(r.eject.isEnabled());
  assert.ok(r.options.isVisible());
  assert.is(r.appendOnly.text(), 'Nur anhängen (empfohlen: der Server kann dort nichts löschen)');
  assert.ok(r.appendOnly.isChecked(), 'the config leaves appendOnly to its default: on');
  assert.is(r.appendOnlyHint.text(), 'Alte Sicherungen löscht dort nur der Speicheranbieter: dessen Aufbewahrung bitte dort einstellen.');
});

test('a new row changed to restic: the address field with restic\'s placeholder; a bad address is refused on that field', async () => {
  w().addMirror.click();
  await qt.settle(100);
  const r = w().mirrors[1]!;
  r.name.setText('zuhause');
  // A folder first: no append-only line there.
  r.type.setCurrentIndex(MIRROR_TYPES.indexOf('path'));
  await qt.settle(50);
  assert.not.ok(r.options.isVisible());
  assert.is(r.target.placeholderText(), '/Pfad/zum/Ordner');
  r.type.setCurrentIndex(MIRROR_TYPES.indexOf('restic'));
  await qt.settle(50);
  assert.is(r.type.currentText(), 'Auslagerung (restic)');
  assert.ok(r.target.isVisible() && !r.volume.isVisible());
  assert.is(r.target.placeholderText(), 'sftp:benutzer@server:/praxis-backup');
  assert.ok(r.options.isVisible() && r.appendOnly.isChecked());
  assert.not.ok(r.eject.isEnabled() || r.eject.isChecked(), 'no „Auswerfen“ for a repository');
  r.target.setText('ftp://home.example/backup');
  const before = readFileSync(configFile, 'utf8');
  w().save.click();
  await qt.until('the save refused', () => r.error.isVisible(), 10_000);
  assert.match(r.error.text(), /^Datenträger 2 \(„zuhause“\), Repository: „ftp:\/\/home\.example\/backup“ ist keine restic-Repository-Adresse\./);
  assert.match(r.target.styleSheet(), /border: 2px solid/);
  assert.is(readFileSync(configFile, 'utf8'), before);
  win.reveal(r.name);
  await qt.settle(300);
  await qt.display.screenshot('settings-restic-error.png');
});

test('append-only switched off by a click: the line says who can delete then; saved, the file holds it and the window says the next step', async () => {
  const r = w().mirrors[1]!;
  r.target.setText('sftp:praxis@home.example:/backup');
  await qt.settle(30);
  assert.not.ok(r.error.isVisible(), 'typing took the error away');
  // The error line going away moves the row's switch: click where it is once the layout is done.
  let last = '';
  await qt.until('the row laid out', () => {
    const p = r.appendOnly.mapToGlobal(new qt.qt.QPoint(0, 0));
    const here = `${p.x()},${p.y()}`;
    const still = here === last;
    last = here;
    return still;
  });
  await qt.click(r.appendOnly); // in view: the last test scrolled to the row
  await qt.until('the switch off', () => !r.appendOnly.isChecked());
  assert.is(r.appendOnlyHint.text(), 'Praxis-Backup löscht dort alte Sicherungen nach der Aufbewahrung – und ein Angreifer auf diesem Server könnte es dann auch.');
  w().save.click();
  await qt.until('the save\'s summary', () => w().summary.isVisible() && !w().summary.text().includes('…'), 20_000);
  assert.is(w().cancel.text(), 'Schließen', w().summary.text());
  const raw = JSON.parse(readFileSync(configFile, 'utf8'));
  assert.equal(raw.mirrors, [AUSSEN, { name: 'zuhause', type: 'restic', repository: 'sftp:praxis@home.example:/backup', appendOnly: false, mode: 'all' }]);
  const config = await loadConfig(configFile);
  assert.equal(config.mirrors.map((m) => [m.name, m.type === 'restic' && m.appendOnly, m.encrypt]), [['aussen', true, true], ['zuhause', false, true]]);
  const lines = w().summary.text().split('\n');
  assert.is(lines[lines.length - 1], 'Nächster Schritt für „zuhause“: Repository einrichten mit praxis-backup offsite init zuhause');
  assert.not.match(w().summary.text(), /offsite init aussen/);
  win.reveal(w().mirrors[1]!.name);
  await qt.settle(300);
  await qt.display.screenshot('settings-restic-saved.png');
  win.close();
});

test.run();

// The tray's first-start window for real: NodeGui under Xvfb, clicked with xdotool, real discovery
// (createDiscovery) pointed at a PostgreSQL with trust authentication (no password: its „tomedo“ is
// proposed) and a MariaDB whose root needs a password (typed once, wrong then right), a folder with
// sample files, a tmpfs as the backup place, an ext4 loop disk as the USB disk, a private
// gnome-keyring. At the end the window stores the typed password in the keyring, writes the answers
// (0600, without the password) and runs the built CLI's `init --answers F --yes --json`, showing its
// stages, the first backup and its restore test. A screenshot per step in test-output/screenshots/.
process.env.TZ = 'Europe/Berlin';

import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SetupWindow as Window } from '../../src/tray/windows/setup-window';
import { CLI } from '../helpers/cli';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { makeLoopDisk, mountAt, type LoopDisk } from '../helpers/loop-disk';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { startQt, type ClickableWidget, type TestQt } from '../helpers/qt';
import { createSampleFiles, createSampleMariadb, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';
import { mountTmpfs, type TmpfsMount } from '../helpers/tmpfs';

const { compose } = await import('../../src/app/compose');
const { createDiscovery } = await import('../../src/setup-assistant/discover/create-discovery');

const test = suite('tray setup window (Xvfb, real discovery, real servers, real CLI)');
test.after(runCleanups);

// The window's clock: Tuesday 24 November 2026, noon in Berlin → the next Mo–Fr 03:15 are Wed, Thu, Fri.
const NOW = new Date(2026, 10, 24, 12, 0, 0);

let q: TestQt;
let kr: TestKeyring;
let pg: PgServer;
let maria: MariaServer;
let disk: LoopDisk;
let place: TmpfsMount;
let root: string;
let files: string;
let configFile: string;
let answersDir: string;
let win: Window;
let shot = 0;
const held = new Set<string>();
const sheets: string[] = [];

test.before(visibly(async () => {
  q = await startQt();
  [kr, pg, maria] = await Promise.all([startKeyring(), startPostgres({ authHost: 'trust' }), startMariadb()]);
  // keytar in THIS process (the window stores the typed password) and the CLI talk to this keyring.
  const { DISPLAY, PATH } = process.env;
  Object.assign(process.env, kr.env, { DISPLAY: DISPLAY!, PATH: PATH! });
  await createSamplePostgres(pg, 'tomedo', { patients: 30 });
  await createSampleMariadb(maria, 'labor', { patients: 10 });
  root = await makeTempDir('praxis-setupwin');
  files = join(root, 'tomedo-files');
  await createSampleFiles(files, { files: 15 });
  place = await mountTmpfs(96);
  disk = await makeLoopDisk({ sizeMiB: 32, label: 'PRAXIS-USB' });
  configFile = join(kr.home, '.config', 'praxis-backup', 'config.json');
  answersDir = join(root, 'tmp');
  process.env.PRAXIS_BACKUP_MOUNT_BASE = join(root, 'volumes');
  const app = compose(process.env);
  const discovery = createDiscovery({
    platform: app.platform,
    tools: app.tools,
    volumes: app.volumes(),
    // Only the tests' own servers and places: the machine's (and other tests') must not count.
    defaultPlaces: false,
    fsRoot: join(root, 'no-system-data-folders'),
    extra: { postgres: [{ host: '127.0.0.1', port: pg.port, user: pg.user }], mariadb: [{ host: '127.0.0.1', port: maria.port }] },
    backupPlaces: [join(place.path, 'Praxis-Backup')],
    scanDisks: false,
  });
  const { SetupWindow } = await import('../../src/tray/windows/setup-window');
  win = new SetupWindow({
    app,
    configFile,
    lang: 'de',
    cli: CLI,
    discovery,
    now: () => new Date(NOW),
    tmpDir: answersDir,
    pump: { hold: (r) => held.add(r), release: (r) => held.delete(r) },
    // The tray's menu action (tested with the real CLI in tray-emergency-sheet.test.ts): which disk's sheet was asked for.
    emergencySheet: (name) => sheets.push(name),
  });
}));

function w() {
  const parts = win.widgets;
  if (!parts) throw new Error('the setup window is not open');
  return parts;
}
const f = () => win.model;
const until = (what: string, check: () => boolean, ms = 60_000) => q.until(what, check, ms);
const click = (widget: ClickableWidget) => q.click(widget);
const idle = () => !f().busy;
const problems = () => w().problems.labels.filter((l) => l.isVisible()).map((l) => ({ tone: l.property('tone').toString(), text: l.text() }));
const screenshot = (step: string) => q.display.screenshot(`setup-window-${++shot}-${step}.png`);

/** Types into a field as the admin does: the text, then Return (the field's editingFinished). */
async function type(field: { setText(s: string): void } & ClickableWidget, text: string): Promise<void> {
  field.setText(text);
  await click(field);
  await q.display.xdotool(['key', 'Return']);
  await q.settle(100);
}

async function next(step: string): Promise<void> {
  await click(w().next);
  await until(`the ${step} page`, () => f().step === step && idle());
  await q.settle(150);
}

test('1 Datenbank: both servers found; the trust server\'s „tomedo“ is proposed; the MariaDB asks for root\'s password once', async () => {
  win.show();
  assert.ok(held.has('setup'), 'fast pumping while open');
  assert.is(w().busy.text(), 'Suche Datenbankserver (PostgreSQL, MariaDB/MySQL) …');
  await until('discovery', idle);
  // The password row just appeared: let Qt lay it out before clicking into it.
  await q.settle(300);
  assert.is(w().heading.text(), 'Schritt 1 von 6: Datenbank');
  assert.equal(w().databases.map((d) => [d.box.text().replace(/\(\d+(,\d)? [KM]B\)$/, '(…)'), d.box.isChecked()]), [[`tomedo – PostgreSQL auf 127.0.0.1:${pg.port} (…)`, true]]);
  assert.ok(w().passwordLabel.isVisible());
  assert.match(w().passwordLabel.text(), `verlangt ein Passwort für „root“`);
  assert.not.ok(w().back.isEnabled());
  assert.ok(w().next.isEnabled(), 'a database is chosen: on without the MariaDB');

  w().password.setText('falsch-123');
  await click(w().logIn);
  await until('the refusal', idle);
  await q.settle(150);
  assert.ok(problems().some((p) => p.tone === 'error' && /Anmeldung an .* als „root“ fehlgeschlagen/.test(p.text)), JSON.stringify(problems()));
  assert.ok(w().passwordLabel.isVisible(), 'asked again');

  w().password.setText(maria.password);
  await click(w().logIn);
  await until('the login', () => idle() && !w().passwordLabel.isVisible());
  await q.settle(300);
  assert.is(w().password.text(), '', 'the typed password is not kept in the field');
  const labor = w().databases.find((d) => d.box.text().startsWith('labor – MariaDB/MySQL'));
  assert.ok(labor, w().databases.map((d) => d.box.text()).join(' | '));
  assert.not.ok(labor!.box.isChecked(), 'not named like a practice program: not proposed');
  await click(labor!.box);
  assert.ok(labor!.box.isChecked());
  assert.equal(f().assistant.answers().databases.map((d) => [d.database, d.password]), [['tomedo', 'none'], ['labor', 'keyring']]);
  assert.equal(problems(), []);
  await screenshot('databases');
});

test('2 Ordner: a folder that does not exist is refused; the attachments folder shows its size and file count', async () => {
  await next('folders');
  assert.is(w().heading.text(), 'Schritt 2 von 6: Ordner');
  await type(w().folders.program.path, join(root, 'gibt-es-nicht'));
  await until('the lookup', () => idle() && problems().length > 0);
  await q.settle(150);
  assert.equal(problems(), [{ tone: 'error', text: `Den Ordner ${join(root, 'gibt-es-nicht')} gibt es nicht: bitte den Pfad prüfen.` }]);
  assert.is(w().folders.program.facts.text(), 'Diesen Ordner gibt es nicht.');
  assert.not.ok(w().next.isEnabled(), 'not on with an error');
  // Typed but not looked up yet: „Weiter“ is on, and looks it up before it goes on.
  w().folders.program.path.setText(join(root, 'auch-nicht-da'));
  await q.settle(50);
  assert.ok(w().next.isEnabled());
  await click(w().next);
  await until('the lookup on „Weiter“', () => idle() && w().folders.program.facts.isVisible());
  assert.is(f().step, 'folders', 'stays: the folder does not exist');
  assert.match(problems()[0]!.text, `Den Ordner ${join(root, 'auch-nicht-da')} gibt es nicht`);

  await type(w().folders.program.path, '');
  await type(w().folders.data.path, files);
  await until('the facts', () => idle() && w().folders.data.facts.isVisible());
  assert.match(w().folders.data.facts.text(), /^\d+(,\d)? [KM]B in 15 Dateien – interne Festplatte/);
  assert.is(w().folders.data.facts.styleSheet(), 'color: #1b7a32; font-weight: bold;');
  assert.equal(problems(), []);
  assert.equal(f().assistant.answers().folders, [{ name: 'tomedo-files', path: files, role: 'data' }]);
  await screenshot('folders');
});

test('3 Backup-Verzeichnis: the estimate, the place with room proposed and chosen; a USB disk refused (tomedo\'s rule)', async () => {
  await next('backupDir');
  const s = f().assistant.backupDir();
  assert.ok(s.estimateBytes > 0);
  assert.match(w().estimate.text(), /^Geschätzte Größe eines Backups: .+ \(mit 10 % Reserve nötig: .+\)$/);
  assert.is(w().dirList.count(), 1);
  assert.match(w().dirList.item(0).text(), new RegExp(`^${join(place.path, 'Praxis-Backup')} – \\d+(,\\d)? MB frei von 96 MB \\(interne Festplatte\\)$`));
  assert.is(w().dirList.currentRow(), 0);
  assert.is(w().dirPath.text(), join(place.path, 'Praxis-Backup'));
  assert.equal(problems(), []);
  await screenshot('backupDir');

  // A folder on a mounted USB disk, typed in: refused, no „Weiter“.
  const usb = await makeLoopDisk({ sizeMiB: 32, label: 'STICK' });
  const mnt = join(root, 'stick');
  mkdirSync(mnt);
  await mountAt(usb.device, mnt);
  try {
    await type(w().dirPath, join(mnt, 'Praxis-Backup'));
    await until('the refusal', () => idle() && problems().length > 0);
    await q.settle(150);
    assert.equal(problems().map((p) => p.tone), ['error']);
    assert.match(problems()[0]!.text, `${join(mnt, 'Praxis-Backup')} liegt auf einer Wechselfestplatte. Das lokale Backup-Verzeichnis muss immer verfügbar sein`);
    assert.is(w().dirList.currentRow(), -1);
    assert.not.ok(w().next.isEnabled());
    await q.display.screenshot('setup-window-3-backupDir-refused.png');
  } finally {
    await usb.detach();
  }
  // Back to the proposal: chosen from the list.
  w().dirList.setCurrentRow(0);
  await until('the proposal again', () => idle() && problems().length === 0);
  assert.is(w().dirPath.text(), join(place.path, 'Praxis-Backup'));
  assert.ok(w().next.isEnabled());
});

test('4 USB-Festplatte: the loop disk is offered by UUID, encrypted; unencrypted is warned about', async () => {
  await next('mirror');
  const rows = f().mirrorRows();
  const i = rows.findIndex((r) => r.uuid === disk.uuid);
  assert.ok(i > 0, rows.map((r) => r.text).join(' | '));
  assert.is(w().diskList.item(0).text(), 'Keine Kopie auf eine USB-Festplatte');
  assert.is(w().diskList.item(i).text(), `PRAXIS-USB – 32 MB (UUID ${disk.uuid})`);
  assert.is(w().diskAgain.text(), 'Erneut suchen');
  // A second disk plugged in while the page is shown: „Erneut suchen“ lists it too.
  const second = await makeLoopDisk({ sizeMiB: 24, label: 'PRAXIS-USB-2' });
  assert.not.ok(f().mirrorRows().some((r) => r.uuid === second.uuid));
  await click(w().diskAgain);
  await until('the disks again', () => idle() && f().mirrorRows().some((r) => r.uuid === second.uuid));
  await q.settle(150);
  assert.ok(f().mirrorRows().some((r) => r.uuid === disk.uuid));
  await second.detach();
  w().diskList.setCurrentRow(f().mirrorRows().findIndex((r) => r.uuid === disk.uuid));
  await q.settle(100);
  assert.is(f().assistant.answers().mirror?.uuid, disk.uuid);
  assert.ok(w().encrypt.isChecked(), 'encrypted is proposed');
  await click(w().encrypt);
  assert.not.ok(w().encrypt.isChecked());
  assert.equal(problems(), [{ tone: 'warn', text: 'Die Kopie „usb“ wird nicht verschlüsselt: wer die USB-Festplatte findet, kann die Patientendaten lesen.' }]);
  await screenshot('mirror');
  await click(w().encrypt);
  assert.ok(w().encrypt.isChecked());
  assert.equal(problems(), []);
});

test('5 Zeitplan: Mo–Fr 03:15 in words with the next three runs; a wrong time stops „Weiter“', async () => {
  await next('schedule');
  assert.ok(w().scheduleOn.isChecked());
  assert.is(w().days.currentText(), 'Montag bis Freitag');
  assert.is(w().time.text(), '03:15');
  assert.match(w().scheduleWords.text(), '03:15');
  assert.is(w().nextRuns.text(), 'Die nächsten Backups:\nMi., 25.11.2026, 03:15\nDo., 26.11.2026, 03:15\nFr., 27.11.2026, 03:15');
  w().time.setText('25:00');
  await q.settle(100);
  assert.equal(problems(), [{ tone: 'error', text: 'Die Uhrzeit „25:00“ ist ungültig: bitte als HH:MM angeben, z. B. 03:15.' }]);
  assert.not.ok(w().next.isEnabled());
  w().time.setText('03:15');
  await q.settle(100);
  assert.equal(problems(), []);
  assert.is(f().assistant.answers().schedule, '15 3 * * 1-5');
  assert.ok(w().trayAtLogin.isChecked());
  await screenshot('schedule');
});

test('6 Übersicht: what will be set up; „Einrichten“', async () => {
  await next('finish');
  const summary = w().summary.toPlainText().split('\n');
  assert.equal(summary, [
    `• Datenbank tomedo (PostgreSQL auf 127.0.0.1:${pg.port}, ohne Passwort)`,
    `• Datenbank labor (MariaDB/MySQL auf 127.0.0.1:${maria.port}, Passwort im Schlüsselbund)`,
    `• Anhänge: ${files}`,
    `• Backup-Verzeichnis: ${join(place.path, 'Praxis-Backup')}`,
    '• Kopie auf die USB-Festplatte „PRAXIS-USB“, verschlüsselt',
    `• Zeitplan: ${w().scheduleWords.text()}`,
  ]);
  assert.ok(w().firstBackup.isChecked());
  assert.is(w().next.text(), 'Einrichten');
  assert.ok(w().next.isEnabled());
  await screenshot('finish');
});

test('7 Einrichten: password into the keyring, answers 0600 without it, the CLI sets up and backs up; its stages and result shown', async () => {
  let answers = '';
  let mode = 0;
  await click(w().next);
  await until('the CLI started', () => {
    const file = f().answersFile;
    if (f().phase.kind !== 'applying' || !file || !existsSync(file)) return false;
    answers = readFileSync(file, 'utf8');
    mode = statSync(file).mode & 0o777;
    return true;
  });
  assert.ok(held.has('setup-run'));
  assert.is(mode, 0o600);
  assert.not.ok(answers.includes(maria.password), 'no password in the answers file');
  assert.is(JSON.parse(answers).databases[1].password, 'keyring');
  assert.is(await kr.lookup(`mariadb://root@127.0.0.1:${maria.port}/labor`), maria.password, 'stored in the keyring before the CLI started');
  assert.is(w().heading.text(), 'Praxis-Backup wird eingerichtet');
  assert.not.ok(w().next.isVisible());
  assert.not.ok(w().sheet.isVisible(), 'no sheet before the encryption is set up');

  await until('the CLI ended', () => f().phase.kind === 'done', 600_000);
  await q.settle(200);
  const phase = f().phase;
  assert.is(phase.kind === 'done' && phase.error, null, w().result.text() + '\n' + w().log.toPlainText());
  assert.not.ok(held.has('setup-run'));
  assert.not.ok(existsSync(f().answersFile ?? join(answersDir, 'none')), 'the answers file is removed');
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  assert.equal(config.components.map((c: { name: string; password?: string }) => [c.name, c.password ?? null]), [['tomedo', 'none'], ['labor', 'keyring'], ['tomedo-files', null]]);
  assert.equal(config.mirrors, [{ name: 'usb', type: 'volume', volume: { uuid: disk.uuid }, encrypt: true }]);
  const stages = w().stages.labels.map((l) => l.text());
  assert.match(stages[0]!, `✓ Konfiguration – `);
  assert.match(stages[0]!, configFile);
  assert.is(stages[1], '✓ Passwörter – 1 im Schlüsselbund gespeichert');
  assert.match(stages[2]!, /^✓ Verschlüsselung der USB-Festplatte – /);
  assert.match(stages[5]!, /^✓ Erstes Backup mit Wiederherstellungstest/);
  assert.match(w().log.toPlainText(), 'Einspieltest „labor“ bestanden');
  assert.ok(['ok', 'warn'].includes(w().result.property('tone').toString()), w().result.text());
  const details = w().details.text();
  assert.match(details, `Konfiguration: ${configFile}`);
  assert.match(details, `Backups liegen in: ${join(place.path, 'Praxis-Backup')}`);
  assert.match(details, /Erstes Backup: \d{8}_\d{6}/);
  assert.match(details, 'Wiederherstellungstest: bestanden.');
  assert.match(details, /Notfallblatt/);
  assert.ok(w().sheet.isVisible());
  assert.is(w().sheet.text(), 'Notfallblatt „usb“ drucken…');
  await click(w().sheet);
  assert.equal(sheets, ['usb']);
  assert.is(w().bar.value(), 100);
  assert.is(w().close.text(), 'Schließen');
  await screenshot('done');
});

test('closing releases the pump', async () => {
  win.close();
  await q.settle(100);
  assert.not.ok(win.isOpen);
  assert.not.ok(held.has('setup'));
});

test.run();

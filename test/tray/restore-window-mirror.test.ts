// The restore window with a mirror as the source, on a real X display with real parts: a `path`
// mirror on its own tmpfs (another device than the backup directory) holding a backup the built
// CLI made, the local backup directory emptied (the server's disk died). Choosing the mirror runs
// `praxis-backup list --mirror usb --json`; its backup is listed like a local one, checked and
// restored from there. A mirror whose folder does not exist: the CLI's words in the window.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose } from '../../src/app/compose';
import { readCatalog } from '../../src/backup-directory/catalog';
import { backupChoices } from '../../src/tray/model/restore-form';
import type { RestoreWindow as Window } from '../../src/tray/windows/restore-window';
import { CLI, cliEnv, runCli } from '../helpers/cli';
import { startQt, type ClickableWidget, type TestQt } from '../helpers/qt';
import { createSampleFiles, sampleFilePath } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('tray restore window: a mirror as the source (Xvfb, real path mirror, real CLI)');

let q: TestQt;
let win: Window;
let backupDir: string;
let files: string;
let mirrorDir: string;
let missing: string;
let backupId: string;
const held = new Set<string>();
const LOST = sampleFilePath(3);

test.before(visibly(async () => {
  q = await startQt();
  const root = await makeTempDir('praxis-restorewin-mirror');
  files = join(root, 'Anhaenge');
  await createSampleFiles(files, { files: 12 });
  backupDir = join(root, 'backups');
  const disk = await mountTmpfs(64);
  mirrorDir = join(disk.path, 'praxis');
  // weg: a second disk without the folder (the wrong disk, or not set up yet).
  missing = join((await mountTmpfs(16)).path, 'praxis');
  const base = { backupDir, components: [{ name: 'anhaenge', type: 'folder', path: files }], retention: { keep: 5 } };
  const usb = { name: 'usb', type: 'path', path: mirrorDir, mode: 'all' };
  const configFile = join(root, 'config.json');
  // The nightly run: backup, then the copy onto usb (the folder is created there by the admin once).
  writeFileSync(configFile, JSON.stringify({ ...base, mirrors: [usb] }));
  mkdirSync(mirrorDir);
  const { env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off' });
  const r = await runCli(['run', '--config', configFile, '--json'], env);
  assert.is(r.code, 0, r.stderr);
  backupId = r.events.at(-1)!.summary.backupId;
  assert.ok(existsSync(join(mirrorDir, backupId, 'manifest.json')), 'the backup is on usb');
  // The server's disk died: no local backups; an attachment is lost. A second mirror is not attached.
  rmSync(backupDir, { recursive: true, force: true });
  rmSync(join(files, LOST));
  writeFileSync(configFile, JSON.stringify({ ...base, mirrors: [usb, { name: 'weg', type: 'path', path: missing, mode: 'all' }] }));

  const { RestoreWindow } = await import('../../src/tray/windows/restore-window');
  win = new RestoreWindow({ app: compose(process.env), configFile, lang: 'de', cli: CLI, env, pump: { hold: (r) => held.add(r), release: (r) => held.delete(r) } });
}));
test.after(runCleanups);

function w() {
  const parts = win.widgets;
  if (!parts) throw new Error('the restore window is not open');
  return parts;
}

const until = (what: string, check: () => boolean, ms = 30_000) => q.until(what, check, ms);
const click = (widget: ClickableWidget) => q.click(widget);

/** Chooses a source as the admin does: opens the combo box with a click, picks the entry with the keyboard. */
async function chooseSource(index: number): Promise<void> {
  const from = w().source.currentIndex();
  await click(w().source);
  await q.settle(200);
  const key = index > from ? 'Down' : 'Up';
  await q.display.xdotool(['key', ...Array(Math.abs(index - from)).fill(key), 'Return']);
  await q.settle(100);
}

const problemTone = () => w().problem.property('tone').toString();
const tone = () => w().status.property('tone').toString();
const noCli = () => !held.has('restore-list') && !held.has('restore-run');

test('the backup directory is empty: the window says so; both mirrors are offered', async () => {
  win.show();
  await until('the local list', () => w().problem.isVisible());
  assert.is(w().list.count(), 0);
  assert.is(w().problem.text(), `Im Sicherungsverzeichnis ${backupDir} gibt es noch kein vollständiges Backup.`);
  assert.ok(w().source.isVisible());
  assert.equal([0, 1, 2].map((i) => w().source.itemText(i)), [`Sicherungsverzeichnis (${backupDir})`, 'Datenträger „usb“', 'Datenträger „weg“']);
  assert.not.ok(w().check.isEnabled());
});

test('choosing usb: busy while the CLI reads it, then the backup ON usb, worded like a local one', async () => {
  w().source.setCurrentIndex(1);
  // The CLI was started, nothing of it can have arrived yet.
  assert.is(win.model.current.source, 'usb');
  assert.ok(held.has('restore-list'), 'fast pumping while the CLI reads the mirror');
  assert.is(w().problem.text(), 'Lese Sicherungen auf „usb“ …');
  assert.is(problemTone(), 'pending');
  assert.match(w().problem.styleSheet(), 'color: #555555');
  assert.not.ok(w().check.isEnabled());
  await q.display.screenshot('restore-window-mirror-reading.png');
  await until('the list of usb', () => w().list.count() === 1);
  assert.ok(noCli(), 'the list command ended');
  assert.not.ok(w().problem.isVisible());
  // Exactly the line the backup directory would show for this backup.
  const expected = backupChoices((await readCatalog(mirrorDir)).complete, 'de');
  assert.is(w().items[0]!.text(), expected[0]!.label);
  assert.match(w().items[0]!.text(), /^(Mo|Di|Mi|Do|Fr|Sa|So)\., \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr  –  .* –  anhaenge$/);
  assert.is(w().items[0]!.toolTip(), backupId);
  assert.is(w().list.currentRow(), 0, 'the newest is chosen');
  assert.equal(w().components.map((c) => [c.name, c.box.isChecked()]), [['anhaenge', true]]);
  assert.match(w().components[0]!.box.text(), /^anhaenge – Ordner, /);
  assert.is(w().mirrorHint.text(), 'Die Liste zeigt die Backups auf „usb“. Zum Prüfen und Wiederherstellen wird der Datenträger wieder eingehängt und danach ausgehängt.');
  assert.ok(w().check.isEnabled());
  await q.display.screenshot('restore-window-mirror-list.png');
});

test('„Prüfen…“ and the restore run from usb (--from-mirror): the lost attachment is back', async () => {
  await click(w().check);
  await until('the check', () => tone() !== 'pending' && noCli(), 60_000);
  assert.is(tone(), 'ok', w().status.text());
  const phase = win.model.phase;
  assert.ok(phase.kind === 'checked');
  assert.equal(phase.argv, ['restore', backupId, '--dry-run', '--from-mirror', 'usb']);
  assert.match(w().plan.toPlainText(), `Wiederherstellung von Backup ${backupId} vom`);
  assert.match(w().plan.toPlainText(), ` aus ${mirrorDir}`, 'read from the USB disk');
  assert.match(w().log.toPlainText(), `Quelle der Wiederherstellung: ${mirrorDir}`);
  assert.not.ok(existsSync(join(files, LOST)), 'the check changed nothing');
  await click(w().confirm);
  assert.ok(w().run.isEnabled());
  await q.display.screenshot('restore-window-mirror-checked.png');
  await click(w().run);
  await until('the restore', () => tone() !== 'pending' && noCli(), 120_000);
  assert.is(tone(), 'ok', w().status.text());
  assert.ok(existsSync(join(files, LOST)), 'restored from the USB disk');
  assert.equal(readFileSync(join(mirrorDir, backupId, 'anhaenge', LOST)), readFileSync(join(files, LOST)));
  assert.match(w().log.toPlainText(), `Wiederherstellung von ${backupId} abgeschlossen`);
  // The safety backup went into the (new) backup directory; the list still shows usb's.
  await q.settle(500);
  assert.is(win.model.current.source, 'usb');
  assert.equal(win.model.backups.map((b) => b.id), [backupId]);
});

test('a quick double switch never shows a stale list: usb → lokal → usb, lokal → usb → lokal, usb → weg', async () => {
  // Faster than the CLI reads a list (a keyboard's Up/Down on the combo box would be as fast).
  w().source.setCurrentIndex(0);
  w().source.setCurrentIndex(1);
  assert.is(win.model.current.source, 'usb');
  assert.is(w().problem.text(), 'Lese Sicherungen auf „usb“ …');
  await until('usb listed again', () => noCli() && w().list.count() === 1, 30_000);
  assert.is(w().items[0]!.toolTip(), backupId);
  assert.not.ok(w().problem.isVisible());

  w().source.setCurrentIndex(0);
  w().source.setCurrentIndex(1);
  w().source.setCurrentIndex(0);
  assert.is(win.model.current.source, null);
  assert.ok(held.has('restore-list'), 'usb is still being read');
  // The safety backup of the restore is the local list now.
  const local = () => w().items.map((i) => i.toolTip());
  assert.is(w().list.count(), 1);
  assert.not.equal(local(), [backupId]);
  await until('every list command ended', noCli, 30_000);
  await q.settle(300);
  assert.is(win.model.current.source, null, 'still the backup directory');
  assert.is(w().list.count(), 1);
  assert.not.equal(local(), [backupId], 'usb’s late answer is not shown');
  assert.not.ok(w().mirrorHint.isVisible());

  // usb → weg before usb was read: usb's backup never appears as weg's, weg's own answer is shown.
  w().source.setCurrentIndex(1);
  w().source.setCurrentIndex(2);
  let wrong = 0;
  await until('weg read after usb', () => ((wrong += w().list.count()), noCli() && problemTone() === 'error'), 30_000);
  assert.is(wrong, 0, 'usb’s list was shown for weg');
  assert.match(w().problem.text(), 'Der Spiegel „weg“ ist gerade nicht erreichbar');
  w().source.setCurrentIndex(0);
  await q.settle(100);
});

test('a mirror whose folder does not exist: the CLI’s words in the problem line, nothing to check', async () => {
  await chooseSource(2);
  assert.is(win.model.current.source, 'weg');
  await until('the refusal', () => problemTone() === 'error', 30_000);
  const text = w().problem.text();
  assert.match(text, `Der Spiegel „weg“ ist gerade nicht erreichbar: Datenträger „weg“: der Ordner ${missing} existiert nicht (Datenträger nicht eingehängt?).`);
  assert.match(text, /\nZum erneuten Lesen „weg“ unter „Quelle“ noch einmal auswählen\.$/);
  assert.match(w().problem.styleSheet(), 'color: #c62828');
  assert.is(w().list.count(), 0);
  assert.is(w().components.length, 0);
  assert.not.ok(w().check.isEnabled());
  assert.not.ok(w().run.isEnabled());
  await q.display.screenshot('restore-window-mirror-error.png');
  // The folder is there now: choosing „weg“ once more reads it again.
  mkdirSync(missing);
  await chooseSource(2);
  await until('the empty list of weg', () => problemTone() === 'error' && w().problem.text().startsWith('Auf „weg“'), 30_000);
  assert.is(w().problem.text(), `Auf „weg“ (${missing}) gibt es noch kein vollständiges Backup.`);
  win.close();
  await q.settle(100);
  assert.not.ok(held.has('restore'));
});

test.run();

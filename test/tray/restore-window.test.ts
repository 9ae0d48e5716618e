// The restore window on a real X display with real parts: a PostgreSQL cluster started here, a
// folder, the built CLI. Back up, change the data, open the window, „Prüfen…“ (clicked with
// xdotool), read the overview, tick, „Jetzt wiederherstellen“ — the database equals the backup
// afterwards. A damaged dump and a wrong password are refused by the check, nothing enabled.
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose } from '../../src/app/compose';
import type { RestoreWindow as Window } from '../../src/tray/windows/restore-window';
import { CLI, cliEnv, runCli } from '../helpers/cli';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { startQt, type ClickableWidget, type TestQt } from '../helpers/qt';
import { createSampleFiles, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

const test = suite('tray restore window (Xvfb, real PostgreSQL, real CLI)');

let q: TestQt;
let pg: PgServer;
let win: Window;
let configFile: string;
let env: Record<string, string>;
let backupDir: string;
let files: string;
let backupId: string;
let atBackup: string;
const DB = 'praxis_fenster';
const held = new Set<string>();
let closedCalls = 0;

/** All rows of both tables as one fingerprint: equal fingerprints, equal data. */
async function fingerprint(db = DB): Promise<string> {
  const rows = async (table: string) => pg.psql(`SELECT count(*) || ':' || md5(string_agg(x::text, ',' ORDER BY x::text)) FROM ${table} x`, db);
  return `${await rows('patient')} ${await rows('besuch')}`;
}

test.before(visibly(async () => {
  q = await startQt();
  pg = await startPostgres();
  const root = await makeTempDir('praxis-restorewin');
  await createSamplePostgres(pg, DB, { patients: 40 });
  files = join(root, 'Anhaenge');
  await createSampleFiles(files, { files: 15 });
  backupDir = join(root, 'backups');
  configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir,
      components: [
        { name: 'datenbank', type: 'postgres', database: DB, host: '127.0.0.1', port: pg.port, user: pg.user },
        { name: 'anhaenge', type: 'folder', path: files },
      ],
      retention: { keep: 5 },
    }),
  );
  ({ env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_PASSWORD_DATENBANK: pg.password }));
  const r = await runCli(['run', '--config', configFile, '--json'], env);
  assert.is(r.code, 0, r.stderr);
  backupId = r.events.at(-1)!.summary.backupId;
  atBackup = await fingerprint();
  // After the backup: the practice kept working.
  await pg.psql(`UPDATE patient SET nachname = 'GEÄNDERT' WHERE id <= 10`, DB);
  await pg.psql(`DELETE FROM besuch WHERE id % 3 = 0`, DB);
  writeFileSync(join(files, 'neu-nach-dem-backup.pdf'), 'scanned after the backup');
  assert.not.equal(await fingerprint(), atBackup);

  const { RestoreWindow } = await import('../../src/tray/windows/restore-window');
  win = new RestoreWindow({ app: compose(process.env), configFile, lang: 'de', cli: CLI, env, pump: { hold: (r) => held.add(r), release: (r) => held.delete(r) } });
  win.onClosed = () => closedCalls++;
}));
test.after(runCleanups);

function w() {
  const parts = win.widgets;
  if (!parts) throw new Error('the restore window is not open');
  return parts;
}

const until = (what: string, check: () => boolean, ms = 30_000) => q.until(what, check, ms);
const click = (widget: ClickableWidget) => q.click(widget);

const tone = () => w().status.property('tone').toString();
const idle = () => !held.has('restore-run');

test('opens with the backup preselected, its components all checked, nothing to confirm yet', async () => {
  win.show();
  await until('the list', () => w().list.count() === 1);
  await q.settle(200);
  assert.ok(held.has('restore'), 'fast pumping while open');
  assert.is(w().list.currentRow(), 0);
  assert.match(w().items[0]!.text(), /^(Mo|Di|Mi|Do|Fr|Sa|So)\., \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr  –  .* –  datenbank, anhaenge$/);
  assert.equal(w().components.map((c) => [c.name, c.box.isChecked()]), [['datenbank', true], ['anhaenge', true]]);
  assert.match(w().components[0]!.box.text(), /^datenbank – PostgreSQL-Datenbank, /);
  assert.not.ok(w().source.isVisible(), 'no mirror configured: no source choice');
  assert.not.ok(w().deleteNewer.isChecked());
  assert.not.ok(w().dropPrevious.isChecked());
  assert.is(w().safetyHint.text(), 'Vor dem Zurückspielen wird immer zuerst eine vollständige Sicherheitskopie des jetzigen Stands erstellt.');
  assert.ok(w().check.isEnabled());
  assert.not.ok(w().confirm.isEnabled());
  assert.not.ok(w().run.isEnabled());
  // Unchecking a part warns at once.
  await click(w().components[1]!.box);
  assert.not.ok(w().components[1]!.box.isChecked());
  assert.ok(w().partialHint.isVisible());
  assert.match(w().partialHint.text(), 'Datenbank und Anhänge passen danach womöglich nicht mehr zusammen');
  await click(w().components[1]!.box);
  assert.not.ok(w().partialHint.isVisible());
});

test('„Prüfen…“: the CLI checks (nothing changed) and its overview is shown; the tick enables the restore; a change takes it away', async () => {
  await click(w().check);
  assert.ok(held.has('restore-run'), 'fast pumping while the CLI works');
  await until('the check', () => tone() !== 'pending' && idle(), 60_000);
  assert.is(tone(), 'ok', w().status.text());
  const plan = w().plan.toPlainText();
  assert.match(plan, `Wiederherstellung von Backup ${backupId} vom`);
  assert.match(plan, /datenbank: ersetzt praxis_fenster \(127\.0\.0\.1:\d+\)/);
  assert.match(plan, '1 Datei(en), die neuer als das Backup sind, bleiben erhalten');
  assert.match(plan, 'ACHTUNG: Alles, was nach dem');
  assert.match(w().confirm.text(), /^Ich habe verstanden: Daten nach dem (Mo|Di|Mi|Do|Fr|Sa|So)\., \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} gehen verloren$/);
  assert.ok(w().confirm.isEnabled());
  assert.not.ok(w().run.isEnabled(), 'not before the tick');
  assert.not.equal(await fingerprint(), atBackup, 'the check changed nothing');
  await click(w().confirm);
  assert.ok(w().confirm.isChecked());
  assert.ok(w().run.isEnabled());
  await q.display.screenshot('restore-window-plan.png');

  // An option changed after the check: the check and the tick are gone.
  await click(w().dropPrevious);
  assert.not.ok(w().confirm.isChecked());
  assert.not.ok(w().confirm.isEnabled());
  assert.not.ok(w().run.isEnabled());
  assert.is(w().plan.toPlainText(), '');
  await click(w().dropPrevious);
  assert.not.ok(w().dropPrevious.isChecked());
});

test('„Jetzt wiederherstellen“: safety backup first, the database equals the backup, the result names the kept old database', async () => {
  await click(w().check);
  await until('the second check', () => tone() === 'ok' && idle(), 60_000);
  await click(w().confirm);
  await click(w().run);
  assert.ok(w().cancel.isEnabled(), '„Abbrechen“ while it runs');
  assert.not.ok(w().list.isEnabled(), 'no other choice while it runs');
  await until('the restore', () => tone() !== 'pending' && idle(), 120_000);
  await q.settle(300);
  assert.is(tone(), 'ok', w().status.text());
  assert.is(await fingerprint(), atBackup, 'the database is the backup again');
  assert.ok(existsSync(join(files, 'neu-nach-dem-backup.pdf')), 'newer files kept (not asked to delete)');
  const kept = (await pg.psql(`SELECT datname FROM pg_database WHERE datname LIKE '${DB}_vor_restore_%'`)).trim();
  assert.match(kept, /^praxis_fenster_vor_restore_\d{8}_\d{6}$/);
  const lines = w().status.text().split('\n');
  assert.match(lines[0]!, /^Wiederhergestellt: Der Stand vom .* ist zurückgespielt\.$/);
  assert.is(lines[1], `Die bisherige Datenbank bleibt erhalten als: ${kept}. Bitte löschen, sobald die Praxissoftware wieder richtig läuft.`);
  assert.match(lines[2]!, /^Der Stand vor der Wiederherstellung liegt in der Sicherheitskopie \d{8}_\d{6}\.$/);
  const log = w().log.toPlainText();
  assert.match(log, 'Sicherheitskopie des jetzigen Stands wird erstellt');
  assert.match(log, /Stelle datenbank \(postgres\) wieder her|Spiele die Sicherung in/);
  assert.match(log, `Wiederherstellung von ${backupId} abgeschlossen`);
  assert.not.ok(w().run.isEnabled(), 'a second restore needs a new check');
  assert.not.ok(w().cancel.isEnabled());
  // The list was read again: the safety backup is there, the restored backup still chosen.
  await until('the safety backup in the list', () => w().list.count() === 2);
  assert.is(win.model.current.backupId, backupId);
  assert.not.equal(w().items[0]!.text(), w().items[1]!.text(), 'two backups in the same minute are told apart');
  await q.display.screenshot('restore-window-done.png');
});

test('a damaged dump: the check shows the refusal in red, nothing can be confirmed, nothing changed', async () => {
  const dump = join(backupDir, backupId, 'datenbank.pgdump');
  const fd = openSync(dump, 'r+');
  writeSync(fd, Buffer.from('XXXX'), 0, 4, 200);
  closeSync(fd);
  await pg.psql(`UPDATE patient SET nachname = 'NACH DEM RESTORE' WHERE id = 1`, DB);
  const before = await fingerprint();
  w().list.setCurrentRow(win.model.backups.findIndex((b) => b.id === backupId));
  await q.settle(100);
  await click(w().check);
  await until('the refusal', () => tone() !== 'pending' && idle(), 60_000);
  assert.is(tone(), 'error');
  assert.match(w().status.text(), `So kann nicht wiederhergestellt werden: Das Backup ${backupId} ist beschädigt und wird NICHT wiederhergestellt (es wurde nichts verändert): datenbank: sha256`);
  assert.match(w().status.styleSheet(), 'color: #c62828');
  assert.not.ok(w().confirm.isEnabled());
  assert.not.ok(w().run.isEnabled());
  assert.is(await fingerprint(), before);
  await q.display.screenshot('restore-window-damaged.png');
});

test('a wrong database password: the CLI says so, and where the database password is stored', async () => {
  const other = new (await import('../../src/tray/windows/restore-window')).RestoreWindow({
    app: compose(process.env),
    configFile,
    lang: 'de',
    cli: CLI,
    env: { ...env, PRAXIS_BACKUP_PASSWORD_DATENBANK: 'falsch-123' },
  });
  other.show();
  const o = () => other.widgets!;
  await until('the list', () => o().list.count() === 2);
  // The newest: the safety backup, undamaged.
  await click(o().check);
  await until('the refusal', () => o().status.property('tone').toString() === 'error', 60_000);
  const text = o().status.text();
  assert.match(text, /Anmeldung an der Datenbank „praxis_fenster“ .* fehlgeschlagen – das Passwort ist falsch oder fehlt/);
  assert.match(text, `praxis-backup credentials set postgres://${pg.user}@127.0.0.1:${pg.port}/praxis_fenster`);
  assert.not.ok(text.includes('falsch-123'));
  assert.not.ok(o().run.isEnabled());
  other.close();
});

test('another source: each mirror is offered; choosing it lets the CLI read its list and say why it cannot (a disk not attached)', async () => {
  const withMirror = join(backupDir, '..', 'config-usb.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  writeFileSync(withMirror, JSON.stringify({ ...config, mirrors: [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-NICHT-DA' }, mode: 'all' }] }));
  const other = new (await import('../../src/tray/windows/restore-window')).RestoreWindow({ app: compose(process.env), configFile: withMirror, lang: 'de', cli: CLI, env });
  other.show();
  const o = () => other.widgets!;
  await until('the list', () => o().list.count() === 2);
  assert.ok(o().source.isVisible());
  assert.is(o().source.count(), 2);
  assert.is(o().source.itemText(0), `Sicherungsverzeichnis (${backupDir})`);
  assert.is(o().source.itemText(1), 'Datenträger „usb“');
  assert.not.ok(o().mirrorHint.isVisible());
  o().source.setCurrentIndex(1);
  await q.settle(100);
  assert.is(other.model.current.source, 'usb');
  assert.match(o().mirrorHint.text(), 'Die Liste zeigt die Backups auf „usb“.');
  // The list is usb's, not the backup directory's: the CLI (list --mirror usb) cannot reach it.
  await until('the refusal', () => o().problem.property('tone').toString() === 'error', 60_000);
  assert.match(o().problem.text(), 'Der Spiegel „usb“ ist gerade nicht erreichbar: Datenträger „usb“ („PRAXIS-NICHT-DA“) ist nicht angeschlossen.');
  assert.is(o().list.count(), 0);
  assert.not.ok(o().check.isEnabled());
  assert.not.ok(o().run.isEnabled());
  await q.display.screenshot('restore-window-mirror.png');
  // Back to the backup directory: its two backups again.
  o().source.setCurrentIndex(0);
  await q.settle(100);
  assert.is(o().list.count(), 2);
  assert.not.ok(o().problem.isVisible());
  assert.ok(o().check.isEnabled());
  other.close();
});

test('closing releases the pump and says so', async () => {
  win.close();
  await q.settle(100);
  assert.not.ok(win.isOpen);
  assert.is(closedCalls, 1);
  assert.not.ok(held.has('restore'));
});

test.run();

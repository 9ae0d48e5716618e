// The restore window's model without Qt: the exact argv for every choice, that any change throws a
// passed check away, the state machine, and a real catalog made by real backups (the built CLI,
// rsync, folder components) checked and restored through RunLauncher as the window does it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatBytes } from '../../src/i18n';
import { cliArgs, loadSources, RestoreForm, type BackupChoice, type RestoreChoice, type RestoreSources } from '../../src/tray/model/restore-form';
import type { CliEvent } from '../../src/tray/model/run-events';
import { RunLauncher, type RunExit } from '../../src/tray/run-launcher';
import { CLI, cliEnv, runCli } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('tray restore form');

const BACKUP: BackupChoice = {
  id: '20261124_031500',
  date: new Date(2026, 10, 24, 3, 15, 0),
  label: 'x',
  components: [
    { name: 'datenbank', type: 'postgres', label: 'datenbank' },
    { name: 'anhaenge', type: 'folder', label: 'anhaenge' },
    { name: 'server', type: 'folder', label: 'server' },
  ],
};
const SOURCES: RestoreSources = { backupDir: '/srv/backup', backups: [BACKUP], mirrors: ['usb', 'nas'], databases: [], problem: null };

const exitWith = (summary: RunExit['summary'], exitCode = summary?.exitCode ?? 0): RunExit => ({ exitCode, signal: null, summary, stderrTail: [] });
const planEvent = (text: string[]): CliEvent => ({ type: 'restore-plan', plan: { backupId: BACKUP.id, backupDate: BACKUP.date.toISOString() }, text });
const msg = (key: string, text: string) => ({ key, text });

function checkedForm(): RestoreForm {
  const f = new RestoreForm('de');
  f.setSources(SOURCES);
  f.selectBackup(BACKUP.id);
  assert.ok(f.startCheck());
  f.onEvent(planEvent(['Wiederherstellung von Backup …', 'ACHTUNG: Alles, was nach dem …']));
  f.onExit(exitWith({ result: 'success', exitCode: 0 }));
  assert.is(f.phase.kind, 'checked');
  return f;
}

test('argv: every combination of source, components and options, for the check and for the run', () => {
  const subsets = [['datenbank', 'anhaenge', 'server'], ['datenbank'], ['anhaenge', 'server'], ['server', 'datenbank']];
  let n = 0;
  for (const source of [null, 'usb'])
    for (const components of subsets)
      for (const deleteNewerFiles of [false, true])
        for (const dropPrevious of [false, true])
          for (const mode of ['check', 'run'] as const) {
            const choice: RestoreChoice = { source, backupId: BACKUP.id, components, deleteNewerFiles, dropPrevious };
            const expected = ['restore', '20261124_031500', mode === 'check' ? '--dry-run' : '--yes'];
            if (source) expected.push('--from-mirror', 'usb');
            // The backup's order, whatever order the boxes were ticked in; all of them: no --components.
            if (components.length === 1) expected.push('--components', 'datenbank');
            if (components[0] === 'anhaenge') expected.push('--components', 'anhaenge,server');
            if (components[0] === 'server') expected.push('--components', 'datenbank,server');
            if (deleteNewerFiles) expected.push('--delete-newer-files');
            if (dropPrevious) expected.push('--drop-previous');
            assert.equal(cliArgs(choice, BACKUP, mode), expected);
            assert.not.ok(cliArgs(choice, BACKUP, mode)!.includes('--no-safety-backup'));
            n++;
          }
  assert.is(n, 64);
  const none: RestoreChoice = { source: null, backupId: BACKUP.id, components: [], deleteNewerFiles: false, dropPrevious: false };
  assert.is(cliArgs(none, BACKUP, 'check'), null, 'nothing chosen: nothing to check');
  assert.is(cliArgs({ ...none, components: ['server'], backupId: null }, BACKUP, 'check'), null);
  assert.is(cliArgs({ ...none, components: ['server'], backupId: '20200101_000000' }, BACKUP, 'check'), null, 'argv only for the backup shown');
});

test('the model builds that argv from the clicks: all components checked when a backup is chosen', () => {
  const f = new RestoreForm('de');
  f.setSources(SOURCES);
  assert.is(f.view().checkEnabled, false, 'no backup chosen');
  f.selectBackup(BACKUP.id);
  assert.equal(f.current.components, ['datenbank', 'anhaenge', 'server']);
  f.setSource('usb');
  f.setComponent('datenbank', false);
  f.setOption('deleteNewerFiles', true);
  f.setOption('dropPrevious', true);
  assert.equal(f.startCheck(), ['restore', BACKUP.id, '--dry-run', '--from-mirror', 'usb', '--components', 'anhaenge,server', '--delete-newer-files', '--drop-previous']);
});

test('unchecking a component shows the mismatch warning at once (the CLI text); none checked: no check, a reason', () => {
  const f = new RestoreForm('de');
  f.setSources(SOURCES);
  f.selectBackup(BACKUP.id);
  assert.is(f.view().partialHint, null);
  f.setComponent('anhaenge', false);
  assert.match(f.view().partialHint!, 'Es wird nur ein Teil wiederhergestellt (datenbank, server), nicht: anhaenge. Datenbank und Anhänge passen danach womöglich nicht mehr zusammen');
  for (const c of ['datenbank', 'server']) f.setComponent(c, false);
  const v = f.view();
  assert.is(v.checkEnabled, false);
  assert.is(v.status.tone, 'error');
  assert.is(v.status.text, 'Bitte mindestens einen Teil auswählen.');
  assert.is(f.startCheck(), null);
});

test('only a passed check of exactly this choice plus the tick enables the restore; any change invalidates it', () => {
  const changes: [string, (f: RestoreForm) => void][] = [
    ['another backup', (f) => f.selectBackup(null)],
    ['the same backup again', (f) => f.selectBackup(BACKUP.id)],
    ['a component', (f) => f.setComponent('server', false)],
    ['delete newer files', (f) => f.setOption('deleteNewerFiles', true)],
    ['drop previous', (f) => f.setOption('dropPrevious', true)],
    ['the source', (f) => f.setSource('nas')],
    ['a new list', (f) => f.setSources({ ...SOURCES })],
  ];
  for (const [what, change] of changes) {
    const f = checkedForm();
    let v = f.view();
    assert.ok(v.confirmEnabled);
    assert.not.ok(v.confirmChecked);
    assert.not.ok(v.runEnabled, 'not before the tick');
    assert.is(f.startRun(), null);
    assert.match(v.confirmText, 'Ich habe verstanden: Daten nach dem Di., 24.11.2026, 03:15 gehen verloren');
    assert.equal(v.planText, ['Wiederherstellung von Backup …', 'ACHTUNG: Alles, was nach dem …']);
    f.setConfirmed(true);
    assert.ok(f.view().runEnabled);
    change(f);
    v = f.view();
    assert.is(f.phase.kind, 'idle', what);
    assert.not.ok(v.confirmEnabled, what);
    assert.not.ok(v.confirmChecked, what);
    assert.not.ok(v.runEnabled, what);
    assert.equal(v.planText, [], what);
    assert.is(f.setConfirmed(true), false, `${what}: the tick cannot come back without a check`);
    assert.is(f.startRun(), null, what);
  }
});

test('state machine: checking and running lock the inputs; failures and results; cancel', () => {
  const f = new RestoreForm('de');
  f.setSources(SOURCES);
  f.selectBackup(BACKUP.id);
  f.startCheck();
  let v = f.view();
  assert.is(f.phase.kind, 'checking');
  assert.not.ok(v.inputsEnabled);
  assert.not.ok(v.checkEnabled);
  assert.ok(v.cancelEnabled, 'a slow check (mounting a mirror) can be stopped');
  assert.is(v.status.text, 'Wird geprüft – es wird nichts verändert …');
  assert.is(f.setOption('dropPrevious', true), false, 'no change while the CLI works');
  assert.is(f.startCheck(), null);
  // A refused check: the CLI's own reason, red; nothing to confirm.
  f.onEvent({ type: 'log', level: 'error', message: msg('restore.run.failed', 'Wiederherstellung fehlgeschlagen: kaputt Es wurde nichts verändert.'), ts: '' });
  f.onExit(exitWith({ result: 'failed', exitCode: 1, error: msg('restore.run.damaged', 'Das Backup 20261124_031500 ist beschädigt und wird NICHT wiederhergestellt') }));
  v = f.view();
  assert.is(f.phase.kind, 'checkFailed');
  assert.is(v.status.tone, 'error');
  assert.is(v.status.text, 'So kann nicht wiederhergestellt werden: Das Backup 20261124_031500 ist beschädigt und wird NICHT wiederhergestellt');
  assert.not.ok(v.confirmEnabled);
  assert.ok(v.inputsEnabled && v.checkEnabled, 'another try, or another backup');

  // A passed check without a plan (should not happen) is no passed check.
  f.startCheck();
  f.onExit(exitWith({ result: 'success', exitCode: 0 }));
  assert.is(f.phase.kind, 'checkFailed');

  const g = checkedForm();
  g.setConfirmed(true);
  assert.equal(g.startRun(), ['restore', BACKUP.id, '--yes']);
  v = g.view();
  assert.is(g.phase.kind, 'running');
  assert.not.ok(v.inputsEnabled);
  assert.not.ok(v.runEnabled, 'not twice');
  assert.ok(v.cancelEnabled);
  assert.ok(v.planText.length, 'the overview stays visible while it runs');
  g.onEvent({ type: 'log', level: 'info', message: msg('restore.run.safetyStarted', 'Sicherheitskopie des jetzigen Stands wird erstellt …'), ts: '' });
  assert.is(g.view().progress, 'Sicherheitskopie des jetzigen Stands wird erstellt …');
  g.onEvent({ type: 'component-started', name: 'anhaenge', componentType: 'folder', ts: '' });
  assert.is(g.view().progress, 'Sicherheitskopie: Sichere anhaenge (folder) …');
  g.onEvent({ type: 'component-started', name: 'anhaenge', componentType: 'folder', restore: true, ts: '' } as CliEvent);
  g.onEvent({ type: 'progress', name: 'anhaenge', percent: 39.6, phase: 'copy', ts: '' });
  assert.is(g.view().progress, 'Stelle anhaenge (folder) wieder her … (40 %)');
  g.onEvent({ type: 'warning', message: msg('x', 'Vorsicht'), ts: '' });
  assert.equal(g.view().log, ['Sicherheitskopie des jetzigen Stands wird erstellt …', '⚠ Vorsicht']);
  g.cancelRequested();
  v = g.view();
  assert.not.ok(v.cancelEnabled);
  assert.is(v.status.text, 'Wird abgebrochen …');
  g.onEvent({ type: 'log', level: 'error', message: msg('restore.run.failed', 'Wiederherstellung fehlgeschlagen: Die Wiederherstellung wurde abgebrochen. Es wurde nichts verändert.'), ts: '' });
  g.onExit(exitWith({ result: 'failed', exitCode: 1, error: msg('restore.run.cancelled', 'Die Wiederherstellung wurde abgebrochen.') }));
  v = g.view();
  assert.is(g.phase.kind, 'failed');
  assert.is(v.status.text, 'Wiederherstellung fehlgeschlagen: Die Wiederherstellung wurde abgebrochen. Es wurde nichts verändert.');
  assert.is(v.progress, '');
  assert.not.ok(v.runEnabled, 'a new try needs a new check');

  const h = checkedForm();
  h.setConfirmed(true);
  h.startRun();
  h.onExit(exitWith({ result: 'warning', exitCode: 3, warnings: [msg('a', 'a')], safetyBackupId: '20261125_101010', keptDatabases: ['tomedo_vor_restore_20261125_101010'] } as RunExit['summary']));
  v = h.view();
  assert.is(h.phase.kind, 'done');
  assert.is(v.status.tone, 'warn');
  assert.equal(v.status.text.split('\n'), [
    'Wiederhergestellt, mit 1 Warnung(en): Der Stand vom Di., 24.11.2026, 03:15 ist zurückgespielt. Bitte die orange markierten Zeilen im Protokoll lesen.',
    'Die bisherige Datenbank bleibt erhalten als: tomedo_vor_restore_20261125_101010. Bitte löschen, sobald die Praxissoftware wieder richtig läuft.',
    'Der Stand vor der Wiederherstellung liegt in der Sicherheitskopie 20261125_101010.',
  ]);

  // The CLI could not be started, or died: said plainly.
  const k = new RestoreForm('en');
  k.setSources(SOURCES);
  k.selectBackup(BACKUP.id);
  k.startCheck();
  k.onExit({ exitCode: null, signal: 'SIGKILL', summary: null, stderrTail: ['out of memory'] });
  assert.is(k.view().status.text, 'This restore is not possible: The program ended unexpectedly (Signal SIGKILL). out of memory');
});

test('a refused database login: the CLI message plus where the database password goes', () => {
  const f = new RestoreForm('de');
  f.setSources({ ...SOURCES, databases: [{ name: 'datenbank', type: 'postgres', database: 'tomedo', host: '127.0.0.1', port: 5432, user: 'postgres' } as RestoreSources['databases'][number]] });
  f.selectBackup(BACKUP.id);
  f.startCheck();
  const error = { key: 'restore.db.wrongPassword', params: { database: 'tomedo', host: '127.0.0.1', port: 5432, user: 'postgres' }, text: 'Anmeldung an der Datenbank „tomedo“ … fehlgeschlagen – das Passwort ist falsch oder fehlt.' };
  f.onExit(exitWith({ result: 'failed', exitCode: 1, error }));
  const lines = f.view().status.text.split('\n');
  assert.is(lines[0], `So kann nicht wiederhergestellt werden: ${error.text}`);
  assert.is(lines[1], 'Das Passwort des Datenbank-Administrators wird im Terminal gespeichert mit: praxis-backup credentials set postgres://postgres@127.0.0.1:5432/tomedo („Netzlaufwerk-Zugangsdaten…“ ist nur für Netzlaufwerke).');
});

test('no config, no backups: the window says why instead of an empty list', async () => {
  const root = await makeTempDir('restore-form-empty');
  let s = await loadSources(join(root, 'missing.json'), 'de');
  assert.match(s.problem!, /^Die Konfiguration konnte nicht gelesen werden: /);
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ backupDir: join(root, 'b'), components: [{ name: 'f', type: 'folder', path: root }], retention: { keep: 2 } }));
  s = await loadSources(configFile, 'de');
  assert.match(s.problem!, /^Die Konfiguration konnte nicht gelesen werden: .*config\.json/, 'a config the engine refuses, said in its words');
  writeFileSync(configFile, JSON.stringify({ backupDir: join(root, 'b'), components: [{ name: 'f', type: 'folder', path: join(root, 'f') }], retention: { keep: 2 } }));
  s = await loadSources(configFile, 'de');
  assert.equal(s.backups, []);
  assert.is(s.problem, `Im Sicherungsverzeichnis ${join(root, 'b')} gibt es noch kein vollständiges Backup.`);
});

// --- real backups, real CLI --------------------------------------------------------------------

function follow(launcher: RunLauncher, form: RestoreForm, argv: string[]): Promise<RunExit> {
  return new Promise((resolve) => {
    assert.ok(
      launcher.start(
        {
          onEvent: (e) => form.onEvent(e),
          onExit: (x) => {
            form.onExit(x);
            resolve(x);
          },
        },
        argv,
      ),
    );
  });
}

test('a real catalog: newest first, date in words, size, components; checked and restored through the CLI', async () => {
  const root = await makeTempDir('restore-form');
  const { env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off' });
  const files = join(root, 'Anhaenge');
  const program = join(root, 'Server');
  await createSampleFiles(files, { files: 12 });
  await createSampleFiles(program, { files: 3 });
  const backupDir = join(root, 'backups');
  const configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir,
      components: [
        { name: 'anhaenge', type: 'folder', path: files },
        { name: 'server', type: 'folder', path: program },
      ],
      retention: { keep: 5 },
      mirrors: [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-USB' }, mode: 'all' }],
    }),
  );
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    // Backup ids are seconds: one second apart, two backups.
    if (i) await new Promise((r) => setTimeout(r, 1100));
    // The usb mirror is absent: exit 3 (warning), the backup itself is complete.
    const r = await runCli(['run', '--config', configFile, '--json'], env);
    assert.ok(r.code === 0 || r.code === 3, r.stderr);
    ids.push(r.events.at(-1)!.summary.backupId);
  }
  const sources = await loadSources(configFile, 'de');
  assert.is(sources.problem, null);
  assert.equal(sources.mirrors, ['usb']);
  assert.equal(sources.backups.map((b) => b.id), [...ids].reverse(), 'newest first');
  const newest = sources.backups[0]!;
  const manifest = JSON.parse(readFileSync(join(backupDir, newest.id, 'manifest.json'), 'utf8'));
  const bytes = manifest.components.reduce((s: number, c: { bytes: number }) => s + c.bytes, 0);
  assert.match(newest.label, new RegExp(`^(Mo|Di|Mi|Do|Fr|Sa|So)\\., \\d{2}\\.\\d{2}\\.\\d{4}, \\d{2}:\\d{2}(:\\d{2})? Uhr  –  ${formatBytes(bytes).replace(/[.,]/g, '\\$&')}  –  anhaenge, server$`));
  const [, hh, mi, ss] = /_(\d{2})(\d{2})(\d{2})/.exec(newest.id)!;
  // Two backups in the same minute show their seconds to tell them apart; otherwise hours and minutes.
  const sameMinute = ids[0]!.slice(0, 13) === ids[1]!.slice(0, 13);
  assert.ok(newest.label.includes(sameMinute ? `, ${hh}:${mi}:${ss} Uhr` : `, ${hh}:${mi} Uhr`), `the backup time in the label: ${newest.label}`);
  assert.equal(newest.components.map((c) => c.label), manifest.components.map((c: { name: string; bytes: number }) => `${c.name} – Ordner, ${formatBytes(c.bytes)}`));
  const en = await loadSources(configFile, 'en');
  assert.match(en.backups[0]!.label, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}(:\d{2})?  –  /);

  // After the backup: a file is added and one changed; the older backup is put back.
  writeFileSync(join(files, 'neu-nach-dem-backup.pdf'), 'new');
  const form = new RestoreForm('de');
  form.setSources(sources);
  form.selectBackup(ids[0]!);
  form.setOption('deleteNewerFiles', true);
  const launcher = new RunLauncher({ node: process.execPath, cli: CLI, configFile, lang: 'de', env });
  const check = await follow(launcher, form, form.startCheck()!);
  assert.is(check.exitCode, 0, check.stderrTail.join('\n'));
  let v = form.view();
  assert.is(form.phase.kind, 'checked', v.status.text);
  assert.match(v.planText[0]!, `Wiederherstellung von Backup ${ids[0]} vom`);
  assert.ok(v.planText.some((l) => /1 Datei\(en\), die neuer als das Backup sind, werden GELÖSCHT, z\. B\.: neu-nach-dem-backup\.pdf/.test(l)), v.planText.join('\n'));
  assert.ok(v.planText.some((l) => l.startsWith('ACHTUNG: Alles, was nach dem')));
  assert.ok(existsSync(join(files, 'neu-nach-dem-backup.pdf')), 'the check changed nothing');
  form.setConfirmed(true);
  const run = await follow(launcher, form, form.startRun()!);
  assert.ok(run.exitCode === 0 || run.exitCode === 3, run.stderrTail.join('\n'));
  v = form.view();
  assert.is(form.phase.kind, 'done', v.status.text);
  assert.not.ok(existsSync(join(files, 'neu-nach-dem-backup.pdf')), '--delete-newer-files reached the CLI');
  const safety = readdirSync(backupDir).filter((n) => /^\d{8}_\d{6}$/.test(n) && !ids.includes(n));
  assert.is(safety.length, 1, 'a safety backup was made first');
  assert.match(v.status.text, `Der Stand vor der Wiederherstellung liegt in der Sicherheitskopie ${safety[0]}.`);
  assert.ok(v.log.some((l) => l.startsWith('Sicherheitskopie des jetzigen Stands wird erstellt')), v.log.join('\n'));
  assert.ok(existsSync(join(backupDir, safety[0]!, 'anhaenge', 'neu-nach-dem-backup.pdf')), 'the safety backup holds the newer file');
});

test.after(runCleanups);
test.run();

// The restore window's model without Qt: the exact argv for every choice, that any change throws a
// passed check away, the state machine, and a real catalog made by real backups (the built CLI,
// rsync, folder components) checked and restored through RunLauncher as the window does it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatBytes } from '../../src/i18n';
import {
  backupChoice,
  cliArgs,
  loadSources,
  mirrorListPlan,
  mirrorListResult,
  parseMirrorList,
  readMirrorList,
  RestoreForm,
  type BackupChoice,
  type MirrorListOutcome,
  type RestoreChoice,
  type RestoreSources,
} from '../../src/tray/model/restore-form';
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
  // The list of usb, read by the CLI, holds the same backup: it stays chosen.
  const request = f.startMirrorList()!;
  f.onMirrorList(request.seq, { dir: '/Volumes/PRAXIS-BACKUP/Praxis-Backup', backups: [BACKUP] });
  assert.is(f.current.backupId, BACKUP.id);
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

// --- a mirror's list (list --mirror NAME --json) ------------------------------------------------

/** What `list --mirror usb --json` printed for two backups of the same minute (shape as list.ts writes it). */
const LIST_JSON = JSON.stringify({
  dir: '/Volumes/PRAXIS-BACKUP/Praxis-Backup',
  backups: [
    {
      id: '20261124_031542',
      path: '/Volumes/PRAXIS-BACKUP/Praxis-Backup/20261124_031542',
      startedAt: '2026-11-24T02:15:42.000Z',
      finishedAt: '2026-11-24T02:16:01.000Z',
      bytes: 13_000_000,
      host: 'praxis-server',
      components: [
        { name: 'datenbank', type: 'postgres', bytes: 12_000_000 },
        { name: 'anhaenge', type: 'folder', bytes: 1_000_000, files: 40 },
      ],
      warnings: [],
    },
    {
      id: '20261124_031510',
      path: '/Volumes/PRAXIS-BACKUP/Praxis-Backup/20261124_031510',
      startedAt: '2026-11-24T02:15:10.000Z',
      finishedAt: '2026-11-24T02:15:30.000Z',
      bytes: 2048,
      host: 'praxis-server',
      components: [{ name: 'anhaenge', type: 'folder', bytes: 2048, files: 2 }],
      warnings: [],
    },
    {
      id: '20261120_031500',
      path: '/Volumes/PRAXIS-BACKUP/Praxis-Backup/20261120_031500',
      startedAt: '2026-11-20T02:15:00.000Z',
      finishedAt: '2026-11-20T02:15:30.000Z',
      bytes: 1024,
      host: 'praxis-server',
      components: [{ name: 'anhaenge', type: 'folder', bytes: 1024, files: 1 }],
      warnings: [],
    },
  ],
  incomplete: ['20261125_031500.partial'],
});

const outcome = (o: Partial<MirrorListOutcome>): MirrorListOutcome => ({ exitCode: 0, signal: null, stdout: '', stderrTail: [], ...o });

test('a mirror list: the CLI JSON becomes the same list entries as local backups; anything else is no list', () => {
  const listed = parseMirrorList(LIST_JSON + '\n', 'de')!;
  assert.is(listed.dir, '/Volumes/PRAXIS-BACKUP/Praxis-Backup');
  assert.equal(listed.backups.map((b) => b.id), ['20261124_031542', '20261124_031510', '20261120_031500'], 'in the CLI order: newest first');
  // Exactly what a local catalog entry of the same backup shows; same minute: with seconds.
  const local = (id: string, bytes: number, components: { name: string; type: string; bytes: number }[], seconds: boolean) => backupChoice({ id, bytes, manifest: { components } }, 'de', seconds);
  assert.equal(listed.backups[0], local('20261124_031542', 13_000_000, [{ name: 'datenbank', type: 'postgres', bytes: 12_000_000 }, { name: 'anhaenge', type: 'folder', bytes: 1_000_000 }], true));
  assert.equal(listed.backups[2], local('20261120_031500', 1024, [{ name: 'anhaenge', type: 'folder', bytes: 1024 }], false));
  assert.is(listed.backups[0]!.label, `Di., 24.11.2026, 03:15:42 Uhr  –  ${formatBytes(13_000_000)}  –  datenbank, anhaenge`);
  assert.is(listed.backups[2]!.label, `Fr., 20.11.2026, 03:15 Uhr  –  ${formatBytes(1024)}  –  anhaenge`);
  assert.equal(listed.backups[0]!.components.map((c) => c.label), [`datenbank – PostgreSQL-Datenbank, ${formatBytes(12_000_000)}`, `anhaenge – Ordner, ${formatBytes(1_000_000)}`]);
  assert.match(parseMirrorList(LIST_JSON, 'en')!.backups[2]!.label, /^Fri, 20\/11\/2026, 03:15  –  /);
  assert.equal(parseMirrorList('{"dir":"/x","backups":[],"incomplete":[]}', 'de'), { dir: '/x', backups: [] });
  for (const bad of ['', 'Backups auf usb:', '{"type":"finished","summary":{"result":"failed"}}', '{"dir":"/x","backups":[{"id":"1"}]}', '{"dir":"/x","backups":[{"id":"1","bytes":1,"components":[{"name":"a"}]}]}', '[]']) {
    assert.is(parseMirrorList(bad, 'de'), null, bad);
  }
});

test('a mirror list that failed: the CLI’s own words (stderr, a config error’s JSON), a crash or no start said plainly', () => {
  const retry = 'Zum erneuten Lesen „usb“ unter „Quelle“ noch einmal auswählen.';
  assert.equal(mirrorListResult('usb', outcome({ stdout: LIST_JSON }), 'de'), parseMirrorList(LIST_JSON, 'de'));
  // Exit 1: what happened on the way, the error last with the tool's lines indented below.
  const absent = mirrorListResult('usb', outcome({ exitCode: 1, stderrTail: ['Eine alte Sperre wurde übernommen.', 'Der Spiegel „usb“ ist gerade nicht erreichbar: Datenträger „usb“ („PRAXIS-BACKUP“) ist nicht angeschlossen.', '  mount: nope', ''] }), 'de');
  assert.equal(absent, { problem: ['Eine alte Sperre wurde übernommen.', 'Der Spiegel „usb“ ist gerade nicht erreichbar: Datenträger „usb“ („PRAXIS-BACKUP“) ist nicht angeschlossen.', 'mount: nope', retry].join('\n') });
  // At most the last five lines; no stack frames.
  const crash = mirrorListResult('usb', outcome({ exitCode: 1, stderrTail: ['0', '1', '2', '3', '4', 'Unerwarteter Fehler: TypeError: x is undefined', '    at list (cli.js:1:2)', '    at main (cli.js:3:4)'] }), 'de');
  assert.equal(crash, { problem: ['1', '2', '3', '4', 'Unerwarteter Fehler: TypeError: x is undefined', retry].join('\n') });
  const config = JSON.stringify({ type: 'finished', summary: { result: 'failed', exitCode: 2, error: { key: 'config.invalid', text: 'Die Konfiguration /c.json ist ungültig:\n  - mirrors: …' } } });
  assert.equal(mirrorListResult('usb', outcome({ exitCode: 2, stdout: config + '\n', stderrTail: ['Die Konfiguration /c.json ist ungültig:'] }), 'de'), { problem: `Die Konfiguration /c.json ist ungültig:\n  - mirrors: …\n${retry}` });
  assert.equal(mirrorListResult('usb', outcome({ exitCode: null, signal: 'SIGKILL', stderrTail: ['halb'] }), 'de'), { problem: `Das Programm wurde unerwartet beendet (Signal SIGKILL). halb\n${retry}` });
  assert.equal(mirrorListResult('usb', outcome({ exitCode: 1 }), 'en'), { problem: 'The program ended unexpectedly (Exit 1). \nTo read it again, choose “usb” under “Source” once more.'.replace(' \n', '\n') });
  assert.equal(mirrorListResult('usb', outcome({ exitCode: null, startError: 'spawn node ENOENT' }), 'de'), { problem: `Konnte nicht gestartet werden: spawn node ENOENT\n${retry}` });
  assert.equal(mirrorListResult('usb', outcome({ stdout: 'Backups auf usb: 20261124_031500' }), 'de'), { problem: 'Die Liste der Backups auf „usb“ war nicht lesbar (Antwort des Programms: Backups auf usb: 20261124_031500).' });
  assert.equal(mirrorListPlan({ node: '/n', cli: '/d/cli.js', configFile: '/c.json', lang: 'en', env: { HOME: '/h' } }, 'usb'), {
    label: 'praxis-backup list --mirror usb',
    file: '/n',
    args: ['/d/cli.js', 'list', '--mirror', 'usb', '--json', '--config', '/c.json'],
    env: { HOME: '/h', PRAXIS_BACKUP_NOTIFY: 'none', PRAXIS_BACKUP_LANG: 'en' },
    inheritSecrets: true,
    okExitCodes: [0, 1, 2, 3, 75],
  });
});

test('choosing a mirror: busy while its list is read, then its backups (newest chosen); the check runs --from-mirror', () => {
  const f = new RestoreForm('de');
  f.setSources(SOURCES);
  f.selectBackup(BACKUP.id);
  assert.is(f.startMirrorList(), null, 'the backup directory needs no CLI');
  f.setSource('usb');
  let v = f.view();
  assert.equal(f.backups, [], 'not the local list any more');
  assert.equal(v.listStatus, { tone: 'pending', text: 'Lese Sicherungen auf „usb“ …' });
  assert.not.ok(v.checkEnabled);
  assert.is(f.startCheck(), null);
  assert.ok(v.inputsEnabled, 'the admin can go back while it reads');
  assert.is(v.mirrorHint, 'Die Liste zeigt die Backups auf „usb“. Zum Prüfen und Wiederherstellen wird der Datenträger wieder eingehängt und danach ausgehängt.');
  const request = f.startMirrorList()!;
  assert.equal(request, { seq: request.seq, name: 'usb' });
  assert.is(f.startMirrorList(), null, 'started once');
  assert.is(f.setSource('usb'), true);
  assert.is(f.startMirrorList(), null, 'the same mirror chosen again while it reads: no second read');
  assert.ok(f.onMirrorList(request.seq, parseMirrorList(LIST_JSON, 'de')!));
  v = f.view();
  assert.equal(f.backups.map((b) => b.id), ['20261124_031542', '20261124_031510', '20261120_031500']);
  assert.is(v.listStatus, null);
  assert.is(f.current.backupId, '20261124_031542', 'the newest is chosen: the local choice is not on usb');
  assert.equal(f.current.components, ['datenbank', 'anhaenge']);
  assert.ok(v.checkEnabled);
  assert.equal(f.startCheck(), ['restore', '20261124_031542', '--dry-run', '--from-mirror', 'usb']);
  f.onEvent(planEvent(['Wiederherstellung von Backup …']));
  f.onExit(exitWith({ result: 'success', exitCode: 0 }));
  f.setConfirmed(true);
  assert.equal(f.startRun(), ['restore', '20261124_031542', '--yes', '--from-mirror', 'usb']);

  // Back to the backup directory: its list again.
  const g = new RestoreForm('en');
  g.setSources(SOURCES);
  g.setSource('usb');
  g.onMirrorList(g.startMirrorList()!.seq, parseMirrorList(LIST_JSON, 'en')!);
  g.setSource(null);
  assert.equal(g.backups, [BACKUP]);
  assert.is(g.current.backupId, BACKUP.id);
  assert.is(g.view().listStatus, null);
  assert.is(g.view().mirrorHint, null);
  // A mirror without backups: said like the empty backup directory.
  g.setSource('nas');
  assert.is(g.view().listStatus!.text, 'Reading the backups on “nas” …');
  g.onMirrorList(g.startMirrorList()!.seq, { dir: '/mnt/nas/praxis', backups: [] });
  assert.equal(g.view().listStatus, { tone: 'error', text: 'There is no complete backup on “nas” (/mnt/nas/praxis) yet.' });
  assert.not.ok(g.view().checkEnabled);
});

test('a quick switch: the superseded list is ignored, never shown; the wanted one starts after it, no check meanwhile', () => {
  const f = new RestoreForm('de');
  f.setSources(SOURCES);
  f.selectBackup(BACKUP.id);
  f.setSource('usb');
  const usb = f.startMirrorList()!;
  f.setSource(null);
  assert.equal(f.backups, [BACKUP]);
  assert.is(f.view().listStatus, null);
  assert.not.ok(f.view().checkEnabled, 'the superseded list still holds the lock');
  assert.is(f.startCheck(), null);
  f.setSource('nas');
  assert.is(f.startMirrorList(), null, 'one list at a time');
  // usb answers late: not shown for nas.
  assert.is(f.onMirrorList(usb.seq, parseMirrorList(LIST_JSON, 'de')!), false);
  assert.equal(f.backups, []);
  assert.is(f.view().listStatus!.text, 'Lese Sicherungen auf „nas“ …');
  const nas = f.startMirrorList()!;
  assert.is(nas.name, 'nas');
  // usb → lokal → usb: the first usb read is superseded too (a fresh one is read).
  f.setSource('usb');
  assert.is(f.onMirrorList(nas.seq, { dir: '/nas', backups: [BACKUP] }), false);
  assert.equal(f.backups, []);
  const usb2 = f.startMirrorList()!;
  assert.ok(usb2.seq > usb.seq);
  f.setSource(null);
  assert.is(f.onMirrorList(usb2.seq, parseMirrorList(LIST_JSON, 'de')!), false, 'back to the backup directory: the mirror answer is ignored');
  assert.equal(f.backups, [BACKUP]);
  assert.is(f.current.backupId, BACKUP.id);
  assert.ok(f.view().checkEnabled, 'nothing runs any more');
  assert.equal(f.startCheck(), ['restore', BACKUP.id, '--dry-run']);
});

test('a mirror that cannot be read: the CLI text in the problem line, nothing to check; chosen again, it is read again', () => {
  const f = new RestoreForm('de');
  f.setSources(SOURCES);
  f.selectBackup(BACKUP.id);
  f.setSource('usb');
  const problem = 'Der Spiegel „usb“ ist gerade nicht erreichbar: Datenträger „usb“ („PRAXIS-BACKUP“) ist nicht angeschlossen.\nZum erneuten Lesen „usb“ unter „Quelle“ noch einmal auswählen.';
  assert.ok(f.onMirrorList(f.startMirrorList()!.seq, { problem }));
  const v = f.view();
  assert.equal(v.listStatus, { tone: 'error', text: problem });
  assert.is(f.problem, problem);
  assert.equal(f.backups, []);
  assert.not.ok(v.checkEnabled);
  assert.is(f.startCheck(), null);
  assert.is(v.status.text, '', 'the status line is the check’s');
  f.setSource('usb');
  assert.is(f.view().listStatus!.tone, 'pending');
  const again = f.startMirrorList()!;
  assert.is(again.name, 'usb');
  f.onMirrorList(again.seq, { dir: '/Volumes/PRAXIS-BACKUP/Praxis-Backup', backups: [BACKUP] });
  assert.is(f.view().listStatus, null);
  assert.is(f.current.backupId, BACKUP.id, 'the backup chosen before is on usb too: still chosen');
  // A loaded list is not read again by choosing it again (only the switch away and back does).
  f.setSource('usb');
  assert.is(f.startMirrorList(), null);
  // A new list without this mirror: back to the backup directory.
  f.setSources({ ...SOURCES, mirrors: ['nas'] });
  assert.is(f.current.source, null);
  assert.equal(f.backups, [BACKUP]);
});

test('a mirror list read by the real CLI: a path mirror whose folder is missing, a disk not attached', async () => {
  const root = await makeTempDir('restore-form-mirror');
  const { env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off' });
  const configFile = join(root, 'config.json');
  const missing = join(root, 'nicht-da', 'praxis');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir: join(root, 'backups'),
      components: [{ name: 'anhaenge', type: 'folder', path: join(root, 'Anhaenge') }],
      retention: { keep: 2 },
      mirrors: [
        { name: 'kopie', type: 'path', path: missing, mode: 'all' },
        { name: 'usb', type: 'volume', volume: { label: 'PRAXIS-NICHT-DA' }, mode: 'all' },
      ],
    }),
  );
  const opts = { node: process.execPath, cli: CLI, configFile, lang: 'de' as const, env };
  const kopie = await readMirrorList(opts, 'kopie');
  assert.is(kopie.exitCode, 1, kopie.stderrTail.join('\n'));
  const r = mirrorListResult('kopie', kopie, 'de');
  assert.ok('problem' in r);
  assert.match(r.problem, `Der Spiegel „kopie“ ist gerade nicht erreichbar: Datenträger „kopie“: der Ordner ${missing} existiert nicht (Datenträger nicht eingehängt?).`);
  assert.match(r.problem, /\nZum erneuten Lesen „kopie“ unter „Quelle“ noch einmal auswählen\.$/);
  const usb = mirrorListResult('usb', await readMirrorList({ ...opts, lang: 'en' }, 'usb'), 'en');
  assert.ok('problem' in usb);
  assert.match(usb.problem, /^Mirror "usb" cannot be reached right now: Mirror "usb" \(.?PRAXIS-NICHT-DA.?\) is not attached\./);
  const unknown = mirrorListResult('weg', await readMirrorList(opts, 'weg'), 'de');
  assert.ok('problem' in unknown);
  assert.match(unknown.problem, 'Unbekannter Datenträger „weg“. Konfiguriert sind: kopie, usb.');
  const noCli = await readMirrorList({ ...opts, node: join(root, 'kein-node') }, 'kopie');
  assert.ok(noCli.startError, 'a missing program is a start error');
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

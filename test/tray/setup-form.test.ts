// The setup window's model without Qt: the places named in the environment, the answers file it
// hands to the CLI, and the CLI's JSON lines (as `init --answers … --json` prints them) folded into
// the progress page's stages, progress, result and next steps.
process.env.TZ = 'Europe/Berlin';

import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compose } from '../../src/app/compose';
import { createDiscovery, parseProbeTarget } from '../../src/setup-assistant/discover/create-discovery';
import { discoveryExtrasFromEnv, SetupForm } from '../../src/tray/model/setup-form';
import { makeTempDir, runCleanups } from '../helpers/temp';

test.after(runCleanups);

function form(tmpDir?: string, lang: 'de' | 'en' = 'de') {
  const app = compose(process.env);
  const discovery = createDiscovery({ platform: app.platform, tools: app.tools, volumes: app.volumes(), defaultPlaces: false, scanDisks: false });
  const stored: [string, string][] = [];
  const f = new SetupForm({ lang, discovery, now: () => new Date(2026, 10, 24, 12), tmpDir, storePassword: async (id, pw) => void stored.push([id, pw]) });
  return { f, stored };
}

test('PRAXIS_BACKUP_DISCOVER_POSTGRES/_MARIADB: several places, comma-separated, as init --postgres/--mariadb take them; junk left out', () => {
  const extra = discoveryExtrasFromEnv({ PRAXIS_BACKUP_DISCOVER_POSTGRES: 'praxis@127.0.0.1:5433, /run/postgresql', PRAXIS_BACKUP_DISCOVER_MARIADB: 'db.local:99999,,[::1]:3307' }, parseProbeTarget);
  assert.equal(extra, {
    postgres: [{ host: '127.0.0.1', port: 5433, user: 'praxis' }, { host: '/run/postgresql' }],
    mariadb: [{ host: '::1', port: 3307 }],
  });
  assert.equal(discoveryExtrasFromEnv({}, parseProbeTarget), {});
});

test('the answers go to a new 0600 file, the argv is init --answers FILE --yes; the file is gone after the CLI', async () => {
  const dir = await makeTempDir('setup-form');
  const { f, stored } = form(join(dir, 'tmp'));
  assert.is(await f.prepareApply(), null, 'nothing to back up and no backup directory yet: the config would be refused');
  assert.is(f.phase.kind, 'steps');
  mkdirSync(join(dir, 'files'));
  f.setFolderPath('data', join(dir, 'files'));
  await f.lookUpFolders();
  await f.assistant.setBackupDir(join(dir, 'backups'));
  const argv = await f.prepareApply();
  assert.ok(argv);
  assert.equal(argv!.slice(0, 2), ['init', '--answers']);
  assert.is(argv![3], '--yes');
  const file = argv![2]!;
  assert.is(f.answersFile, file);
  assert.is(statSync(file).mode & 0o777, 0o600);
  const answers = JSON.parse(readFileSync(file, 'utf8'));
  assert.is(answers.backupDir, join(dir, 'backups'));
  assert.equal(answers.folders, [{ name: 'files', path: join(dir, 'files'), role: 'data' }]);
  assert.is(answers.version, 1);
  assert.equal(stored, [], 'no password typed: nothing stored');
  assert.is(f.phase.kind, 'applying');
  assert.is(await f.prepareApply(), null, 'not twice');
  await f.onExit({ exitCode: 0, stderrTail: [] });
  assert.not.ok(existsSync(file));
  assert.is(f.answersFile, null);
});

const ts = '2026-11-24T11:00:00.000Z';
const lines = (configFile: string) => [
  { type: 'apply-stage', stage: 'config', state: 'start' },
  { type: 'apply-stage', stage: 'config', state: 'done', message: { key: 'init.apply.configWritten', params: { file: configFile }, text: `Konfiguration geschrieben: ${configFile}` } },
  { type: 'apply-stage', stage: 'passwords', state: 'skipped' },
  { type: 'apply-stage', stage: 'encryption', state: 'skipped' },
  { type: 'apply-stage', stage: 'schedule', state: 'failed', message: { key: 'init.apply.scheduleFailed', params: {}, text: 'Der Zeitplan konnte nicht eingerichtet werden: kein systemd.' } },
  { type: 'apply-stage', stage: 'tray', state: 'skipped' },
  { type: 'apply-stage', stage: 'backup', state: 'start' },
  { type: 'started', id: '20261124_120000', components: ['tomedo', 'files'], pid: 1, ts },
  { type: 'component-started', name: 'tomedo', componentType: 'postgres', ts },
  { type: 'component-finished', name: 'tomedo', ts },
  { type: 'component-started', name: 'files', componentType: 'folder', ts },
  { type: 'progress', name: 'files', percent: 50, phase: 'copy', ts },
];

test('the CLI\'s lines: stages with their texts, the first backup\'s percent and component, the summary and next steps', () => {
  const { f } = form();
  f.phase = { kind: 'applying' };
  for (const e of lines('/etc/praxis/config.json')) f.onEvent(e);
  assert.is(f.progress.percent, 75, 'one of two done, the second half-way');
  assert.is(f.progress.current, 'Sichere files …');
  assert.equal(f.stageLines().map((l) => [l.tone, l.text]), [
    ['ok', '✓ Konfiguration – Konfiguration geschrieben: /etc/praxis/config.json'],
    ['none', '– Passwörter – nicht gewählt'],
    ['none', '– Verschlüsselung der USB-Festplatte – nicht gewählt'],
    ['warn', '✗ Zeitplan – Der Zeitplan konnte nicht eingerichtet werden: kein systemd.'],
    ['none', '– Start bei der Anmeldung – nicht gewählt'],
    ['pending', '… Erstes Backup mit Wiederherstellungstest'],
  ]);
  assert.equal(f.resultLine(), { tone: 'pending', text: 'Wird eingerichtet …' });
  f.onEvent({ type: 'finished', summary: { result: 'success', exitCode: 0 } });
  f.onEvent({ type: 'apply-stage', stage: 'backup', state: 'done' });
  f.onEvent({ type: 'apply-summary', configFile: '/etc/praxis/config.json', backupDir: '/srv/backup', backupId: '20261124_120000', restoreTest: 'passed', next: [{ key: 'init.next.runBackup', text: 'Das erste Backup starten.' }] });
  assert.is(f.progress.percent, 100);
  f.phase = { kind: 'done', exitCode: 3, error: null };
  assert.equal(f.resultLine(), { tone: 'warn', text: 'Eingerichtet, aber nicht alles hat geklappt: bitte die Hinweise oben lesen.' });
  assert.equal(f.resultDetails(), [
    'Konfiguration: /etc/praxis/config.json',
    'Backups liegen in: /srv/backup',
    'Erstes Backup: 20261124_120000',
    'Wiederherstellungstest: bestanden.',
    'Als Nächstes:',
    '• Das erste Backup starten.',
  ]);
  f.phase = { kind: 'done', exitCode: 0, error: null };
  assert.equal(f.resultLine(), { tone: 'ok', text: 'Fertig: Praxis-Backup ist eingerichtet.' });
});

test('a CLI that fails: its last words are the reason; English texts in English', async () => {
  const { f } = form(undefined, 'en');
  f.phase = { kind: 'applying' };
  await f.onExit({ exitCode: 2, stderrTail: ['', 'The configuration file /x/config.json exists already.'] });
  assert.equal(f.resultLine(), { tone: 'error', text: 'The setup failed: The configuration file /x/config.json exists already.' });
  const g = form(undefined, 'en').f;
  await g.onExit({ exitCode: null, stderrTail: [], startError: 'spawn ENOENT' });
  assert.equal(g.resultLine(), { tone: 'error', text: 'The setup failed: spawn ENOENT' });
  assert.is(g.heading(), 'Step 1 of 6: Database');
});

test.run();

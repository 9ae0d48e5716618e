// „Aufbewahrung“ in the settings window for real: NodeGui under Xvfb, the real composition root
// (its status store in the temp HOME), a backup directory with twelve nightly backups whose
// manifests say their sizes. The spin boxes are driven through their own setters (each fires Qt's
// signal, as typing does); the need under them is what the model works out, with the free space
// of the real disk; saving writes the real file. A policy that removes more than three backups
// asks first: „Nein“ saves nothing, „Ja“ saves and records the policy as confirmed in status.json.
process.env.TZ = 'Europe/Berlin';

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startQt, type TestQt } from '../helpers/qt';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

const { compose } = await import('../../src/app/compose');
const { retentionNeed } = await import('../../src/tray/model/retention-form');
type SettingsWindowT = import('../../src/tray/windows/settings-window').SettingsWindow;
type App = import('../../src/app/compose').App;

const test = suite('settings window: retention');
test.after(runCleanups);

const MiB = 1024 ** 2;
// Wednesday 2 December 2026, noon in Berlin: the twelve nights before it have a backup each.
const NOW = new Date(2026, 11, 2, 12, 0, 0);
const IDS = [...Array.from({ length: 11 }, (_, i) => `202611${20 + i}_031500`), '20261201_031500'];

let qt: TestQt;
let app: App;
let configFile: string;
let backupDir: string;
let win: SettingsWindowT;

const ORIGINAL = () => ({
  backupDir,
  components: [{ name: 'files', type: 'folder', path: '/srv/tomedo/files' }],
  retention: { keep: 12 },
  schedule: { cron: '15 3 * * *' },
});

function writeBackup(id: string): void {
  const dir = join(backupDir, id);
  mkdirSync(dir, { recursive: true });
  const at = `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T02:15:00.000Z`;
  const manifest = {
    format: 1,
    id,
    status: 'complete',
    tool: { name: 'praxis-backup', version: 'test' },
    host: 'praxis',
    startedAt: at,
    finishedAt: at,
    trigger: 'schedule',
    warnings: [],
    components: [
      { name: 'db', type: 'postgres', path: 'db.dump', bytes: 300 * MiB, warnings: [] },
      { name: 'files', type: 'folder', path: 'files', bytes: 2048 * MiB, bytesCopied: 50 * MiB, warnings: [] },
    ],
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

test.before(visibly(async () => {
  qt = await startQt();
  const dir = await makeTempDir('praxis-settings-retention');
  const home = join(dir, 'home');
  backupDir = join(dir, 'backups');
  configFile = join(home, '.config', 'praxis-backup', 'config.json');
  mkdirSync(join(configFile, '..'), { recursive: true });
  writeFileSync(configFile, JSON.stringify(ORIGINAL(), null, 2) + '\n');
  for (const id of IDS) writeBackup(id);
  app = compose({ ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state'), PRAXIS_BACKUP_STATE_DIR: join(home, 'state') });
  const { SettingsWindow } = await import('../../src/tray/windows/settings-window');
  win = new SettingsWindow({ app, configFile, lang: 'de', now: () => new Date(NOW) });
  win.show();
  await win.ready;
  await qt.settle(200);
}));

test.after(() => win?.close());

const w = () => win.widgets!;
const saved = () => JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;

test('a file with keep opens as „Anzahl“ with its count, and the need of twelve backups beside the free space', () => {
  assert.is(w().retentionMode.currentText(), 'Anzahl');
  assert.is(w().retentionKeep.value(), 12);
  assert.ok(w().retentionKeep.isVisible());
  assert.not.ok(w().retentionRules.daily.isVisible());
  // 12 dumps of 300 MiB + the folders once (2 GiB) + 11 nights of 50 MiB = 6198 MiB.
  assert.match(w().retentionNeed.text(), /^Bedarf bei voller Aufbewahrung: ca\. 6,1 GB \(12 Sicherungen, reicht 11 Tage zurück\) – frei: [\d,]+ (MB|GB|TB)/);
});

test('generations typed into the spin boxes: the need follows, and saving writes the policy into the file', async () => {
  w().retentionMode.setCurrentIndex(0);
  assert.is(w().retentionMode.currentText(), 'Generationen');
  assert.ok(w().retentionRules.daily.isVisible());
  assert.not.ok(w().retentionKeep.isVisible());
  const policy = { last: 10, daily: 7, weekly: 4, monthly: 6, quarterly: 4 };
  for (const [rule, n] of Object.entries(policy)) w().retentionRules[rule as keyof typeof policy].setValue(n);
  // What the window shows is the model's figure for this policy and schedule, with the real disk's free space.
  const expected = retentionNeed({ retention: policy, cron: '15 3 * * *', now: NOW, sizes: { dumpBytes: 300 * MiB, folderBytes: 2048 * MiB, folderChangeBytes: 50 * MiB }, present: 12, space: null }, 'de');
  assert.ok(w().retentionNeed.text().startsWith(`${expected.text} – frei: `), w().retentionNeed.text());
  assert.match(w().retentionNeed.text(), /\(\d+ Sicherungen, reicht \d+ Monate zurück\)/);
  win.reveal(w().retentionNeed);
  await qt.settle(200);
  await qt.display.screenshot('settings-retention.png');
  w().save.click();
  await qt.until('saved', () => w().summary.isVisible() && !w().summary.text().includes('…'), 20_000);
  // Two of the twelve go (20 and 21 Nov): not enough to ask.
  assert.not.ok(w().shrinkBox.isVisible());
  assert.equal(saved().retention, policy);
  assert.equal((await app.status.read()).retentionApplied, undefined);
});

test('a policy that removes nine backups asks, naming them: „Nein“ saves nothing, „Ja“ saves and records the confirmation', async () => {
  w().retentionMode.setCurrentIndex(1);
  w().retentionKeep.setValue(3);
  w().save.click();
  await qt.until('the question', () => w().shrinkBox.isVisible(), 20_000);
  assert.is(
    w().shrinkText.text(),
    'Mit dieser Aufbewahrung werden beim nächsten Lauf 9 Sicherungen gelöscht: 28.11.2026 03:15, 27.11.2026 03:15, 26.11.2026 03:15, 25.11.2026 03:15, 24.11.2026 03:15, 23.11.2026 03:15, 22.11.2026 03:15, 21.11.2026 03:15, 20.11.2026 03:15. Trotzdem speichern?',
  );
  assert.not.ok(w().save.isEnabled(), 'answered with its own buttons');
  await qt.display.screenshot('settings-retention-question.png');
  w().shrinkNo.click();
  await qt.until('not saved', () => w().summary.isVisible() && !w().shrinkBox.isVisible());
  assert.is(w().summary.text(), 'Nicht gespeichert: die Aufbewahrung hätte 9 Sicherungen gelöscht.');
  assert.equal(saved().retention, { last: 10, daily: 7, weekly: 4, monthly: 6, quarterly: 4 });
  assert.equal((await app.status.read()).retentionApplied, undefined);

  w().save.click();
  await qt.until('the question again', () => w().shrinkBox.isVisible(), 20_000);
  w().shrinkYes.click();
  await qt.until('saved', () => !w().shrinkBox.isVisible() && w().summary.isVisible() && !w().summary.text().includes('…') && !w().summary.text().startsWith('Nicht'), 20_000);
  assert.equal(saved().retention, { keep: 3 });
  // The nightly run finds the policy confirmed and removes instead of holding it (shrinkHeld).
  assert.equal((await app.status.read()).retentionApplied, { local: { policy: 'last=3', at: NOW.toISOString() } });
  assert.ok(w().save.isEnabled());
});

test.run();

// „Protokoll exportieren…“ and „Datensicherungskonzept…“ windows on a real X display: a real backup
// made by the built CLI in November 2026 (clock injected), the window opened on 2 December, the
// button clicked for real (xdotool), the CLI writing the PDF, pdftotext reading it, and the file
// handed to the desktop's opener (a stand-in `xdg-open` first on PATH records its argv: there is no
// desktop behind Xvfb). Screenshots into test-output/screenshots/.
process.env.TZ = 'Europe/Berlin';
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose } from '../../src/app/compose';
import type { DocumentExportWindow as Window } from '../../src/tray/windows/document-export-window';
import { CLI, cliEnv, runCli } from '../helpers/cli';
import { startQt, type TestQt } from '../helpers/qt';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

const test = suite('tray: export windows (Xvfb, real backup, real CLI, pdftotext)');

const NOW = '2026-12-02T08:00:00Z';
let q: TestQt;
let root: string;
let outDir: string;
let configFile: string;
let env: Record<string, string>;
let openedFile: string;
const held = new Set<string>();

function opened(): string[][] {
  return existsSync(openedFile) ? readFileSync(openedFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : [];
}

async function open(kind: 'report' | 'concept', config = configFile): Promise<Window> {
  const { DocumentExportWindow } = await import('../../src/tray/windows/document-export-window');
  const win = new DocumentExportWindow({
    app: compose({ ...process.env, ...env }),
    configFile: config,
    lang: 'de',
    kind,
    cli: CLI,
    env,
    saveDir: outDir,
    pump: { hold: (r) => held.add(r), release: (r) => held.delete(r) },
  });
  win.show();
  await q.settle(300);
  return win;
}

test.before(visibly(async () => {
  q = await startQt();
  root = await makeTempDir('tray-export');
  outDir = join(root, 'Schreibtisch');
  mkdirSync(outDir);
  // The desktop's opener, recorded (xdg-open itself would find no desktop here).
  const bin = join(root, 'bin');
  mkdirSync(bin);
  openedFile = join(root, 'xdg-open-calls.jsonl');
  writeFileSync(join(bin, 'xdg-open'), `#!${process.execPath}\nrequire('node:fs').appendFileSync(${JSON.stringify(openedFile)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`, { mode: 0o755 });
  process.env.PATH = `${bin}:${process.env.PATH}`;

  const files = join(root, 'Anhänge');
  await createSampleFiles(files, { files: 5, bytesEach: 2048 });
  configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ practiceName: 'Praxis Dr. Weiß', backupDir: join(root, 'backups'), components: [{ name: 'anhaenge', type: 'folder', path: files }], retention: { keep: 5 }, schedule: { cron: '15 3 * * 1-5' } }));
  ({ env } = await cliEnv(root, { TZ: 'Europe/Berlin', PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_TEST_NOW: NOW }));
  // One real run in November: the month the record is about.
  const r = await runCli(['run', '--config', configFile], { ...env, PRAXIS_BACKUP_TEST_NOW: '2026-11-20T02:15:00Z' });
  assert.is(r.code, 0, r.stderr);
}));
test.after(runCleanups);

test('„Protokoll exportieren…“: the last twelve months, the previous one chosen; a real click writes the month’s PDF and opens it', async () => {
  const win = await open('report');
  const w = win.widgets!;
  assert.is(w.month.count(), 12);
  assert.is(w.month.itemText(0), 'Dezember 2026 (bisher)');
  assert.is(w.month.currentText(), 'November 2026');
  assert.is(w.file.text(), join(outDir, 'Datensicherungsprotokoll-2026-11.pdf'));
  assert.ok(w.start.isEnabled());
  assert.ok(held.has('export-report'), 'the pump is held while the window is open');
  await q.display.screenshot('export-report-window.png');

  await q.click(w.start);
  await q.until('the PDF is written and opened', () => win.model.phase.kind === 'written' && (win.model.phase as { opened: string }).opened !== 'pending', 60_000);
  const file = join(outDir, 'Datensicherungsprotokoll-2026-11.pdf');
  assert.ok(existsSync(file));
  assert.is(w.status.property('tone').toString(), 'ok');
  assert.ok(w.status.text().includes(`Das Datensicherungsprotokoll für November 2026 ist gespeichert: ${file}`), w.status.text());
  assert.match(w.status.text(), /wurde zum Ansehen und Drucken geöffnet/);
  assert.equal(opened(), [[file]], 'the opener got exactly this file, once');
  const text = (await execa('pdftotext', ['-layout', file, '-'])).stdout;
  assert.match(text, /Datensicherungsprotokoll November 2026/);
  assert.match(text, /Praxis Dr\. Weiß/, 'umlauts and ß intact');
  assert.match(text, /20\.11\.2026/, 'the November run is in it');
  assert.ok(w.open.isEnabled());
  await q.display.screenshot('export-report-written.png');
  assert.not.ok(held.has('export-report-run'), 'the run’s pump hold is released');
  win.close();
  await q.settle(100);
  assert.not.ok(held.has('export-report'));
});

test('another month and a file name of one’s own; a folder that does not exist is refused before the CLI runs', async () => {
  const win = await open('report');
  const w = win.widgets!;
  w.month.setCurrentIndex(2);
  await q.settle(50);
  assert.is(w.file.text(), join(outDir, 'Datensicherungsprotokoll-2026-10.pdf'));
  w.file.setText(join(root, 'fehlt', 'x.pdf'));
  await q.settle(50);
  assert.not.ok(w.start.isEnabled());
  assert.ok(w.pathHint.isVisible());
  assert.ok(w.pathHint.text().includes(`den Ordner ${join(root, 'fehlt')} gibt es nicht`), w.pathHint.text());
  const own = join(outDir, 'Oktober.pdf');
  w.file.setText(own);
  await q.settle(50);
  assert.ok(w.start.isEnabled());
  await q.click(w.start);
  await q.until('written', () => win.model.phase.kind === 'written', 60_000);
  const text = (await execa('pdftotext', ['-layout', own, '-'])).stdout;
  assert.match(text, /Datensicherungsprotokoll Oktober 2026/);
  win.close();
});

test('„Durchsuchen…“ opens a save dialog without blocking the app; the file typed there becomes the target', async () => {
  const win = await open('concept');
  const w = win.widgets!;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20); // Node's loop keeps running while the dialog is open
  await q.click(w.browse);
  await q.settle(800);
  const before = ticks;
  await q.settle(300);
  assert.ok(ticks > before, 'no nested Qt loop: timers still fire with the dialog open');
  await q.display.screenshot('export-browse-dialog.png');
  await q.display.xdotool(['type', '--delay', '30', 'Konzept-2026.pdf']);
  await q.display.xdotool(['key', 'Return']);
  await q.until('the chosen file is in the field', () => w.file.text() === join(outDir, 'Konzept-2026.pdf'), 30_000);
  clearInterval(timer);
  win.close();
});

test('„Datensicherungskonzept…“: written from the config and opened', async () => {
  const win = await open('concept');
  const w = win.widgets!;
  assert.not.ok(w.monthBox.isVisible(), 'no month for the concept');
  assert.is(w.file.text(), join(outDir, 'Datensicherungskonzept.pdf'));
  await q.display.screenshot('export-concept-window.png');
  const before = opened().length;
  await q.click(w.start);
  await q.until('written and opened', () => win.model.phase.kind === 'written' && (win.model.phase as { opened: string }).opened === 'yes', 60_000);
  const file = join(outDir, 'Datensicherungskonzept.pdf');
  assert.equal(opened().slice(before), [[file]]);
  const text = (await execa('pdftotext', ['-layout', file, '-'])).stdout;
  assert.match(text, /^Datensicherungskonzept/);
  assert.match(text, /Mo–Fr um 03:15/);
  win.close();
});

test('the CLI refuses (a broken config): the window shows its words in red, nothing is opened', async () => {
  const bad = join(root, 'kaputt.json');
  writeFileSync(bad, JSON.stringify({ backupDir: 'relativ', components: [] }));
  const win = await open('concept', bad);
  const w = win.widgets!;
  const before = opened().length;
  await q.click(w.start);
  await q.until('failed', () => win.model.phase.kind === 'failed', 60_000);
  assert.is(w.status.property('tone').toString(), 'error');
  assert.match(w.status.text(), /^Das Datensicherungskonzept konnte nicht erstellt werden: /);
  assert.ok(w.status.text().includes('backupDir'), w.status.text());
  assert.not.ok(w.open.isEnabled());
  assert.is(opened().length, before);
  await q.display.screenshot('export-concept-failed.png');
  win.close();
});

test.run();

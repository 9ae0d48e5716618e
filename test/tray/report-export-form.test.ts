// The model behind „Protokoll exportieren…“ and „Datensicherungskonzept…“ (model/document-export.ts):
// which months are offered, which file the PDF goes to, the CLI's argv, and what the window says
// after the CLI ended. The clock is a parameter (a fixed local date), never the machine's.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DocumentExportForm, monthChoices, pathProblem } from '../../src/tray/model/document-export';
import type { RunExit } from '../../src/tray/run-launcher';
import { makeTempDir, runCleanups } from '../helpers/temp';

// 2 December 2026, 08:00 in whatever zone the process has: only the local calendar matters here.
const NOW = new Date(2026, 11, 2, 8, 0);
let dir: string;

const exit = (o: Partial<RunExit>): RunExit => ({ exitCode: 0, signal: null, summary: null, stderrTail: [], ...o });

test.before(async () => {
  dir = await makeTempDir('export-form');
});
test.after(runCleanups);

test('twelve months, newest first: this month (so far) and the 11 before it; the previous month is the default', () => {
  const m = monthChoices(NOW, 'de');
  assert.is(m.length, 12);
  assert.equal(m[0], { value: '2026-12', text: 'Dezember 2026 (bisher)' });
  assert.equal(m[1], { value: '2026-11', text: 'November 2026' });
  assert.equal(m[11], { value: '2026-01', text: 'Januar 2026' });
  assert.is(monthChoices(NOW, 'en')[2]!.text, 'October 2026');
  // Across the turn of the year.
  const jan = new DocumentExportForm('report', 'de', new Date(2027, 0, 15, 9, 0), dir);
  assert.is(jan.selectedMonth, '2026-12');
  assert.is(jan.months[0]!.value, '2027-01');
  assert.is(jan.months[11]!.value, '2026-02');
});

test('the file follows the month until the admin names another one; the argv names both', () => {
  const f = new DocumentExportForm('report', 'de', NOW, dir);
  assert.is(f.path, join(dir, 'Datensicherungsprotokoll-2026-11.pdf'));
  assert.ok(f.selectMonth('2026-10'));
  assert.is(f.path, join(dir, 'Datensicherungsprotokoll-2026-10.pdf'));
  assert.not.ok(f.selectMonth('2025-10'), 'not an offered month');
  const own = join(dir, 'Oktober für den Ordner.pdf');
  f.setPath(own);
  f.selectMonth('2026-09');
  assert.is(f.path, own, 'a chosen file name stays');
  assert.equal(f.start(), ['report', '--month', '2026-09', '--out', own]);
  assert.is(f.view().status.tone, 'pending');
  assert.match(f.view().status.text, /Das Datensicherungsprotokoll für September 2026 wird erstellt/);
  assert.is(f.start(), null, 'one at a time');
  assert.not.ok(f.selectMonth('2026-08'), 'no changes while it is written');
  assert.is(f.view().startEnabled, false);
  assert.is(f.view().inputsEnabled, false);
});

test('the concept: no month, its own file name and argv', () => {
  const f = new DocumentExportForm('concept', 'en', NOW, dir);
  assert.equal(f.months, []);
  assert.is(f.path, join(dir, 'Datensicherungskonzept.pdf'));
  assert.equal(f.start(), ['concept', '--out', join(dir, 'Datensicherungskonzept.pdf')]);
  assert.match(f.view().status.text, /^The backup concept is being written/);
});

test('unusable places are refused before the CLI runs, naming the field and what to do', () => {
  assert.match(pathProblem(join(dir, 'fehlt', 'x.pdf'), 'de')!, new RegExp(`„Speichern unter“: den Ordner ${join(dir, 'fehlt')} gibt es nicht`));
  assert.match(pathProblem('protokoll.pdf', 'de')!, /vollständigen Pfad/);
  assert.match(pathProblem(join(dir, 'x.txt'), 'en')!, /must end in \.pdf/);
  assert.match(pathProblem('  ', 'de')!, /bitte einen Dateinamen angeben/);
  assert.is(pathProblem(join(dir, 'x.pdf'), 'de'), null);
  const f = new DocumentExportForm('concept', 'de', NOW, join(dir, 'gibt-es-nicht'));
  assert.is(f.start(), null);
  assert.is(f.view().startEnabled, false);
  assert.is(f.view().pathHint!.tone, 'error');
  // An existing file: allowed, but said.
  const existing = join(dir, 'schon-da.pdf');
  writeFileSync(existing, '%PDF-1.7');
  f.setPath(existing);
  assert.equal(f.view().pathHint, { text: 'Diese Datei gibt es schon; sie wird ersetzt.', tone: 'warn' });
  assert.is(f.view().startEnabled, true);
});

test('after the CLI: written only when the exit says so AND the file is there; otherwise the CLI’s own words', () => {
  const file = join(dir, 'Datensicherungsprotokoll-2026-11.pdf');
  const f = new DocumentExportForm('report', 'de', NOW, dir);
  f.start();
  f.onExit(exit({ exitCode: 0 }), (p) => p === file);
  assert.equal(f.phase, { kind: 'written', file, opened: 'pending', warnings: false });
  assert.is(f.view().status.tone, 'ok');
  assert.ok(f.view().status.text.includes(file));
  assert.is(f.view().openEnabled, true);
  f.onOpened(false, 'xdg-open: no method available');
  assert.is(f.view().status.tone, 'warn');
  assert.match(f.view().status.text, /konnte nicht geöffnet werden \(xdg-open: no method available\)/);

  // Exit 0 but no file: not claimed as written.
  f.start();
  f.onExit(exit({ exitCode: 0 }), () => false);
  assert.is(f.phase.kind, 'failed');
  assert.match(f.view().status.text, /meldete Erfolg, aber die Datei fehlt/);

  // A refusal: the stderr line (what the CLI printed for the admin).
  f.start();
  f.onExit(exit({ exitCode: 2, stderrTail: ['', 'Der Ordner /x gibt es nicht.', ''] }), () => false);
  assert.equal(f.phase, { kind: 'failed', reason: 'Der Ordner /x gibt es nicht.' });
  assert.is(f.view().status.tone, 'error');
  assert.is(f.view().openEnabled, false);

  // The JSON summary's message wins (a config error comes that way).
  f.start();
  f.onExit(exit({ exitCode: 2, summary: { result: 'failed', exitCode: 2, error: { key: 'config.invalid', text: 'Die Konfiguration ist ungültig.' } }, stderrTail: ['x'] }));
  assert.equal(f.phase, { kind: 'failed', reason: 'Die Konfiguration ist ungültig.' });

  f.start();
  f.onExit(exit({ exitCode: null, startError: 'spawn ENOENT' }));
  assert.match(f.view().status.text, /konnte nicht gestartet werden \(spawn ENOENT\)/);

  // Exit 3: written with warnings.
  f.start();
  f.onExit(exit({ exitCode: 3 }), () => true);
  assert.is(f.view().status.tone, 'warn');
  assert.match(f.view().status.text, /mit Warnungen/);
});

test.run();

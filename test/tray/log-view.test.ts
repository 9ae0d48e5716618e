// The log window's model against logs written by the engine's own sinks (fileSink + Reporter), so
// a change in what a run writes shows up here, not in front of the admin.
// Times are shown in local time: the practice's zone, set here, not whichever the machine has.
process.env.TZ = 'Europe/Berlin';

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Reporter } from '../../src/run/events';
import { fileSink, logFileName } from '../../src/run/run-log';
import { headerText, listRunLogs, LogFollower, parseLogName, type LogLine } from '../../src/tray/model/log-view';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('tray log view');
test.after(runCleanups);

/** A run log as the engine writes it: started, a few lines, a warning, an error and the summary. */
function writeRun(logDir: string, started: Date, pid: number, opts: { finish?: 'warning' | 'failed' | null; kind?: 'run' | 'mirror' } = {}): string {
  const file = logFileName(started, pid, opts.kind ?? 'run');
  const r = new Reporter([fileSink(logDir, file)]);
  r.emit({ type: 'started', id: '20261124_031500', backupDir: '/srv/backup', components: ['datenbank', 'files'], pid });
  r.info('run.estimate', { size: '1,5 GB' });
  r.emit({ type: 'component-started', name: 'files', componentType: 'folder' });
  r.progress('files', 50, 'copy');
  r.warn('warn.vanished', { name: 'files', count: 2, files: 'scan1.pdf' });
  r.emit({ type: 'notification', message: { key: 'mirror.ejected', params: { label: 'PRAXIS-USB' } } });
  if (opts.finish === 'failed') {
    const error = { key: 'error.dirMissing' as const, params: { dir: '/srv/backup' } };
    r.error('run.finished.failed', { reason: error });
    r.emit({ type: 'finished', summary: { result: 'failed', exitCode: 1, durationMs: 4000, warnings: [...r.warnings], error } });
  } else if (opts.finish === 'warning') {
    r.emit({ type: 'finished', summary: { result: 'warning', exitCode: 3, durationMs: 65_000, warnings: [...r.warnings] } });
  }
  return join(logDir, file);
}

const texts = (lines: LogLine[]) => lines.map((l) => l.text);
const alive = { isAlive: () => true };

test('a failed run in German: readable lines, levels, summary; progress and sizes are left out', async () => {
  const dir = await makeTempDir('praxis-logview');
  const path = writeRun(dir, new Date('2026-11-24T03:15:00Z'), 4711, { finish: 'failed' });
  const u = new LogFollower(dir, 'de', alive).poll();
  assert.ok(u.reset);
  assert.is(u.file?.pid, 4711);
  assert.is(u.state, 'failed');
  assert.equal(u.lines.map((l) => l.level), ['info', 'info', 'info', 'warn', 'info', 'error', 'error']);
  assert.equal(texts(u.lines), [
    'Backup 20261124_031500 gestartet (2 Komponenten) nach /srv/backup',
    'Geschätzte Größe dieses Backups: 1,5 GB.',
    'Sichere files (folder) …',
    '⚠ Während des Kopierens von „files“ sind 2 Datei(en) verschwunden (z. B. scan1.pdf). Das Backup ist sonst vollständig.',
    'Die USB-Festplatte „PRAXIS-USB“ wurde ausgeworfen und kann jetzt abgezogen werden.',
    '✗ Backup fehlgeschlagen: Das Verzeichnis /srv/backup existiert nicht. Ist der Datenträger angeschlossen und der Pfad richtig?',
    'Ergebnis: fehlgeschlagen – Das Verzeichnis /srv/backup existiert nicht. Ist der Datenträger angeschlossen und der Pfad richtig?',
  ]);
  // Each line's time is its event's stamp in the file (not the run's start in the file name).
  const stamps = new Set(readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).ts as string));
  assert.ok(u.lines.every((l) => stamps.has(l.time.toISOString())), 'times come from the events');
});

test('the same log in English; a run with warnings ends in a warning summary', async () => {
  const dir = await makeTempDir('praxis-logview');
  writeRun(dir, new Date('2026-11-24T03:15:00Z'), 4711, { finish: 'warning' });
  const u = new LogFollower(dir, 'en', alive).poll();
  assert.is(u.state, 'warning');
  assert.match(u.lines[0]!.text, /^Backup 20261124_031500 started/);
  assert.is(u.lines.at(-1)!.text, 'Result: finished, but with 1 warning(s) – please read the lines marked orange.');
  assert.is(u.lines.at(-1)!.level, 'warn');
  assert.is(headerText('en', u.file, u.state, dir), 'Backup of 24 Nov 2026, 04:15 – finished, with warnings');
});

test('a half-written last line is left until it is complete; later polls return only what was appended', async () => {
  const dir = await makeTempDir('praxis-logview');
  const path = writeRun(dir, new Date('2026-11-24T03:15:00Z'), 4711, { finish: null });
  const f = new LogFollower(dir, 'de', alive);
  const first = f.poll();
  assert.is(first.lines.length, 5);
  assert.is(first.state, 'running');
  assert.is(headerText('de', first.file, first.state, dir), 'Backup vom 24.11.2026, 04:15 Uhr – läuft gerade');

  const line = Buffer.from(JSON.stringify({ type: 'log', level: 'error', message: { key: 'error.cancelled' }, text: 'Ältere', ts: '2026-11-24T03:16:00.000Z' }));
  const cut = line.indexOf(Buffer.from('Ä')) + 1; // in the middle of a two-byte character
  appendFileSync(path, line.subarray(0, cut));
  const half = f.poll();
  assert.not.ok(half.reset);
  assert.equal(half.lines, []);
  appendFileSync(path, Buffer.concat([line.subarray(cut), Buffer.from('\n')]));
  const done = f.poll();
  assert.equal(texts(done.lines), ['✗ Das Backup wurde abgebrochen. Ältere Backups sind unverändert.']);
  assert.is(done.lines[0]!.level, 'error');
  assert.equal(f.poll().lines, [], 'nothing new, nothing repeated');
});

test('a newer run replaces the followed one; a run that died without a summary counts as aborted', async () => {
  const dir = await makeTempDir('praxis-logview');
  writeRun(dir, new Date('2026-11-24T03:15:00Z'), 100, { finish: 'failed' });
  let alivePids = new Set([200]);
  const f = new LogFollower(dir, 'de', { isAlive: (pid) => alivePids.has(pid) });
  assert.is(f.poll().file?.pid, 100);
  writeRun(dir, new Date('2026-11-25T03:15:00Z'), 200, { finish: null, kind: 'mirror' });
  const u = f.poll();
  assert.ok(u.reset);
  assert.is(u.file?.kind, 'mirror');
  assert.is(u.state, 'running');
  assert.is(u.lines.length, 5, 'the new file from its start');
  alivePids = new Set();
  const dead = f.poll();
  assert.is(dead.state, 'aborted');
  assert.match(headerText('de', dead.file, dead.state, dir), /^Kopie auf Datenträger vom 25\.11\.2026, 04:15 Uhr – abgebrochen/);
});

test('log names: only run-/mirror- files, newest first by the time in the name; none → a hint', async () => {
  const dir = await makeTempDir('praxis-logview');
  for (const n of ['run-2026-11-24T03-15-00Z-1.jsonl', 'mirror-2026-11-25T08-00-00Z-2.jsonl', 'run-2026-11-23T03-15-00Z-3.jsonl', 'notes.txt', 'run-kaputt.jsonl']) {
    writeFileSync(join(dir, n), '');
  }
  assert.equal(listRunLogs(dir).map((f) => f.pid), [2, 1, 3]);
  assert.is(parseLogName('run-2026-11-24T03-15-00Z-1.jsonl')?.started.toISOString(), '2026-11-24T03:15:00.000Z');
  const empty = await makeTempDir('praxis-logview');
  const u = new LogFollower(join(empty, 'fehlt'), 'de').poll();
  assert.is(u.file, null);
  assert.is(headerText('de', u.file, u.state, '/x/logs'), 'Noch kein Protokoll vorhanden. Es entsteht beim ersten Backup im Ordner /x/logs.');
});

test('a message key this version does not know falls back to the text stored in the log', async () => {
  const dir = await makeTempDir('praxis-logview');
  const ts = '2026-11-24T03:15:01.000Z';
  writeFileSync(join(dir, 'run-2026-11-24T03-15-00Z-9.jsonl'), [
    JSON.stringify({ type: 'warning', message: { key: 'warn.fromTheFuture' }, text: 'Neue Warnung', textEn: 'New warning', ts }),
    'kein json',
    '',
  ].join('\n'));
  const u = new LogFollower(dir, 'en', alive).poll();
  assert.equal(u.lines.map((l) => [l.level, l.text]), [['warn', 'New warning']]);
});

test.run();

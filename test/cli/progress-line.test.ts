// The live progress line, without a terminal: its text (widths, German and English numbers), its
// throttle on an injected clock, how log lines and a step's end clear it, and the numbers read
// from real rsync --info=progress2 output (the installed rsync, run on a temp tree here).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attachProgressLine, clearProgressLine, clockText, ProgressLine, progressSink, progressText, type ProgressView } from '../../src/cli/progress-line';
import { run } from '../../src/process/runner';
import type { StampedEvent } from '../../src/run/events';
import { parseProgress2Numbers, planRsync } from '../../src/backup/folder-copy';
import { ToolLocator } from '../../src/process/tool-locator';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('progress-line');
test.after(runCleanups);

const full: ProgressView = { name: 'files', phase: 'copy', percent: 45, bytes: 1234567890, files: 12345, totalFiles: 67890, bytesPerSecond: 12.5 * 1024 * 1024, secondsLeft: 3723 };

// ---- the text --------------------------------------------------------------------------------

test('English: label, percent, bytes, files of all, speed and time left, with English numbers', () => {
  assert.is(progressText('en', full, 200), 'Backing up files: 45%  1.1 GB  12,345/67,890 files  13 MB/s  1:02:03 left');
});

test('German: the same numbers with decimal commas, thousands points and German words', () => {
  assert.is(progressText('de', full, 200), 'Sichere files: 45 %  1,1 GB  12.345/67.890 Dateien  13 MB/s  noch 1:02:03');
});

test('what is not known is left out, not guessed (no total, no time left, no speed)', () => {
  const v: ProgressView = { name: 'files', phase: 'restore', percent: 7, bytes: 2048, files: 30 };
  assert.is(progressText('en', v, 200), 'Restoring files: 7%  2.0 KB  30 files');
  assert.is(progressText('de', { name: 'praxis', phase: 'verify', percent: 50 }, 200), 'Prüfe praxis: 50 %');
  assert.is(progressText('en', { name: 'mirror:usb', phase: '2026-11-03_0200', percent: 3 }, 200), 'Copying 2026-11-03_0200 to usb: 3%');
});

test('a database dump: bytes and speed without a percent (its end is not known), and never 100 %-finished', () => {
  const v: ProgressView = { name: 'tomedo', phase: 'dump', percent: null, bytes: 52_428_800, bytesPerSecond: 10 * 1024 * 1024 };
  assert.is(progressText('de', v, 200), 'Sichere Datenbank tomedo: 50 MB  10 MB/s');
  assert.is(progressText('en', v, 200), 'Saving database tomedo: 50 MB  10 MB/s');
  // Narrow: the speed goes, the bytes stay (they are what shows the dump moves); the label is cut after.
  assert.is(progressText('en', v, 26), 'Saving database t…: 50 MB');
  // A log line redraws it below (it has not finished), like any step under 100 %.
  const writes: string[] = [];
  const line = new ProgressLine({ lang: 'en', write: (s) => writes.push(s), columns: () => 80, now: () => 0 });
  line.update(v);
  line.log('something happened', (l) => writes.push(l + '\n'));
  assert.is(writes.at(-1), '\rSaving database tomedo: 50 MB  10 MB/s\x1b[K');
});

test('never wider than the terminal minus one column; files, then speed, then bytes go first; the percent stays', () => {
  for (const lang of ['de', 'en'] as const) {
    const wide = progressText(lang, full, 400);
    for (let columns = 2; columns <= wide.length + 2; columns++) {
      const line = progressText(lang, full, columns);
      assert.ok([...line].length <= columns - 1, `${lang} ${columns}: ${JSON.stringify(line)}`);
      assert.not.ok(line.includes('\n') || line.includes('\r'));
    }
  }
  const en = (c: number) => progressText('en', full, c);
  // 60 columns: the file count is dropped first; the rest fits.
  assert.is(en(60), 'Backing up files: 45%  1.1 GB  13 MB/s  1:02:03 left');
  assert.is(en(45), 'Backing up files: 45%  1.1 GB  1:02:03 left');
  assert.is(en(36), 'Backing up files: 45%  1:02:03 left');
  assert.is(en(25), 'Backing up files: 45%');
  // Narrower still: the label is shortened, the percent kept.
  assert.is(en(12), 'Backi…: 45%');
});

test('a long component name is shortened with … before numbers are given up for it', () => {
  const v: ProgressView = { ...full, name: 'Patientenakten-und-Roentgenbilder-der-Praxis-am-Markt', files: undefined, totalFiles: undefined, bytesPerSecond: undefined };
  const line = progressText('de', v, 50);
  assert.is(line, 'Sichere Patientenakt…: 45 %  1,1 GB  noch 1:02:03');
  assert.is([...line].length, 49);
});

test('clockText is rsync\'s h:mm:ss', () => {
  assert.is(clockText(0), '0:00:00');
  assert.is(clockText(59.6), '0:01:00');
  assert.is(clockText(36000 + 61), '10:01:01');
});

// ---- the live line -------------------------------------------------------------------------------

function terminal(o: { dumb?: boolean; columns?: number } = {}) {
  let now = 0;
  const writes: string[] = [];
  const line = new ProgressLine({ lang: 'en', write: (s) => writes.push(s), columns: () => o.columns ?? 80, now: () => now, dumb: o.dumb });
  return { line, writes, tick: (ms: number) => (now += ms) };
}

const at = (percent: number, name = 'files'): ProgressView => ({ name, phase: 'copy', percent });

test('throttle: at most one redraw per 200 ms of the injected clock; the latest state is what the next redraw shows', () => {
  const { line, writes, tick } = terminal();
  line.update(at(1));
  assert.equal(writes, ['\rBacking up files: 1%\x1b[K']);
  for (let p = 2; p <= 50; p++) {
    tick(10);
    line.update(at(p));
  }
  // 490 ms of updates every 10 ms: redraws at 200 and 400 ms only.
  assert.equal(writes.slice(1), ['\rBacking up files: 21%\x1b[K', '\rBacking up files: 41%\x1b[K']);
  // A log line shows the latest state below it at once.
  writes.length = 0;
  line.log('⚠ a warning');
  assert.equal(writes, ['\r\x1b[K', '⚠ a warning\n', '\rBacking up files: 50%\x1b[K']);
});

test('a million updates in 10 s cost at most 51 writes', () => {
  const { line, writes, tick } = terminal();
  for (let i = 0; i < 1_000_000; i++) {
    tick(0.01);
    line.update(at(Math.floor(i / 10_001)));
  }
  assert.ok(writes.length <= 51 && writes.length >= 49, `${writes.length} writes`);
});

test('a new step and reaching 100% are drawn at once, throttle or not', () => {
  const { line, writes } = terminal();
  line.update(at(10));
  line.update(at(20));
  line.update(at(100));
  line.update(at(100));
  line.update(at(5, 'scans'));
  assert.equal(writes, ['\rBacking up files: 10%\x1b[K', '\rBacking up files: 100%\x1b[K', '\rBacking up scans: 5%\x1b[K']);
});

test('TERM=dumb: no escape sequences; a shorter line is padded over the longer one, erasing writes spaces', () => {
  const { line, writes } = terminal({ dumb: true });
  line.update(at(100));
  line.update(at(5, 'x'));
  line.end();
  assert.equal(writes, ['\rBacking up files: 100%', '\rBacking up x: 5%      ', `\r${' '.repeat('Backing up x: 5%'.length)}\r`]);
  assert.not.ok(writes.join('').includes('\x1b'));
});

test('a step at 100% is not drawn again below the next log line (what follows is another step)', () => {
  const { line, writes } = terminal();
  line.update(at(100));
  writes.length = 0;
  line.log('Folder index written');
  assert.equal(writes, ['\r\x1b[K', 'Folder index written\n']);
});

test('with nothing drawn, a log line is just the line, and end() writes nothing', () => {
  const { line, writes } = terminal();
  line.log('Backup started');
  line.end();
  assert.equal(writes, ['Backup started\n']);
});

test('the sink: progress draws (not the backup\'s step count "total"), a step\'s end and the run\'s end clear it', () => {
  const { line, writes } = terminal();
  const sink = progressSink(line);
  const ts = '2026-11-03T02:00:00.000Z';
  const events: StampedEvent[] = [
    { type: 'progress', name: 'total', percent: 0, phase: 'files', ts },
    { type: 'progress', name: 'files', percent: 40, phase: 'copy', bytes: 4096, ts },
    { type: 'component-finished', name: 'files', bytes: 4096, ts },
    { type: 'progress', name: 'mirror:usb', percent: 100, phase: '2026-11-03_0200', ts },
    { type: 'finished', summary: { result: 'success', exitCode: 0, durationMs: 1, warnings: [] }, ts },
  ];
  for (const e of events) sink(e);
  assert.equal(writes, ['\rBacking up files: 40%  4.0 KB\x1b[K', '\r\x1b[K', '\rCopying 2026-11-03_0200 to usb: 100%\x1b[K', '\r\x1b[K']);
  writes.length = 0;
  line.log('Backup done');
  assert.equal(writes, ['Backup done\n'], 'after the end, the summary line stands alone');
});

// ---- when it is there ------------------------------------------------------------------------------

function fakeOut(json = false) {
  const printed: string[] = [];
  return { printed, out: { lang: 'de' as const, json, text: (l: string) => void printed.push(l) } };
}

function fakeStream(isTTY: boolean, columns = 40) {
  const written: string[] = [];
  return { written, stream: { isTTY, columns, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream };
}

const progressEvent = (percent: number): StampedEvent => ({ type: 'progress', name: 'files', percent, phase: 'copy', ts: '2026-11-03T02:00:00.000Z' });

test('not attached on a pipe or with --json: the command\'s text is left as it was', () => {
  for (const [json, tty] of [[false, false], [true, true]] as const) {
    const { out } = fakeOut(json);
    const text = out.text;
    assert.is(attachProgressLine(out, fakeStream(tty).stream, { TERM: 'xterm' }), null);
    assert.is(out.text, text);
  }
});

test('attached on a terminal: text lines go through the line (cleared first, redrawn after), in the terminal\'s width', () => {
  const { out, printed } = fakeOut();
  const { stream, written } = fakeStream(true, 20);
  const line = attachProgressLine(out, stream, { TERM: 'xterm-256color' })!;
  assert.ok(line);
  progressSink(line)(progressEvent(40));
  out.text('Sichere scans (folder) …');
  assert.equal(printed, ['Sichere scans (folder) …']);
  assert.equal(written, ['\rSichere files: 40 %\x1b[K', '\r\x1b[K', '\rSichere files: 40 %\x1b[K']);
  // A question (terminal.ts) clears it; the next progress draws it again.
  written.length = 0;
  clearProgressLine();
  out.text('Passwort?');
  assert.equal(written, ['\r\x1b[K']);
});

test('TERM=dumb: attached, without escape sequences', () => {
  const { out } = fakeOut();
  const { stream, written } = fakeStream(true, 80);
  const line = attachProgressLine(out, stream, { TERM: 'dumb' })!;
  progressSink(line)(progressEvent(5));
  out.text('x');
  assert.equal(written, ['\rSichere files: 5 %', `\r${' '.repeat('Sichere files: 5 %'.length)}\r`, '\rSichere files: 5 %']);
});

// ---- the numbers from rsync ------------------------------------------------------------------------

test('parseProgress2Numbers on hand lines: rate units of 1024, ir-chk gives no total and no time left, 100% no time left', () => {
  assert.equal(parseProgress2Numbers('     50,000,000  99%  595.66MB/s    0:00:07 (xfr#1, to-chk=3000/3002)'), {
    percent: 99,
    bytes: 50_000_000,
    bytesPerSecond: Math.round(595.66 * 1024 * 1024),
    files: 2,
    totalFiles: 3002,
    secondsLeft: 7,
  });
  assert.equal(parseProgress2Numbers('  1,234,567  12%    1.50kB/s    1:00:00 (xfr#9, ir-chk=1000/4000)'), { percent: 12, bytes: 1234567, bytesPerSecond: 1536, files: 3000 });
  // rsync's first line: nothing measured yet, so no rate and no time left (its 0:00:00 is not an estimate).
  assert.equal(parseProgress2Numbers('         32,768   0%    0.00kB/s    0:00:00  '), { percent: 0, bytes: 32768 });
  assert.equal(parseProgress2Numbers('     50,013,893 100%  104.30MB/s    0:00:03 (xfr#3001, to-chk=0/3002)'), {
    percent: 100,
    bytes: 50_013_893,
    bytesPerSecond: Math.round(104.3 * 1024 * 1024),
    files: 3002,
    totalFiles: 3002,
  });
  assert.is(parseProgress2Numbers('Number of files: 3,002 (reg: 3,001, dir: 1)'), null);
});

test('parseProgress2Numbers on the installed rsync\'s real output: bytes and files only grow, and end at what was copied', async () => {
  const rsync = await new ToolLocator('linux', process.env).find('rsync');
  const dir = await makeTempDir('praxis-progress');
  const src = join(dir, 'src');
  await mkdir(src);
  let bytes = 0;
  for (let i = 0; i < 800; i++) {
    const body = 'x'.repeat((i * 53) % 3000);
    bytes += body.length;
    await writeFile(join(src, `brief-${i}.txt`), body);
  }
  const parsed: ReturnType<typeof parseProgress2Numbers>[] = [];
  await run(planRsync(rsync, { name: 'files', type: 'folder', path: src }, join(dir, 'dest'), null), {
    onStdoutLine: (l) => {
      const p = parseProgress2Numbers(l);
      if (p) parsed.push(p);
    },
  });
  assert.ok(parsed.length > 100, `${parsed.length} progress lines`);
  for (let i = 1; i < parsed.length; i++) {
    assert.ok(parsed[i]!.bytes! >= parsed[i - 1]!.bytes!, 'bytes went back');
    if (parsed[i]!.files !== undefined && parsed[i - 1]!.files !== undefined) assert.ok(parsed[i]!.files! >= parsed[i - 1]!.files!, 'files went back');
  }
  const last = parsed.at(-1)!;
  assert.is(last.percent, 100);
  assert.is(last.bytes, bytes);
  // 800 files and the folder itself.
  assert.is(last.files, 801);
  assert.is(last.totalFiles, 801);
  assert.is(last.secondsLeft, undefined);
  assert.ok(parsed.filter((p) => p!.bytesPerSecond! > 0).length > parsed.length / 2, 'rates read');
  assert.ok(parsed.every((p) => p!.secondsLeft === undefined || p!.bytesPerSecond! > 0), 'a time left without a rate is a guess');
});

test.run();

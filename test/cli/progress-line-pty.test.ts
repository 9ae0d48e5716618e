// The live progress line on a real terminal (a pty made by script(1)), and its absence where no
// one watches: the same backup with stderr piped, and with --json. Asserts on what the terminal
// shows, never on timing: the first and the 100% progress of a folder always reach the screen.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI, cliEnv, runCli } from '../helpers/cli';
import { runInPty } from '../helpers/pty';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('progress line on a terminal');
test.after(runCleanups);

const FILES = 2000;
const BIG = 4 * 1024 * 1024 + 5;

/** A practice folder of FILES small letters and one scan; returns the config file and the total bytes. */
async function practice(root: string, mirror?: string): Promise<{ configFile: string; bytes: number }> {
  const src = join(root, 'files');
  await mkdir(join(src, 'briefe'), { recursive: true });
  let bytes = BIG;
  for (let i = 0; i < FILES; i++) {
    const body = `Brief ${i} `.repeat(i % 40);
    bytes += Buffer.byteLength(body);
    await writeFile(join(src, 'briefe', `brief-${i}.txt`), body);
  }
  await writeFile(join(src, 'scan.bin'), Buffer.alloc(BIG, 3));
  const configFile = join(root, 'config.json');
  const mirrors = mirror ? [{ name: 'usb', type: 'path', path: mirror }] : [];
  await writeFile(configFile, JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'files', type: 'folder', path: src }], mirrors }));
  return { configFile, bytes };
}

/** What a terminal shows after `raw`: \r goes back to the line's start, later characters overwrite earlier ones. */
function screen(raw: string): string[] {
  const rows: string[][] = [[]];
  let col = 0;
  for (const ch of raw) {
    const row = rows[rows.length - 1]!;
    if (ch === '\n') {
      rows.push([]);
      col = 0;
    } else if (ch === '\r') col = 0;
    else {
      row[col] = ch;
      col++;
    }
  }
  return rows.map((r) => Array.from(r, (c) => c ?? ' ').join('').trimEnd()).filter((l) => l !== '');
}

/** Lines compared across two runs: temp folders, backup ids, sizes, counts and seconds differ, the words must not. */
const shape = (lines: string[], root: string) => lines.map((l) => l.split(root).join('<root>').replace(/\d+([.,]\d+)*/g, '#'));

const pty = (args: string, env: Record<string, string>, columns = 60) =>
  // stty sets the pty's width: the line must fit it.
  runInPty(`stty cols ${columns}; ${process.execPath} ${CLI} ${args}`, env, [], 120_000);

test('run on a terminal: the line is redrawn with \\r and a percent, fits the width, and leaves a clean screen', async () => {
  const root = await makeTempDir('progress-pty');
  const { configFile } = await practice(root);
  const env = (await cliEnv(root)).env;
  const r = await pty(`run --config ${configFile}`, env);
  assert.is(r.code, 0, r.out);
  // Redraws in place: \r then the line, German words and numbers.
  const draws = r.out.split('\r').filter((s) => /^Sichere files: \d+ %/.test(s));
  assert.ok(draws.length >= 2, `progress draws: ${JSON.stringify(draws)}`);
  assert.ok(draws.some((d) => d.startsWith('Sichere files: 100 %')), 'the 100% line');
  assert.ok(draws.some((d) => d.includes(`${(FILES + 3).toLocaleString('de-DE')}/${(FILES + 3).toLocaleString('de-DE')} Dateien`)), `files of all, German thousands: ${draws.join(' | ')}`);
  // Never wider than 59 columns (the 60th would wrap on some terminals).
  for (const d of draws) assert.ok([...d.replace(/ +$/, '')].length <= 59, `too wide: ${JSON.stringify(d)}`);
  // The final summary is a line of its own, not behind a progress line.
  const summaryRaw = r.out.split('\n').find((l) => /abgeschlossen:/.test(l));
  assert.ok(summaryRaw?.startsWith('Backup '), `summary line: ${JSON.stringify(summaryRaw)}`);

  // Once drawn over, the terminal shows exactly the lines a pipe gets: nothing of the progress is left.
  const root2 = await makeTempDir('progress-pipe');
  const piped = await runCli(['run', '--config', (await practice(root2)).configFile], (await cliEnv(root2)).env);
  assert.is(piped.code, 0, piped.stderr);
  const shown = screen(r.out);
  assert.not.ok(shown.some((l) => / %  /.test(l)), `progress left on screen:\n${shown.join('\n')}`);
  assert.equal(shape(shown, root), shape(piped.stderr.split('\n').filter(Boolean), root2));
});

test('the copy onto a mirror, a deep verify and a restore draw their own lines on a terminal', async () => {
  const root = await makeTempDir('progress-mirror');
  // A disk of its own (a real tmpfs): a mirror on the backup's own disk is refused.
  const disk = await mountTmpfs(64);
  const { configFile, bytes } = await practice(root, disk.path);
  const env = (await cliEnv(root)).env;
  const r = await pty(`run --config ${configFile}`, env, 100);
  assert.is(r.code, 0, r.out);
  const id = /Backup (\d{8}_\d{6}) gestartet/.exec(r.out)?.[1];
  assert.ok(id, r.out);
  assert.ok(r.out.split('\r').some((d) => d.startsWith(`Kopiere ${id} auf usb: 100 %`)), `mirror line: ${JSON.stringify(r.out)}`);
  // verify --deep reads every file: its line counts them (the folder's files, without folders) and their bytes.
  const verify = await pty(`verify ${id} --deep --config ${configFile}`, env, 100);
  assert.is(verify.code, 0, verify.out);
  const all = (FILES + 1).toLocaleString('de-DE');
  assert.ok(verify.out.split('\r').some((d) => d.startsWith(`Prüfe files: 100 %  ${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} MB  ${all}/${all} Dateien`)), `verify line: ${JSON.stringify(verify.out)}`);
  const back = await pty(`restore ${id} --yes --no-safety-backup --config ${configFile}`, env, 100);
  assert.is(back.code, 0, back.out);
  assert.ok(back.out.split('\r').some((d) => /^Stelle files wieder her: \d+ %/.test(d)), `restore line: ${JSON.stringify(back.out)}`);
  assert.not.ok(screen(back.out).some((l) => / %  |: \d+ %$/.test(l)), 'restore progress left on screen');
});

test('stderr piped (not a terminal): no \\r and no progress line, the event lines only', async () => {
  const root = await makeTempDir('progress-pipe');
  const { configFile } = await practice(root);
  const r = await runCli(['run', '--config', configFile], { ...(await cliEnv(root, { LANG: 'en_GB.UTF-8' })).env, TERM: 'xterm' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, 'Backing up files (folder)');
  assert.not.ok(r.stderr.includes('\r'), 'a \\r in piped stderr');
  assert.not.ok(r.stderr.includes('\x1b'), 'an escape sequence in piped stderr');
  assert.not.match(r.stderr, /Backing up files: \d+%/);
  assert.is(r.stdout, '');
});

test('--json on a terminal: JSON lines and no progress line; the progress events carry bytes and files', async () => {
  const root = await makeTempDir('progress-json');
  const { configFile, bytes } = await practice(root);
  const r = await pty(`run --config ${configFile} --json`, { ...(await cliEnv(root, { LANG: 'en_GB.UTF-8' })).env });
  assert.is(r.code, 0, r.out);
  // The pty ends each line with \r\n; no other \r, so nothing is redrawn.
  assert.not.ok(r.out.replace(/\r\n/g, '\n').includes('\r'), 'a redraw with --json');
  assert.not.match(r.out, /Backing up files: \d+%/);
  const events = r.out
    .split(/\r?\n/)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
  assert.ok(events.some((e) => e.type === 'finished' && e.summary.result === 'success'), 'finished event');
  const last = events.filter((e) => e.type === 'progress' && e.name === 'files' && e.phase === 'copy').at(-1);
  assert.ok(last, 'a progress event of the folder');
  // rsync counts the folders too: briefe/, the top folder.
  assert.equal({ percent: last!.percent, bytes: last!.bytes, files: last!.files, totalFiles: last!.totalFiles }, { percent: 100, bytes, files: FILES + 3, totalFiles: FILES + 3 });
  // The check after the backup reads a sample of the files: its events count what it read.
  const check = events.filter((e) => e.type === 'progress' && e.name === 'files' && e.phase === 'verify').at(-1);
  assert.ok(check && check.percent === 100 && check.files === check.totalFiles && check.files > 0 && check.bytes > 0, JSON.stringify(check));
});

test.run();

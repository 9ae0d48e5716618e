// Folder backups and the run's safety rules, with real rsync and real file systems: hard links
// between generations, retention, kill -9, a full disk, two runs at once, vanishing files, hooks.
import { execa } from 'execa';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, cliEnv, readLogs, runCli, startCli, type CliEnv } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, waitUntil } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('folder backups and run safety');

let root: string;
let env: CliEnv;

async function setup(name: string, opts: { keep?: number; files?: number; bytesEach?: number; backupDir?: string; hooks?: unknown } = {}) {
  const dir = join(root, name);
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: opts.files ?? 12, bytesEach: opts.bytesEach ?? 4096 });
  const backupDir = opts.backupDir ?? join(dir, 'backups');
  const configFile = join(dir, 'config.json');
  const config: Record<string, unknown> = {
    backupDir,
    components: [{ name: 'files', type: 'folder', path: src }],
    retention: { keep: opts.keep ?? 10 },
  };
  if (opts.hooks) config.hooks = opts.hooks;
  await writeFile(configFile, JSON.stringify(config));
  return { dir, src, backupDir, configFile };
}

const backups = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort() : []);
const partials = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.partial')) : []);

/** A big file that takes rsync a while, named to sort first so it is copied before the rest. */
function bigFile(path: string, mib: number) {
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(path, '');
  for (let i = 0; i < mib; i++) {
    chunk.writeUInt32LE(i, 0);
    appendFileSync(path, chunk);
  }
}

test.before(async () => {
  root = await makeTempDir('praxis-folders-');
  env = await cliEnv(root);
});

test.after(async () => {
  await runCleanups();
});

test('second run: unchanged files are hard links into the first backup, a changed file is not', async () => {
  const s = await setup('links');
  assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
  const files = readdirSync(s.src, { recursive: true }) as string[];
  const regular = files.filter((f) => statSync(join(s.src, f)).isFile());
  const changed = regular[0]!;
  await writeFile(join(s.src, changed), 'geändert');
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 0, r.stderr);
  const [first, second] = backups(s.backupDir);
  assert.ok(first && second && first !== second);
  for (const f of regular) {
    const a = statSync(join(s.backupDir, first!, 'files', f));
    const b = statSync(join(s.backupDir, second!, 'files', f));
    if (f === changed) {
      assert.is.not(a.ino, b.ino, `${f} changed: must be a new file`);
      assert.is(readFileSync(join(s.backupDir, second!, 'files', f), 'utf8'), 'geändert');
    } else {
      assert.is(a.ino, b.ino, `${f} unchanged: must be the same inode`);
    }
  }
  const m2 = JSON.parse(readFileSync(join(s.backupDir, second!, 'manifest.json'), 'utf8'));
  assert.is(m2.components[0].bytesCopied, Buffer.byteLength('geändert'), 'only the changed bytes were written');
});

test('retention.keep = 3 after 5 runs leaves the 3 newest', async () => {
  const s = await setup('retention', { keep: 3, files: 3 });
  const made: string[] = [];
  for (let i = 0; i < 5; i++) {
    await writeFile(join(s.src, `lauf-${i}.txt`), String(i));
    const r = await runCli(['run', '--config', s.configFile, '--json'], env.env);
    assert.is(r.code, 0, r.stderr);
    made.push(r.events.at(-1)!.summary.backupId);
  }
  assert.is(new Set(made).size, 5);
  assert.equal(backups(s.backupDir), made.slice(2).sort());
  // The newest really is the last run: it holds all five marker files.
  assert.ok(existsSync(join(s.backupDir, made[4]!, 'files', 'lauf-4.txt')));
  const list = await runCli(['list', '--config', s.configFile, '--json'], env.env);
  assert.equal(list.events[0]!.backups.map((b: any) => b.id), made.slice(2).reverse());
});

test('kill -9 during a long folder copy: nothing incomplete listed, earlier backup intact, next run cleans up', async () => {
  const s = await setup('kill9', { files: 5 });
  assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
  const [first] = backups(s.backupDir);
  const firstManifest = readFileSync(join(s.backupDir, first!, 'manifest.json'), 'utf8');
  bigFile(join(s.src, '000-gross.bin'), 400);

  const child = startCli(['run', '--config', s.configFile], env.env);
  // Wait until rsync is writing into the .partial folder, then kill the engine without mercy.
  const writing = await waitUntil(async () => {
    const p = partials(s.backupDir)[0];
    return !!p && existsSync(join(s.backupDir, p, 'files'));
  }, 20_000, 10);
  assert.ok(writing, 'the run reached the folder copy');
  process.kill(child.pid!, 'SIGKILL');
  await child;

  assert.is(partials(s.backupDir).length, 1, 'the interrupted run left its .partial');
  const list = await runCli(['list', '--config', s.configFile, '--json'], env.env);
  assert.equal(list.events[0]!.backups.map((b: any) => b.id), [first], 'only the complete backup is listed');
  assert.is(readFileSync(join(s.backupDir, first!, 'manifest.json'), 'utf8'), firstManifest);
  const status = await runCli(['status', '--config', s.configFile, '--json'], env.env);
  assert.is(status.events[0]!.running, null, 'a dead run is not shown as running');
  assert.is(status.events[0]!.interrupted, true);

  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /Sperre.*übernommen/);
  assert.match(r.stderr, /Unvollständiges Backup .*\.partial.* entfernt/);
  assert.is(partials(s.backupDir).length, 0);
  assert.is(backups(s.backupDir).length, 2);
  assert.ok(!existsSync(join(s.backupDir, '.praxis-backup.lock')), 'lock released');
});

test('two runs at once: the second exits 75 and says since when; the first completes', async () => {
  const s = await setup('twice', { files: 3 });
  bigFile(join(s.src, '000-gross.bin'), 300);
  const first = startCli(['run', '--config', s.configFile], env.env);
  const locked = await waitUntil(async () => existsSync(join(s.backupDir, '.praxis-backup.lock')), 20_000, 10);
  assert.ok(locked);
  const second = await runCli(['run', '--config', s.configFile, '--json'], env.env);
  assert.is(second.code, 75, second.stderr);
  assert.match(second.stderr, /läuft bereits ein Backup \(seit \d{4}-\d{2}-\d{2}T/);
  assert.is(second.events.at(-1)!.summary.exitCode, 75);
  const r1 = await first;
  assert.is(r1.exitCode, 0, String(r1.stderr));
  assert.is(backups(s.backupDir).length, 1);
  // The refused run did not overwrite the status of the real one.
  const status = JSON.parse(readFileSync(join(env.stateDir, 'status.json'), 'utf8'));
  assert.is(status.lastRun.result, 'success');
});

test('a file that vanishes during the copy: exit 3 with a warning naming it', async () => {
  const s = await setup('vanish', { files: 3 });
  bigFile(join(s.src, '000-gross.bin'), 300);
  const victims = ['zz-1.txt', 'zz-2.txt'].map((n) => join(s.src, n));
  for (const v of victims) await writeFile(v, 'weg');
  const child = startCli(['run', '--config', s.configFile, '--json'], env.env);
  // rsync has built its file list once it writes the big file's temp copy; delete the victims then.
  const started = await waitUntil(async () => {
    const p = partials(s.backupDir)[0];
    if (!p || !existsSync(join(s.backupDir, p, 'files'))) return false;
    return readdirSync(join(s.backupDir, p, 'files')).some((n) => n.includes('000-gross'));
  }, 20_000, 5);
  assert.ok(started);
  for (const v of victims) await unlink(v);
  const r = await child;
  assert.is(r.exitCode, 3, String(r.stderr));
  assert.match(String(r.stderr), /verschwunden/);
  assert.match(String(r.stderr), /zz-1\.txt/);
  const [id] = backups(s.backupDir);
  const m = JSON.parse(readFileSync(join(s.backupDir, id!, 'manifest.json'), 'utf8'));
  assert.is(m.status, 'complete', 'a vanished file does not make the backup incomplete');
  assert.ok(m.warnings.length >= 1);
});

test('backup dir on a small tmpfs: not enough space → exit 1 before writing, message names sizes', async () => {
  const fs = await mountTmpfs(8);
  const s = await setup('space-precheck', { files: 4, bytesEach: 2 * 1024 * 1024, backupDir: join(fs.path, 'backups') });
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 1);
  assert.match(r.stderr, /Zu wenig Speicherplatz/);
  assert.match(r.stderr, /frei sind nur/);
  assert.equal(backups(s.backupDir), []);
  assert.equal(partials(s.backupDir), []);
});

test('backup dir on a small tmpfs that fills up during the copy: exit 1, space message, no .partial, earlier backup intact', async () => {
  const fs = await mountTmpfs(20);
  const s = await setup('space-full', { files: 3, bytesEach: 100_000, backupDir: join(fs.path, 'backups') });
  assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
  const [first] = backups(s.backupDir);
  const manifest = readFileSync(join(s.backupDir, first!, 'manifest.json'), 'utf8');
  // The estimate (what the last run wrote: 300 KB) passes; the copy then hits the full disk.
  bigFile(join(s.src, 'riesig.bin'), 24);
  const r = await runCli(['run', '--config', s.configFile, '--json'], env.env);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /voll/);
  assert.is(r.events.at(-1)!.summary.error.key, 'error.diskFull');
  assert.equal(partials(s.backupDir), []);
  assert.equal(backups(s.backupDir), [first]);
  assert.is(readFileSync(join(s.backupDir, first!, 'manifest.json'), 'utf8'), manifest);
  // After freeing space, the next run works.
  await rm(join(s.src, 'riesig.bin'));
  assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
});

test('a failing beforeBackup hook stops the run with its output in the log; afterBackup still runs', async () => {
  const marker = join(root, 'after-ran');
  const s = await setup('hooks', {
    files: 2,
    hooks: {
      beforeBackup: { command: 'echo "Dienst lässt sich nicht pausieren" >&2; exit 4', timeoutSeconds: 10 },
      afterBackup: { command: ['/bin/sh', '-c', `echo "$PRAXIS_BACKUP_RESULT" > ${marker}`] },
    },
  });
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 1);
  assert.match(r.stderr, /beforeBackup/);
  assert.match(readLogs(env.logDir), /Dienst lässt sich nicht pausieren/);
  assert.equal(backups(s.backupDir), []);
  assert.is(readFileSync(marker, 'utf8').trim(), 'failed');
});

test('a missing source folder fails the run and names the folder', async () => {
  const s = await setup('missing-src', { files: 1 });
  await rm(s.src, { recursive: true });
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 1);
  assert.ok(r.stderr.includes(s.src));
  assert.equal(backups(s.backupDir), []);
  assert.equal(partials(s.backupDir), []);
});

test('an unreadable file: exit 1 with rsync 23 explained and the file named', async () => {
  const s = await setup('denied', { files: 2 });
  const locked = join(s.src, 'gesperrt.pdf');
  await writeFile(locked, 'x');
  let res: { exitCode?: number; stderr: unknown };
  if (process.getuid?.() === 0) {
    // root reads everything: run the CLI as `nobody`, who owns everything but the locked file.
    const home = join(s.dir, 'home');
    await mkdir(home, { recursive: true });
    await execa('chown', ['-R', 'nobody', s.dir]);
    await execa('chown', ['root', locked]);
    await execa('chmod', ['000', locked]);
    res = await execa('runuser', ['-u', 'nobody', '--', process.execPath, CLI, 'run', '--config', s.configFile], {
      env: { ...env.env, HOME: home, XDG_STATE_HOME: join(home, 'state') },
      reject: false,
    });
  } else {
    await execa('chmod', ['000', locked]);
    const r = await runCli(['run', '--config', s.configFile], env.env);
    res = { exitCode: r.code, stderr: r.stderr };
  }
  assert.is(res.exitCode, 1, String(res.stderr));
  assert.match(String(res.stderr), /rsync 23/);
  assert.match(String(res.stderr), /gesperrt\.pdf/);
  assert.match(String(res.stderr), /Kein Zugriff/);
  assert.equal(partials(s.backupDir), []);
  assert.equal(backups(s.backupDir), []);
});

test.run();

// Retention under faults, with the real CLI and real file systems: a run killed with -9 in the
// middle of removing an old backup (locally and on a mirror), the remains an older version left
// behind in that case, a folder named like a backup from the future, and a mirror disk pulled in
// the middle of a copy. "The middle" is reached through the engine's stall points
// (src/run/fault-injection.ts): the run stops there and says so in a marker file, and the
// test acts on that state — no timing, no racing the machine's speed.
import { execa } from 'execa';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import { readCatalog } from '../../src/backup-directory/catalog';
import { runBackup } from '../../src/backup/backup-run';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { StatusStore } from '../../src/run/status-store';
import { ToolLocator } from '../../src/process/tool-locator';
import { render } from '../../src/i18n';
import { cliEnv, runCli, startCli, type CliEnv } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, registerCleanup, runCleanups, waitUntil } from '../helpers/temp';
import { isMounted, mountTmpfsAt, unmountPath } from '../helpers/tmpfs';

const test = suite('retention under faults');

let root: string;
let env: CliEnv;

test.before(async () => {
  root = await makeTempDir('praxis-retention-faults-');
  env = await cliEnv(root);
});
test.after(runCleanups);

async function setup(name: string, opts: { keep: number; mirrors?: unknown[] }) {
  const dir = join(root, name);
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: 8, bytesEach: 4096 });
  const backupDir = join(dir, 'backups');
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: src }], retention: { keep: opts.keep }, mirrors: opts.mirrors ?? [] }));
  return { dir, src, backupDir, configFile };
}

const names = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
const backups = (dir: string) => names(dir).filter((n) => /^\d{8}_\d{6}$/.test(n));
const listed = async (args: string[]) => {
  const r = await runCli(['list', ...args, '--json'], env.env);
  return (r.events[0]!.backups as { id: string }[]).map((b) => b.id);
};
const stalled = (env_: Record<string, string>, point: string) => ({ ...env_, PRAXIS_BACKUP_TEST_STALL: point });

/** Runs the CLI until it stops at the stall point (marker file appears), then kills it with -9. */
async function killAtStall(configFile: string, dir: string) {
  const marker = () => names(dir).find((n) => n.endsWith('.deleting.stalled'));
  const child = startCli(['run', '--config', configFile], stalled(env.env, 'removal'));
  registerCleanup(() => void (child.exitCode === null && child.kill('SIGKILL'))); // a stalled run waits forever
  const reached = await waitUntil(async () => marker() !== undefined || child.exitCode !== null, 60_000, 20);
  if (!reached || !marker()) {
    if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL');
    assert.unreachable(`the run did not reach the removal: ${String((await child).stderr)}`);
  }
  process.kill(child.pid!, 'SIGKILL');
  await child;
  const m = marker()!;
  rmSync(join(dir, m)); // the stall point's marker, not something a real run leaves
  return m;
}

test('kill -9 while retention removes an old backup: nothing looks like a backup half-deleted, and the next run finishes it', async () => {
  const s = await setup('local', { keep: 1 });
  assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
  const [old] = backups(s.backupDir);
  await writeFile(join(s.src, 'neu.txt'), 'neu');

  const marker = await killAtStall(s.configFile, s.backupDir);
  assert.is(marker, `${old}.deleting.stalled`);
  // Half-deleted (manifest and the first entry gone), but under a name no reader takes for a backup.
  const [kept] = backups(s.backupDir);
  assert.ok(kept && kept !== old, `only the new backup has a backup name: ${names(s.backupDir).join(' ')}`);
  assert.ok(existsSync(join(s.backupDir, `${old}.deleting`)), 'the removal was under way');
  assert.not.ok(existsSync(join(s.backupDir, old!)), 'no folder named like the old backup is left');
  assert.equal(await listed(['--config', s.configFile]), [kept]);

  const r = await runCli(['run', '--config', s.configFile], { ...env.env, LANG: 'en_US.UTF-8' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Finished removing old backup ${old} \\(an interrupted run had begun it\\)`));
  assert.not.ok(existsSync(join(s.backupDir, `${old}.deleting`)), 'the next run finished the removal');
  assert.not.match(r.stderr, /neither counted nor deleted/);
  assert.is(backups(s.backupDir).length, 1);
});

test('remains an older version left (manifest gone, only backup files) are removed; a folder that is not clearly ours is reported with what to do', async () => {
  const s = await setup('legacy', { keep: 5 });
  for (let i = 0; i < 2; i++) assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
  const [older, newer] = backups(s.backupDir);
  // What an old version's in-place `rm -r` left when killed after the manifest and part of the files.
  rmSync(join(s.backupDir, older!, 'manifest.json'));
  rmSync(join(s.backupDir, older!, 'files'), { recursive: true });
  // Not ours to judge: a folder named like a backup holding something we never write, and one
  // whose manifest is damaged (it may be a backup worth rescuing).
  await mkdir(join(s.backupDir, '20200101_000000'));
  await writeFile(join(s.backupDir, '20200101_000000', 'notizen.txt'), 'vom Admin');
  cpSync(join(s.backupDir, newer!), join(s.backupDir, '20200102_000000'), { recursive: true });
  writeFileSync(join(s.backupDir, '20200102_000000', 'manifest.json'), '{"kaputt');

  const r = await runCli(['run', '--config', s.configFile], { ...env.env, LANG: 'en_US.UTF-8' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Removed "${older}": the remains of an old backup`));
  assert.not.ok(existsSync(join(s.backupDir, older!)));
  for (const name of ['20200101_000000', '20200102_000000']) {
    assert.ok(existsSync(join(s.backupDir, name)), `${name} must stay`);
    assert.match(r.stderr, new RegExp(`holds "${name}" without a valid manifest.json.*If you put it there, move it out of the backup directory; if it is the remains of an old backup, delete it\\.`));
  }
});

test('kill -9 while a mirror removes its old backup: the target lists only complete backups, the next run finishes there too', async () => {
  const s = await setup('mirror', { keep: 5, mirrors: [] });
  const disk = join(s.dir, 'usb');
  await mkdir(disk);
  await mountTmpfsAt(disk, { sizeMiB: 64 }); // a second disk: the mirror refuses one on the backup's own disk
  registerCleanup(() => unmountPath(disk));
  const target = join(disk, 'praxis');
  await mkdir(target);
  await writeFile(s.configFile, JSON.stringify({ ...JSON.parse(readFileSync(s.configFile, 'utf8')), mirrors: [{ name: 'usb', type: 'path', path: target, mode: 'latest' }] }));
  const first = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(first.code, 0, first.stderr);
  const [old] = backups(target);
  await writeFile(join(s.src, 'neu.txt'), 'neu');

  await killAtStall(s.configFile, target);
  const [copied] = backups(target);
  assert.ok(copied && copied !== old, `only the new copy has a backup name on the target: ${names(target).join(' ')}`);
  assert.ok(existsSync(join(target, `${old}.deleting`)));
  assert.equal(await listed(['--dir', target]), [copied]);

  const r = await runCli(['run', '--config', s.configFile], { ...env.env, LANG: 'en_US.UTF-8' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Finished removing old backup ${old} on "usb"`));
  assert.equal(names(target).filter((n) => !/^\d{8}_\d{6}$/.test(n)), [], 'nothing but backups left on the target');
});

test('the mirror disk pulled in the middle of a copy: the message says so and names the mirror', async () => {
  const s = await setup('pulled', { keep: 5 });
  const disk = join(s.dir, 'usb');
  await mkdir(disk);
  await mountTmpfsAt(disk, { sizeMiB: 64 });
  const target = join(disk, 'praxis');
  await mkdir(target);
  try {
    await writeFile(s.configFile, JSON.stringify({ ...JSON.parse(readFileSync(s.configFile, 'utf8')), mirrors: [{ name: 'usb', type: 'path', path: target, mode: 'all' }] }));
    const child = startCli(['run', '--config', s.configFile], { ...stalled(env.env, 'mirror-manifest'), LANG: 'en_US.UTF-8' });
    registerCleanup(() => void (child.exitCode === null && child.kill('SIGKILL')));
    const marker = join(s.backupDir, '.mirror-usb.stalled');
    // The files are on the disk, the manifest not yet: pull the disk now (a lazy unmount is what
    // the kernel does with a yanked USB disk that is still in use), then let the run go on.
    await waitUntil(async () => existsSync(marker) || child.exitCode !== null, 60_000, 20);
    if (!existsSync(marker)) {
      if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL');
      assert.unreachable(`the run did not reach the mirror copy: ${String((await child).stderr)}`);
    }
    await execa('umount', ['-l', disk]);
    assert.not.ok(isMounted(disk));
    rmSync(marker);
    const r = await child;
    assert.is(r.exitCode, 1, String(r.stderr));
    assert.match(String(r.stderr), /The disk of mirror "usb" was removed or unmounted during the copy/);
    assert.not.match(String(r.stderr), /Unexpected error|ENOENT/);
  } finally {
    await unmountPath(disk);
  }
});

// ---- a backup from the future (engine, with the run's injected clock) ------------------------

test('a folder named like a backup from the future does not push out a real backup, and is reported, not removed', async () => {
  const dir = join(root, 'future');
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: 4, bytesEach: 1000 });
  const config = validateConfig({ backupDir: join(dir, 'backups'), components: [{ name: 'files', type: 'folder', path: src }], retention: { keep: 2 } }, 'test');
  const tools = new ToolLocator('linux', process.env);
  const status = new StatusStore(join(dir, 'state'));
  const run = async (day: number) => {
    const events: StampedEvent[] = [];
    // The run's clock, injected: days of November 2026, 03:15 local time.
    const now = () => new Date(2026, 10, day, 3, 15, 0);
    const summary = await runBackup(config, { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), status, toolVersion: 'test', now }, new Reporter([(e) => events.push(e)]), new AbortController().signal);
    return { summary, events };
  };
  assert.is((await run(22)).summary.exitCode, 0);
  assert.is((await run(23)).summary.exitCode, 0);
  // A valid, complete backup that names itself 29991231_235959 (copied in, or made under a wrong clock).
  const future = '29991231_235959';
  cpSync(join(config.backupDir, '20261122_031500'), join(config.backupDir, future), { recursive: true });
  const m = JSON.parse(readFileSync(join(config.backupDir, future, 'manifest.json'), 'utf8'));
  writeFileSync(join(config.backupDir, future, 'manifest.json'), JSON.stringify({ ...m, id: future }));

  const { summary, events } = await run(24);
  // keep 2: the two newest REAL backups stay; the future one is neither counted nor removed.
  assert.equal(backups(config.backupDir), ['20261123_031500', '20261124_031500', future]);
  assert.is(summary.exitCode, 3, 'a warning: the admin must look at it');
  const warnings = summary.warnings.map((w) => render('en', w));
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, new RegExp(`holds "${future}", a backup dated after now. It is not counted for retention.keep, not mirrored and never deleted automatically.*move it out of the backup directory`));
  assert.ok(events.some((e) => e.type === 'log' && e.message.key === 'run.retention.removed' && e.message.params?.id === '20261122_031500'));

  // Still there and still not counted on the next days.
  await run(25);
  assert.equal(backups(config.backupDir), ['20261124_031500', '20261125_031500', future]);
});

test('"after now" with the run\'s clock: an hour of slack for clock corrections, no more', async () => {
  const dir = join(root, 'future-edge');
  await mkdir(dir);
  const src = join(root, 'future', 'backups', '20261124_031500'); // made by the test above
  const now = new Date(2026, 10, 24, 3, 15, 0);
  for (const id of ['20261124_034500', '20261124_051500']) {
    cpSync(src, join(dir, id), { recursive: true });
    const m = JSON.parse(readFileSync(join(dir, id, 'manifest.json'), 'utf8'));
    writeFileSync(join(dir, id, 'manifest.json'), JSON.stringify({ ...m, id }));
  }
  const cat = await readCatalog(dir, { now });
  assert.equal(cat.complete.map((b) => b.id), ['20261124_034500']);
  assert.equal(cat.future.map((b) => b.id), ['20261124_051500']);
  // Without a clock (list, restore, verify: the admin's own choice) every complete backup is listed.
  assert.equal((await readCatalog(dir)).complete.map((b) => b.id), ['20261124_051500', '20261124_034500']);
});

test.run();

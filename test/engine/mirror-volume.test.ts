// Mirrors onto real disks: labelled ext4 images attached as loop devices stand in for the USB
// disk. Through the real CLI: found by label and by UUID, mounted, copied, verified, ejected
// (unmounted), the admin told; an empty mount-point folder never written to; kill -9 mid-copy.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, startCli, type CliEnv } from '../helpers/cli';
import { makeLoopDisk, mountAt, mountsOf, type LoopDisk } from '../helpers/loop-disk';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, registerCleanup, runCleanups, waitUntil } from '../helpers/temp';
import { execa } from 'execa';

const test = suite('mirrors onto loop-device disks');
let root: string;
let env: CliEnv;

const ids = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort() : []);
const partials = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.partial')) : []);

async function practice(name: string, mirrors: unknown[]) {
  const dir = join(root, name);
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: 10, bytesEach: 30_000 });
  const configFile = join(dir, 'config.json');
  const backupDir = join(dir, 'backups');
  await writeFile(configFile, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: src }], mirrors }));
  return { dir, src, configFile, backupDir };
}

/** Mount the disk ourselves, read-only, to look at what the tool left on it; unmount again. */
async function inspect<T>(disk: LoopDisk, fn: (root: string) => T): Promise<T> {
  const mp = join(root, `inspect-${disk.label}-${Date.now()}`);
  mkdirSync(mp);
  await execa('mount', ['-o', 'ro', disk.device, mp]);
  try {
    return fn(join(mp, 'Praxis-Backup'));
  } finally {
    await execa('umount', [mp]);
  }
}

test.before(async () => {
  root = await makeTempDir('praxis-mirror-vol-');
  env = await cliEnv(root, { PRAXIS_BACKUP_MOUNT_BASE: join(root, 'mnt'), PRAXIS_BACKUP_NOTIFY: 'none' });
});
test.after(() => runCleanups());

test('mode all onto a disk found by label: all backups there, hard links kept, verified, ejected, admin told', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'PRAXIS-USB' });
  const p = await practice('label', [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-USB' }, mode: 'all', eject: true }]);
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    await writeFile(join(p.src, `tag-${i}.txt`), String(i));
    const r = await runCli(['run', '--config', p.configFile, '--json'], env.env);
    assert.is(r.code, 0, r.stderr);
    made.push(r.events.at(-1)!.summary.backupId);
    assert.match(r.stderr, /USB-Festplatte „PRAXIS-USB“ wurde ausgeworfen und kann jetzt abgezogen werden/);
    assert.ok(r.events.some((e) => e.type === 'notification' && e.message.key === 'mirror.ejected'));
    assert.equal(mountsOf(disk.device), [], 'unmounted after each run');
  }
  await inspect(disk, (dir) => {
    assert.equal(ids(dir), made);
    assert.equal(partials(dir), []);
    const f = (readdirSync(join(dir, made[0]!, 'files'), { recursive: true }) as string[]).find((x) => x.endsWith('.pdf'))!;
    const inodes = made.map((id) => statSync(join(dir, id, 'files', f)).ino);
    assert.is(new Set(inodes).size, 1, 'unchanged file: one inode across generations on the disk');
    assert.is(statSync(join(dir, made[2]!, 'files', f)).nlink, 3);
    assert.is(readFileSync(join(dir, made[2]!, 'manifest.json'), 'utf8'), readFileSync(join(p.backupDir, made[2]!, 'manifest.json'), 'utf8'));
  });
  const st = JSON.parse(readFileSync(join(env.stateDir, 'status.json'), 'utf8'));
  assert.is(st.destinations.usb.lastSuccess.backupId, made[2]);
  // `list --dir` reads the disk like the local folder.
  const listed = await inspect(disk, (dir) => dir);
  assert.ok(listed.endsWith('Praxis-Backup'));
});

test('the USB disk pulled during the copy: "removed during the copy", naming the mirror; no eject attempted, nothing claimed', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'PRAXIS-WEG' });
  const p = await practice('pulled', [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-WEG' }, mode: 'all', eject: true }]);
  // The engine's stall point (src/run/fault-injection.ts): after rsync, before the manifest.
  const child = startCli(['run', '--config', p.configFile, '--json'], { ...env.env, PRAXIS_BACKUP_TEST_STALL: 'mirror-manifest' });
  registerCleanup(() => void (child.exitCode === null && child.kill('SIGKILL')));
  const marker = join(p.backupDir, '.mirror-usb.stalled');
  await waitUntil(async () => existsSync(marker) || child.exitCode !== null, 60_000, 20);
  if (!existsSync(marker)) assert.unreachable(`the run did not reach the mirror copy: ${String((await child).stderr)}`);
  const [mountPoint] = mountsOf(disk.device);
  assert.ok(mountPoint, 'the disk was mounted for the copy');
  // Pulled: the kernel detaches the busy file system from the tree (lazy unmount), the device goes.
  await execa('umount', ['-l', mountPoint!]);
  await disk.detach();
  rmSync(marker);
  const r = await child;
  assert.is(r.exitCode, 1, String(r.stderr));
  assert.match(String(r.stderr), /Der Datenträger von „usb“ wurde während des Kopierens entfernt oder ausgehängt/);
  assert.not.match(String(r.stderr), /Unerwarteter Fehler|ENOENT|ausgeworfen/);
  const summary = JSON.parse(String(r.stdout).trim().split('\n').at(-1)!).summary;
  assert.is(summary.mirrors[0].message.key, 'mirror.targetGone');
  assert.is(summary.mirrors[0].message.params.name, 'usb');
});

test('a disk too small for the copy: failed, not ejected nor "can be unplugged", unmounted; the next night the same words and the same exit', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'ZU-KLEIN' });
  const p = await practice('small', [{ name: 'usb', type: 'volume', volume: { label: 'ZU-KLEIN' }, mode: 'all', eject: true }]);
  // 80 MiB of scans cannot fit onto a 64 MiB disk: the space check refuses before writing.
  writeFileSync(join(p.src, 'ultraschall.bin'), Buffer.alloc(80 * 1024 * 1024, 1));
  for (const night of [1, 2]) {
    const r = await runCli(['run', '--config', p.configFile, '--json'], env.env);
    assert.is(r.code, 1, `night ${night}: ${r.stderr}`);
    assert.is(r.events.at(-1)!.summary.mirrors[0].message.key, 'mirror.space', `night ${night}`);
    // Ejecting would power a real USB disk off: the next night would find it absent (exit 3).
    assert.not.ok(r.events.some((e) => e.type === 'notification' && e.message.key === 'mirror.ejected'), `night ${night}: not told "can be unplugged"`);
    assert.not.match(r.stderr, /kann jetzt abgezogen werden/);
    assert.match(r.stderr, /„usb“ wurde nach dem fehlgeschlagenen Kopieren nicht ausgeworfen/);
    assert.equal(mountsOf(disk.device), [], `night ${night}: what we mounted is unmounted again`);
  }
});

test('found by UUID (any case); `volumes` lists it; `mirror` alone copies; mode latest keeps only the newest', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'ZWEITE' });
  const p = await practice('uuid', [{ name: 'stick', type: 'volume', volume: { uuid: disk.uuid.toUpperCase() }, mode: 'latest' }]);
  const vols = await runCli(['volumes', '--json'], env.env);
  assert.is(vols.code, 0, vols.stderr);
  const v = vols.events[0]!.volumes.find((x: any) => x.device === disk.device);
  assert.ok(v, 'the loop disk is listed');
  assert.is(v.label, 'ZWEITE');
  assert.is(v.uuid.toLowerCase(), disk.uuid.toLowerCase());
  const text = await runCli(['volumes'], env.env);
  assert.match(text.stdout, /ZWEITE/);

  let last = '';
  for (let i = 0; i < 3; i++) {
    await writeFile(join(p.src, `x${i}`), String(i));
    const r = await runCli(['run', '--config', p.configFile, '--json'], env.env);
    assert.is(r.code, 0, r.stderr);
    last = r.events.at(-1)!.summary.backupId;
  }
  await inspect(disk, (dir) => assert.equal(ids(dir), [last]));
  // `mirror stick` on its own: nothing new to copy, still a success, disk left as found (unmounted).
  const m = await runCli(['mirror', 'stick', '--config', p.configFile, '--json'], env.env);
  assert.is(m.code, 0, m.stderr);
  assert.equal(m.events.at(-1)!.summary.mirrors[0].copied, []);
  assert.equal(mountsOf(disk.device), []);
  const unknown = await runCli(['mirror', 'gibtsnicht', '--config', p.configFile], env.env);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /Unbekannter Datenträger „gibtsnicht“/);
});

test('disk absent, its mount-point folder present: nothing written there; optional → 3, required → 1', async () => {
  const emptyMountPoint = join(root, 'media', 'USB-WEG');
  await mkdir(emptyMountPoint, { recursive: true });
  const p = await practice('absent', [
    { name: 'usb', type: 'volume', volume: { label: 'USB-WEG' } },
    { name: 'ordner', type: 'path', path: emptyMountPoint },
  ]);
  const r = await runCli(['run', '--config', p.configFile], env.env);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /„USB-WEG“.*nicht angeschlossen/);
  assert.match(r.stderr, /demselben Datenträger/);
  assert.equal(readdirSync(emptyMountPoint), [], 'nothing written into the empty folder');
  assert.equal(ids(p.backupDir).length, 1, 'the local backup is there');

  const cfg = JSON.parse(readFileSync(p.configFile, 'utf8'));
  cfg.mirrors[0].required = true;
  writeFileSync(p.configFile, JSON.stringify(cfg));
  const r2 = await runCli(['run', '--config', p.configFile, '--json'], env.env);
  assert.is(r2.code, 1);
  assert.is(r2.events.at(-1)!.summary.error.key, 'mirror.failed');
  const st = JSON.parse(readFileSync(join(env.stateDir, 'status.json'), 'utf8'));
  assert.ok(st.destinations.local.lastSuccess, 'the local backup itself counts as done');
  assert.is(st.destinations.usb.lastFailure.message.key, 'mirror.volumeAbsent');
});

test('kill -9 during the copy onto the disk: nothing complete-looking left, the next mirror run repairs it', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 400, label: 'KILL9' });
  const p = await practice('kill', [{ name: 'usb', type: 'volume', volume: { label: 'KILL9' } }]);
  // First backup small and mirrored; then a big file arrives, the next backup is local only,
  // and its copy onto the disk (slow, 200 MB) is killed.
  const first = await runCli(['run', '--config', p.configFile], env.env);
  assert.is(first.code, 0, first.stderr);
  writeFileSync(join(p.src, '000-gross.bin'), Buffer.alloc(200 * 1024 * 1024, 9));
  const cfgNoMirror = join(p.dir, 'nur-lokal.json');
  const cfg = JSON.parse(readFileSync(p.configFile, 'utf8'));
  writeFileSync(cfgNoMirror, JSON.stringify({ ...cfg, mirrors: [] }));
  assert.is((await runCli(['run', '--config', cfgNoMirror], env.env)).code, 0);
  const [, second] = ids(p.backupDir);

  const child = startCli(['mirror', '--config', p.configFile], env.env);
  const mnt = join(root, 'mnt');
  const copying = await waitUntil(async () => {
    const mp = mountsOf(disk.device)[0];
    return !!mp && partials(join(mp, 'Praxis-Backup')).length > 0;
  }, 30_000, 10);
  assert.ok(copying, `the copy started (mount base ${mnt})`);
  process.kill(child.pid!, 'SIGKILL');
  await child;
  const mp = mountsOf(disk.device)[0]!;
  const onDisk = join(mp, 'Praxis-Backup');
  assert.not.ok(ids(onDisk).includes(second!), 'the interrupted backup does not look complete');
  assert.is(partials(onDisk).length, 1);

  const r = await runCli(['mirror', '--config', p.configFile, '--json'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.events.at(-1)!.summary.mirrors[0].copied.includes(second));
  await inspect(disk, (dir) => {
    assert.ok(ids(dir).includes(second!));
    assert.equal(partials(dir), []);
    assert.is(statSync(join(dir, second!, 'files', '000-gross.bin')).size, 200 * 1024 * 1024);
  }).catch(async (e) => {
    // Still mounted from the killed run (we did not mount it in this run, so we left it): look there.
    if (!/already mounted|busy/.test(String(e))) throw e;
    assert.ok(ids(onDisk).includes(second!));
    assert.equal(partials(onDisk), []);
  });
});

test('`volumes eject LABEL` unmounts the disk and says it can be unplugged; `mirror --on-mount` skips absent disks quietly', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 32, label: 'AUSWERFEN' });
  const mp = join(root, 'by-hand');
  mkdirSync(mp);
  await mountAt(disk.device, mp);
  assert.equal(mountsOf(disk.device).length, 1);
  const r = await runCli(['volumes', 'eject', 'AUSWERFEN'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /„AUSWERFEN“ wurde ausgeworfen und kann jetzt abgezogen werden/);
  assert.equal(mountsOf(disk.device), []);
  const none = await runCli(['volumes', 'eject', 'GIBTSNICHT'], env.env);
  assert.is(none.code, 1);
  assert.match(none.stderr, /GIBTSNICHT/);

  const p = await practice('onmount', [{ name: 'usb', type: 'volume', volume: { label: 'NICHT-DA' } }]);
  const local = join(p.dir, 'lokal.json');
  writeFileSync(local, JSON.stringify({ ...JSON.parse(readFileSync(p.configFile, 'utf8')), mirrors: [] }));
  assert.is((await runCli(['run', '--config', local], env.env)).code, 0);
  const quiet = await runCli(['mirror', '--on-mount', '--config', p.configFile, '--json'], env.env);
  assert.is(quiet.code, 0, quiet.stderr);
  assert.is(quiet.events.at(-1)!.summary.mirrors[0].result, 'skipped');
  const loud = await runCli(['mirror', '--config', p.configFile], env.env);
  assert.is(loud.code, 3);
});

test.run();

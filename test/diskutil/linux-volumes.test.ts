// The Linux Volumes adapter against real ext4 disks on loop devices (root): listing without udev
// (blkid fills what lsblk cannot see), finding by label and UUID, mounting, writing, a busy
// unmount, ejecting. The udisksctl path (no udisks here) is checked by exact argv against a fake
// runner; its output format comes from udisks' own source (cited below).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUdisksMounted } from '../../src/diskutil/linux-block-devices';
import { LinuxVolumes, type Runner } from '../../src/diskutil/linux-volumes';
import type { Volume } from '../../src/core/volumes';
import { render, t } from '../../src/i18n';
import { run, type CommandPlan, type RunResult } from '../../src/process/runner';
import { PraxisError } from '../../src/core/errors';
import { loopDevicesUnder, makeLoopDisk, mountInfo, mountsOf, type LoopDisk } from '../helpers/loop-disk';
import { makeTempDir, runCleanups, waitForExit, waitUntil } from '../helpers/temp';

const test = suite('Linux volumes on loop disks');

let mountBase: string;
const children: ChildProcess[] = [];
const disks: LoopDisk[] = [];

/** A loop disk this file owns (checked for leftovers at the end). */
async function loopDisk(sizeMiB: number, label: string): Promise<LoopDisk> {
  const d = await makeLoopDisk({ sizeMiB, label });
  disks.push(d);
  return d;
}

/** This file's images that are still attached to a loop device. */
const strays = () => disks.flatMap((d) => loopDevicesUnder(d.image));

/** The real runner, recording every plan it runs. */
function recorder(): { runner: Runner; plans: CommandPlan[] } {
  const plans: CommandPlan[] = [];
  return { plans, runner: (plan, opts) => (plans.push(plan), run(plan, opts)) };
}

const program = (p: CommandPlan) => p.file.split('/').pop();

async function rejects(p: Promise<unknown>): Promise<PraxisError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, PraxisError, `expected a PraxisError, got ${String(e)}`);
    return e as PraxisError;
  }
  assert.unreachable('expected a PraxisError, the call resolved');
  throw new Error('unreachable');
}

function volumeOf(list: Volume[], disk: LoopDisk): Volume {
  const v = list.find((x) => x.device === disk.device);
  assert.ok(v, `${disk.device} not in list(): ${list.map((x) => x.device).join(', ')}`);
  return v!;
}

test.before(async () => {
  // Made before any disk, so its removal (cleanups run newest first) comes after every unmount.
  mountBase = join(await makeTempDir('praxis-volumes'), 'mnt');
});

test.after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await runCleanups();
  if (!(await waitUntil(async () => strays().length === 0, 5000))) {
    process.stderr.write(`loop devices left attached: ${strays().join(', ')}\n`);
    process.exitCode = 1;
  }
});

test('list(): a fresh labelled ext4 loop disk with label, UUID and type from blkid, size, external', async () => {
  const disk = await loopDisk(48, 'PRAXIS-USB');
  const rec = recorder();
  const volumes = new LinuxVolumes({ mountBase, runner: rec.runner });
  const started = performance.now();
  const v = volumeOf(await volumes.list(), disk);
  const ms = performance.now() - started;
  console.log(`    list(): ${ms.toFixed(0)} ms, ${rec.plans.length} commands`);
  assert.equal(v, {
    id: disk.device,
    label: 'PRAXIS-USB',
    uuid: disk.uuid,
    device: disk.device,
    wholeDisk: disk.device,
    fileSystem: 'ext4',
    mountPoint: null,
    sizeBytes: 48 * 1024 * 1024,
    freeBytes: null,
    external: true,
  });
  // Without udev, lsblk itself knows no label: the answer above really came from blkid.
  const lsblk = await run({ label: 'lsblk', file: 'lsblk', args: ['--json', '--output', 'LABEL,UUID', disk.device] });
  const raw = JSON.parse(lsblk.stdoutTail.join('\n')).blockdevices[0];
  assert.is(raw.label, null, 'lsblk sees the label here: this machine has udev after all, the blkid path is untested');
  assert.ok(rec.plans.some((p) => program(p) === 'blkid' && p.args.join(' ') === `-p -o udev ${disk.device}`), 'blkid was asked for the device');
});

test('list(): a German label with umlaut and space comes through intact', async () => {
  const disk = await loopDisk(16, 'Müller Praxis');
  const v = volumeOf(await new LinuxVolumes({ mountBase }).list(), disk);
  assert.is(v.label, 'Müller Praxis');
});

test('list(): a loop device re-attached to another image shows the new UUID, not blkid\'s cached one', async () => {
  const first = await loopDisk(16, 'PRAXIS-OLD');
  await run({ label: 'blkid (fills the cache)', file: 'blkid', args: [first.device] });
  await first.detach();
  const second = await loopDisk(16, 'PRAXIS-NEW');
  assert.is(second.device, first.device, 'losetup --find reused the device (the case this test is about)');
  const v = volumeOf(await new LinuxVolumes({ mountBase }).list(), second);
  assert.equal([v.label, v.uuid], ['PRAXIS-NEW', second.uuid]);
});

test('find(): by label, by UUID in upper and lower case; unknown → null', async () => {
  const disk = await loopDisk(16, 'PRAXIS-FIND');
  const volumes = new LinuxVolumes({ mountBase });
  assert.is((await volumes.find({ label: 'PRAXIS-FIND' }))?.device, disk.device);
  assert.is((await volumes.find({ uuid: disk.uuid.toUpperCase() }))?.device, disk.device);
  assert.is((await volumes.find({ uuid: disk.uuid.toLowerCase() }))?.device, disk.device);
  assert.is(await volumes.find({ label: 'PRAXIS-NOT-THERE' }), null);
  assert.is(await volumes.find({ uuid: '00000000-0000-4000-8000-000000000000' }), null);
});

test('mount → a real mount point; a file written lands on the disk; unmount → gone, folder removed', async () => {
  const disk = await loopDisk(32, 'PRAXIS-MOUNT');
  const volumes = new LinuxVolumes({ mountBase });
  const v = (await volumes.find({ uuid: disk.uuid }))!;
  const mounted = await volumes.mount(v);
  const expected = join(mountBase, disk.uuid);
  assert.is(mounted.mountPoint, expected);
  assert.equal(mountsOf(disk.device), [expected], 'the kernel has the disk at <mountBase>/<uuid>');
  const options = mountInfo().find((m) => m.target === expected);
  assert.is(options?.fstype, 'ext4');
  assert.ok(mounted.freeBytes! > 0 && mounted.freeBytes! < 32 * 1024 * 1024, `freeBytes ${mounted.freeBytes}`);
  await writeFile(join(expected, 'probe.txt'), 'auf der Platte');

  // Mounting again changes nothing; find() reports the same mount point the guard compares with.
  assert.is((await volumes.mount(v)).mountPoint, expected);
  assert.is(mountsOf(disk.device).length, 1);
  assert.is((await volumes.find({ label: 'PRAXIS-MOUNT' }))?.mountPoint, expected);

  await volumes.unmount(mounted);
  assert.equal(mountsOf(disk.device), []);
  assert.not.ok(existsSync(expected), 'the empty mount-point folder was removed');
  assert.is((await volumes.find({ uuid: disk.uuid }))?.mountPoint, null);

  // The file is on the disk, not in the folder: mount again and read it.
  const again = await volumes.mount(v);
  assert.is(await readFile(join(again.mountPoint!, 'probe.txt'), 'utf8'), 'auf der Platte');
  await volumes.unmount(again);
  assert.equal(mountsOf(disk.device), []);
});

test('a mount base reached through a symlink (like /var/run → /run): same mount point as the table, folder removed', async () => {
  // The folders first: cleanups run newest first, so the disk is unmounted before they go.
  const real = join(await makeTempDir('praxis-volumes-real'), 'volumes');
  await mkdir(real);
  const link = join(await makeTempDir('praxis-volumes-link'), 'run');
  await symlink(dirname(real), link);
  const disk = await loopDisk(16, 'PRAXIS-LINK');
  const volumes = new LinuxVolumes({ mountBase: join(link, 'volumes') });
  const m = await volumes.mount((await volumes.find({ uuid: disk.uuid }))!);
  assert.is(m.mountPoint, join(real, disk.uuid));
  assert.equal(mountsOf(disk.device), [join(real, disk.uuid)]);
  assert.is((await volumes.find({ label: 'PRAXIS-LINK' }))?.mountPoint, m.mountPoint);
  await volumes.unmount(m);
  assert.equal(readdirSync(real), [], 'the mount-point folder was removed');
});

test('two disks with the same label → error.volumeAmbiguous naming both; their UUIDs still work', async () => {
  const a = await loopDisk(16, 'PRAXIS-TWIN');
  const b = await loopDisk(16, 'PRAXIS-TWIN');
  const volumes = new LinuxVolumes({ mountBase });
  const err = await rejects(volumes.find({ label: 'PRAXIS-TWIN' }));
  assert.is(err.message_.key, 'error.volumeAmbiguous');
  const text = render('de', err.message_);
  assert.ok(text.includes(a.device) && text.includes(b.device), text);
  assert.ok(text.includes('UUID'), text);
  assert.is((await volumes.find({ uuid: b.uuid }))?.device, b.device);
});

test('busy unmount: retried once after a pause, then error.ejectRefused naming the process; still mounted', async () => {
  const disk = await loopDisk(16, 'PRAXIS-BUSY');
  const rec = recorder();
  const pauses: number[] = [];
  const volumes = new LinuxVolumes({ mountBase, runner: rec.runner, retryPauseMs: 1234, sleep: async (ms) => void pauses.push(ms) });
  const v = await volumes.mount((await volumes.find({ uuid: disk.uuid }))!);
  const child = spawn('sleep', ['30'], { cwd: v.mountPoint!, stdio: 'ignore' });
  children.push(child);
  await waitUntil(async () => existsSync(`/proc/${child.pid}/cwd`), 2000);

  rec.plans.length = 0;
  const err = await rejects(volumes.unmount(v));
  assert.is(err.message_.key, 'error.ejectRefused');
  const de = render('de', err.message_);
  assert.ok(de.includes('NICHT abziehen'), de);
  assert.ok(de.includes(`sleep (PID ${child.pid})`), de);
  assert.ok(de.includes('PRAXIS-BUSY'), de);
  assert.ok(render('en', err.message_).includes('do NOT unplug'));
  assert.equal(pauses, [1234], 'one pause before the one retry');
  assert.is(rec.plans.filter((p) => program(p) === 'umount').length, 2, 'umount tried exactly twice');
  assert.equal(mountsOf(disk.device), [v.mountPoint!], 'the disk is still mounted');
  assert.ok(existsSync(join(v.mountPoint!, 'lost+found')), 'the folder still shows the disk');

  child.kill('SIGTERM');
  assert.ok(await waitForExit(child.pid!, 5000));
  await volumes.unmount(v);
  assert.equal(mountsOf(disk.device), []);
});

test('eject: an unmounted disk is fine; a mounted one is unmounted, folder removed; loop devices stay attached', async () => {
  const disk = await loopDisk(16, 'PRAXIS-EJECT');
  const volumes = new LinuxVolumes({ mountBase, udisksctl: null });
  const v = (await volumes.find({ uuid: disk.uuid }))!;
  assert.equal(await volumes.eject(v), { poweredOff: false });
  const m = await volumes.mount(v);
  assert.equal(await volumes.eject(m), { poweredOff: false });
  assert.equal(mountsOf(disk.device), []);
  assert.not.ok(existsSync(m.mountPoint!));
  assert.equal(loopDevicesUnder(disk.image), [disk.device], 'the test still owns its loop device');
});

test('mount as non-root without udisksctl → error.volumeMountDenied saying what to do', async () => {
  const disk = await loopDisk(16, 'PRAXIS-USER');
  const volumes = new LinuxVolumes({ mountBase, isRoot: false, udisksctl: null });
  const err = await rejects(volumes.mount((await volumes.find({ uuid: disk.uuid }))!));
  assert.is(err.message_.key, 'error.volumeMountDenied');
  assert.ok(render('de', err.message_).includes('udisks2'));
  assert.equal(mountsOf(disk.device), []);
});

// ---------------------------------------------------------------- udisksctl, by argv

// lsblk 2.38 output in the shape measured on this machine (keys, JSON types), for a USB stick
// /dev/sdb with one partition — no USB disk can exist here, so this one is written by hand.
const LSBLK_USB = JSON.stringify({
  blockdevices: [
    { name: 'sdb', kname: 'sdb', path: '/dev/sdb', pkname: null, type: 'disk', size: 32015679488, label: null, uuid: null, fstype: null, 'maj:min': '8:16', rm: true, hotplug: true, ro: false, tran: 'usb' },
    { name: 'sdb1', kname: 'sdb1', path: '/dev/sdb1', pkname: 'sdb', type: 'part', size: 32014630912, label: 'PRAXIS', uuid: '2f1c4b8e-5a0d-4c1e-9d7a-3b6f0e2a9c41', fstype: 'ext4', 'maj:min': '8:17', rm: true, hotplug: true, ro: false, tran: null },
  ],
});

/** A fake udisks world: records argv, answers lsblk/findmnt/udisksctl like the real tools. */
function fakeUdisks(mountedLine: string, target: string) {
  const argv: string[][] = [];
  let mountedAt: string | null = null;
  const runner: Runner = async (plan, opts) => {
    argv.push([plan.file, ...plan.args]);
    const out = (lines: string[]): RunResult => {
      for (const l of lines) opts?.onStdoutLine?.(l);
      return { exitCode: 0, warning: false, stdoutTail: lines, stderrTail: [], durationMs: 1 };
    };
    const tool = plan.file.split('/').pop();
    if (tool === 'lsblk') return out(LSBLK_USB.split('\n'));
    if (tool === 'findmnt') {
      const fs = mountedAt ? [{ source: '/dev/sdb1', target: mountedAt, fstype: 'ext4', 'maj:min': '8:17', fsroot: '/' }] : [];
      return out([JSON.stringify({ filesystems: fs })]);
    }
    if (tool === 'udisksctl' && plan.args[0] === 'mount') {
      mountedAt = target;
      return out([mountedLine]);
    }
    if (tool === 'udisksctl' && plan.args[0] === 'unmount') {
      mountedAt = null;
      return out(['Unmounted /dev/sdb1.']);
    }
    if (tool === 'udisksctl' && plan.args[0] === 'power-off') return out([]);
    throw new Error(`unexpected command ${plan.file} ${plan.args.join(' ')}`);
  };
  return { argv, runner, calls: (tool: string) => argv.filter((a) => a[0]!.endsWith(`/${tool}`) || a[0] === tool) };
}

// udisksctl prints "Mounted %s at %s.\n" before udisks 2.9.0 and "Mounted %s at %s\n" since
// (storaged-project/udisks, tools/udisksctl.c, commit 6842123 "remove dot (.) for easier
// selecting the mounted folder", 2019-09-27, first in udisks-2.9.0).
const UDISKS_CASES = [
  { line: 'Mounted /dev/sdb1 at /media/anna/PRAXIS.', target: '/media/anna/PRAXIS', udisks: 'before 2.9.0' },
  { line: 'Mounted /dev/sdb1 at /media/anna/PRAXIS', target: '/media/anna/PRAXIS', udisks: '2.9.0 and later' },
  { line: 'Mounted /dev/sdb1 at /media/anna/PRAXIS.', target: '/media/anna/PRAXIS.', udisks: '2.9.0 and later, label "PRAXIS."' },
];
for (const { line, target, udisks } of UDISKS_CASES) {
  test(`udisksctl (non-root, udisks ${udisks}): mount, unmount, power-off argv; "${line}" → ${target}`, async () => {
    const fake = fakeUdisks(line, target);
    const volumes = new LinuxVolumes({ mountBase: '/unused', runner: fake.runner, isRoot: false, udisksctl: '/usr/bin/udisksctl' });
    const [v] = await volumes.list();
    assert.equal(
      { device: v?.device, wholeDisk: v?.wholeDisk, external: v?.external, label: v?.label },
      { device: '/dev/sdb1', wholeDisk: '/dev/sdb', external: true, label: 'PRAXIS' },
    );
    const mounted = await volumes.mount(v!);
    assert.is(mounted.mountPoint, target, 'the mount table decides between the two readings');
    assert.equal(fake.calls('udisksctl'), [['/usr/bin/udisksctl', 'mount', '-b', '/dev/sdb1', '--no-user-interaction']]);
    assert.not.ok(fake.argv.some((a) => a[0]!.endsWith('/mount') || a[0] === 'mount'), 'no mount(8) as non-root');

    assert.equal(await volumes.eject(mounted), { poweredOff: true });
    assert.equal(fake.calls('udisksctl').slice(1), [
      ['/usr/bin/udisksctl', 'unmount', '-b', '/dev/sdb1', '--no-user-interaction'],
      ['/usr/bin/udisksctl', 'power-off', '-b', '/dev/sdb', '--no-user-interaction'],
    ]);
  });
}

test('parseUdisksMounted: a label that itself ends in "." keeps both readings for the mount table to decide', () => {
  assert.equal(parseUdisksMounted('Mounted /dev/sdb1 at /media/anna/PRAXIS.'), ['/media/anna/PRAXIS', '/media/anna/PRAXIS.']);
  assert.equal(parseUdisksMounted('Mounted /dev/sdb1 at /media/anna/Praxis Backup'), ['/media/anna/Praxis Backup']);
  assert.equal(parseUdisksMounted('Error mounting /dev/sdb1: GDBus.Error'), []);
});

test('catalogue: the refusal text says NICHT ausgeworfen and NICHT abziehen', () => {
  const text = t('de', 'error.ejectRefused', { label: 'X', process: 'mds (PID 1)' });
  assert.ok(text.includes('NICHT ausgeworfen') && text.includes('NICHT abziehen') && text.includes('mds (PID 1)'), text);
});

test('nothing left behind: no loop device, no mount, no mount-point folder', async () => {
  assert.ok(disks.length >= 8, `${disks.length} disks made`);
  for (const c of children) c.kill('SIGKILL');
  await runCleanups();
  // A loop device may still show for a moment after losetup -d returns.
  assert.ok(await waitUntil(async () => strays().length === 0, 5000), `still attached: ${strays().join(', ')}`);
  assert.equal(mountInfo().filter((m) => m.target.startsWith(mountBase) || disks.some((d) => m.source === d.device)), []);
  assert.not.ok(existsSync(mountBase), 'the mount base went with its temp dir');
});

test.run();

// The macOS Volumes adapter (DiskutilVolumes) without a Mac: every diskutil call goes through an
// injected runner that (1) records the exact argv and (2) answers ONLY with recorded outputs of
// real Macs — the plists in test/fixtures/macos and the text lines quoted in DISKUTIL-MESSAGES.md
// (each checked to occur there verbatim). The answer is replayed through the REAL process runner
// (/bin/sh printing the recorded bytes and exiting with the code), so line splitting, the 60-line
// tail and exit-code handling are the runner's own. A call without a recording fails like a
// program that could not be started; nothing is made up.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDiskutilInfo, parseDiskutilList, toVolume } from '../../src/diskutil/diskutil-plist';
import { DiskutilVolumes, diskutilPlans, type Runner } from '../../src/diskutil/diskutil-volumes';
import type { Volume } from '../../src/core/volumes';
import { render, t } from '../../src/i18n';
import { CommandError, run, type CommandPlan } from '../../src/process/runner';
import { PraxisError } from '../../src/core/errors';

const test = suite('DiskutilVolumes');

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'macos');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const MESSAGES = fixture('DISKUTIL-MESSAGES.md');

/** A line quoted in DISKUTIL-MESSAGES.md, checked to be there verbatim. */
function recorded(line: string): string {
  if (!MESSAGES.includes(line)) throw new Error(`not in DISKUTIL-MESSAGES.md: ${line}`);
  return line;
}

const D = '/usr/sbin/diskutil';

interface Reply {
  /** A recorded plist from the fixtures, printed on stdout. */
  plist?: string;
  stdout?: string[];
  stderr?: string[];
  exit?: number;
}

/** The fake runner: replies per `args.join(' ')`; an array is used up one reply per call. */
function recordedDiskutil(replies: Record<string, Reply | Reply[]>) {
  const calls: string[][] = [];
  const sleeps: number[] = [];
  const fake: Runner = async (plan: CommandPlan, opts) => {
    calls.push([plan.file, ...plan.args]);
    const key = plan.args.join(' ');
    const entry = replies[key];
    const reply = Array.isArray(entry) ? entry.shift() : entry;
    if (!reply) {
      throw new CommandError(plan.label, [plan.file, ...plan.args], undefined, undefined, [], [], 'spawn', new Error(`no recording for diskutil ${key}`));
    }
    const out = (reply.plist ? fixture(reply.plist) : '') + (reply.stdout ?? []).map((l) => `${l}\n`).join('');
    const err = (reply.stderr ?? []).map((l) => `${l}\n`).join('');
    return run(
      { ...plan, file: '/bin/sh', args: ['-c', 'printf "%s" "$1"; printf "%s" "$2" >&2; exit "$3"', 'sh', out, err, String(reply.exit ?? 0)] },
      opts,
    );
  };
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  return { fake, calls, sleeps, volumes: new DiskutilVolumes(fake, { sleep, retryDelayMs: 3000 }) };
}

async function rejects(p: Promise<unknown>): Promise<PraxisError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PraxisError) return e;
    throw new Error(`expected a PraxisError, got ${String(e)}`);
  }
  throw new Error('expected a PraxisError, the call resolved');
}

const de = (e: PraxisError) => render('de', e.message_);
const en = (e: PraxisError) => render('en', e.message_);

/** The stick of the hst-imager recordings, as list + info describe it. */
function stick(): Volume {
  const l = parseDiskutilList(fixture('hstimager-diskutil-external-usb-stick.plist'));
  const i = parseDiskutilInfo(fixture('hstimager-diskutil-info-disk2-usb-stick.plist'));
  if (!l.ok || !i.ok) throw new Error('fixtures');
  return toVolume(l.value.volumes[0]!, i.value);
}

// ---- plans ---------------------------------------------------------------------------------------

test('plans: exact argv of list, info, mount, unmount, eject (absolute /usr/sbin/diskutil)', () => {
  const p = diskutilPlans();
  const argv = (plan: CommandPlan) => [plan.file, ...plan.args];
  assert.equal(argv(p.list()), [D, 'list', '-plist']);
  assert.equal(argv(p.info('disk2')), [D, 'info', '-plist', 'disk2']);
  assert.equal(argv(p.mount('disk4s1')), [D, 'mount', 'disk4s1']);
  assert.equal(argv(p.unmount('disk4s1')), [D, 'unmount', 'disk4s1']);
  assert.equal(argv(p.eject('disk6')), [D, 'eject', 'disk6']);
  // -plist calls accept exit 1: diskutil then prints its error as a plist on stdout.
  assert.equal(p.list().okExitCodes, [0, 1]);
  assert.equal(p.info('x').okExitCodes, [0, 1]);
  assert.is(p.eject('disk6').okExitCodes, undefined);
});

// ---- list / find ---------------------------------------------------------------------------------

test('list: list -plist, then info -plist per volume; the stick gets UUID, file system, free space, external', async () => {
  const r = recordedDiskutil({
    'list -plist': { plist: 'hstimager-diskutil-external-usb-stick.plist' },
    'info -plist disk2': { plist: 'hstimager-diskutil-info-disk2-usb-stick.plist' },
  });
  const vs = await r.volumes.list();
  assert.equal(r.calls, [
    [D, 'list', '-plist'],
    [D, 'info', '-plist', 'disk2'],
  ]);
  assert.equal(vs, [
    {
      id: 'disk2',
      label: 'NO NAME',
      uuid: '82533DEE-A3AC-3770-BB9B-9298931A927B',
      device: '/dev/disk2',
      wholeDisk: 'disk2',
      fileSystem: 'msdos',
      mountPoint: '/Volumes/NO NAME',
      sizeBytes: 15665463296,
      freeBytes: 15662678016,
      external: true,
      encrypted: null,
    },
  ]);
  assert.is(r.volumes.kind, 'diskutil');
});

test('list (all disks, 245 plist lines > the runner’s 60-line tail): every volume, details where info answered', async () => {
  const r = recordedDiskutil({
    'list -plist': { plist: 'hstimager-diskutil-all-usb-stick.plist' },
    'info -plist disk2': { plist: 'hstimager-diskutil-info-disk2-usb-stick.plist' },
  });
  const vs = await r.volumes.list();
  const ids = ['disk1s1', 'disk1s2', 'disk1s3', 'disk1s4', 'disk1s5', 'disk1s5s1', 'disk1s6', 'disk2'];
  assert.equal(vs.map((v) => v.id), ids);
  assert.equal(r.calls, [[D, 'list', '-plist'], ...ids.map((id) => [D, 'info', '-plist', id])]);
  // No recording for the APFS volumes' info: they stay listed from the list alone.
  const data = vs[0]!;
  assert.equal([data.label, data.uuid, data.mountPoint, data.wholeDisk, data.fileSystem, data.freeBytes], [
    'macOS – data',
    '517F6CD4-A167-4190-9A8B-633E1EB24645',
    '/System/Volumes/Data',
    'disk0',
    null,
    null,
  ]);
  const usb = vs[7]!;
  assert.equal([usb.fileSystem, usb.external, usb.uuid], ['msdos', true, '82533DEE-A3AC-3770-BB9B-9298931A927B']);
});

test('find: by UUID case-insensitively (the UUID comes from info only), by exact label, or null', async () => {
  const replies = () => ({
    'list -plist': { plist: 'hstimager-diskutil-external-usb-stick.plist' },
    'info -plist disk2': { plist: 'hstimager-diskutil-info-disk2-usb-stick.plist' },
  });
  const a = recordedDiskutil(replies());
  assert.is((await a.volumes.find({ uuid: '82533dee-a3ac-3770-bb9b-9298931a927b' }))?.id, 'disk2');
  const b = recordedDiskutil(replies());
  assert.is((await b.volumes.find({ label: 'NO NAME' }))?.mountPoint, '/Volumes/NO NAME');
  const c = recordedDiskutil(replies());
  assert.is(await c.volumes.find({ label: 'no name' }), null); // labels are compared exactly
  const d = recordedDiskutil(replies());
  assert.is(await d.volumes.find({ uuid: '82533DEE-A3AC-3770-BB9B-000000000000' }), null);
});

test('find: two volumes with the same label → error.volumeAmbiguous listing both with their UUIDs', async () => {
  // The recorded Mac has "macOS" twice: the system volume and its mounted sealed snapshot.
  const r = recordedDiskutil({ 'list -plist': { plist: 'hstimager-diskutil-all-usb-stick.plist' } });
  const e = await rejects(r.volumes.find({ label: 'macOS' }));
  assert.is(e.message_.key, 'error.volumeAmbiguous');
  assert.equal(e.message_.params, {
    ref: '„macOS“',
    devices: '/dev/disk1s5 (UUID 448C3194-12B4-443F-922F-B74C42ECC2BF), /dev/disk1s5s1 (UUID C4D08019-3485-4F46-870E-B2BF9EE08B26, /)',
  });
  assert.match(de(e), 'UUID');
  assert.match(de(e), 'Konfiguration');
  assert.match(en(e), 'UUID');
});

test('info of a path on a network share: the recorded error plist (exit 1) → error.diskutil with its message', async () => {
  const r = recordedDiskutil({ 'info -plist /Volumes/SMB': { plist: 'crystal-diskutil-info-error-smb-path.plist', exit: 1 } });
  const e = await rejects(r.volumes.info('/Volumes/SMB'));
  assert.equal(r.calls, [[D, 'info', '-plist', '/Volumes/SMB']]);
  assert.is(e.message_.key, 'error.diskutil');
  assert.equal(e.message_.params, { command: 'info -plist /Volumes/SMB', message: 'Could not find disk: /Volumes/SMB' });
  assert.match(de(e), 'Could not find disk: /Volumes/SMB');
});

// ---- mount ---------------------------------------------------------------------------------------

test('mount: `diskutil mount <id>`, then info for the mount point and free space', async () => {
  // The volume before mounting (test input, not diskutil output): the recorded stick, unmounted.
  const before: Volume = { ...stick(), mountPoint: null, freeBytes: null };
  const r = recordedDiskutil({
    // Recorded success line of another disk (DISKUTIL-MESSAGES.md); its text is only logged.
    'mount disk2': { stdout: [recorded('Volume Data1 on /dev/disk2s6 mounted')] },
    'info -plist disk2': { plist: 'hstimager-diskutil-info-disk2-usb-stick.plist' },
  });
  const after = await r.volumes.mount(before);
  assert.equal(r.calls, [
    [D, 'mount', 'disk2'],
    [D, 'info', '-plist', 'disk2'],
  ]);
  assert.is(after.mountPoint, '/Volumes/NO NAME');
  assert.is(after.freeBytes, 15662678016);
  assert.is(after.wholeDisk, 'disk2');
});

test('mount: an already mounted volume is returned without calling diskutil', async () => {
  const r = recordedDiskutil({});
  const v = stick();
  assert.is(await r.volumes.mount(v), v);
  assert.equal(r.calls, []);
});

test('mount refused ("Volume on disk1s7 failed to mount", exit 1) → error.volumeMount with diskutil’s words', async () => {
  const v: Volume = { ...stick(), id: 'disk1s7', device: '/dev/disk1s7', label: 'Praxis', mountPoint: null };
  const r = recordedDiskutil({ 'mount disk1s7': { stderr: [recorded('Volume on disk1s7 failed to mount')], exit: 1 } });
  const e = await rejects(r.volumes.mount(v));
  assert.is(e.message_.key, 'error.volumeMount');
  assert.equal(e.message_.params, { label: 'Praxis', device: '/dev/disk1s7', reason: 'Volume on disk1s7 failed to mount' });
  assert.equal(r.calls, [[D, 'mount', 'disk1s7']]);
});

// ---- eject / unmount -----------------------------------------------------------------------------

test('eject: `diskutil eject <whole disk>` → poweredOff, no retry', async () => {
  const r = recordedDiskutil({ 'eject disk2': { stdout: [recorded('Disk /dev/disk2 ejected')] } });
  assert.equal(await r.volumes.eject(stick()), { poweredOff: true });
  assert.equal(r.calls, [[D, 'eject', 'disk2']]);
  assert.equal(r.sleeps, []);
});

test('eject dissented by Spotlight twice: one retry after the pause, then „NICHT abziehen“ naming mds_stores', async () => {
  // DISKUTIL-MESSAGES.md quotes this dissent with its prefix elided ("..."); used verbatim.
  const dissent = { stderr: [recorded('... dissented by PID 556 (mds_stores)')], exit: 1 };
  const r = recordedDiskutil({ 'eject disk2': [dissent, { ...dissent }] });
  const e = await rejects(r.volumes.eject(stick()));
  assert.equal(r.calls, [
    [D, 'eject', 'disk2'],
    [D, 'eject', 'disk2'],
  ]);
  assert.equal(r.sleeps, [3000]);
  assert.is(e.message_.key, 'error.ejectRefused');
  const text = de(e);
  assert.match(text, '„NO NAME“ wurde NICHT ausgeworfen – bitte NICHT abziehen. Blockiert durch mds_stores (PID 556)');
  assert.match(text, 'Spotlight');
  assert.match(en(e), '"NO NAME" was NOT ejected – do NOT unplug it. Blocked by mds_stores (PID 556)');
  assert.equal(e.toolOutput, ['... dissented by PID 556 (mds_stores)']);
});

test('eject dissented once, then ejected: resolves after one pause', async () => {
  const r = recordedDiskutil({
    'eject disk2': [
      { stderr: [recorded('... dissented by PID 556 (mds_stores)')], exit: 1 },
      { stdout: [recorded('Disk /dev/disk2 ejected')] },
    ],
  });
  assert.equal(await r.volumes.eject(stick()), { poweredOff: true });
  assert.is(r.calls.length, 2);
  assert.equal(r.sleeps, [3000]);
});

test('eject of an APFS volume acts on the physical disk; the dissenter is the process, not its parent shell', async () => {
  const l = parseDiskutilList(fixture('macrufus-diskutil-list-external.plist'));
  if (!l.ok) throw new Error('fixture');
  const datahd = toVolume(l.value.volumes.find((v) => v.id === 'disk7s1')!, null);
  const block = {
    stderr: [
      recorded('Unmount of disk7 failed: at least one volume could not be unmounted'),
      recorded('Unmount was dissented by PID 47781 (/usr/bin/tail)'),
      recorded('Dissenter parent PPID 47778 (/bin/zsh)'),
    ],
    exit: 1,
  };
  const r = recordedDiskutil({ 'eject disk6': [block, { ...block }] });
  const e = await rejects(r.volumes.eject(datahd));
  assert.equal(r.calls, [
    [D, 'eject', 'disk6'],
    [D, 'eject', 'disk6'],
  ]);
  assert.is(t('de', 'volume.blocker.process', { process: '/usr/bin/tail', pid: 47781 }), '/usr/bin/tail (PID 47781)');
  assert.match(de(e), '„datahd“ wurde NICHT ausgeworfen – bitte NICHT abziehen. Blockiert durch /usr/bin/tail (PID 47781).');
  assert.not.match(de(e), '47778');
  assert.not.match(de(e), 'Spotlight');
});

test('eject busy without a named blocker ("Volume failed to eject") twice → NICHT abziehen, „ein anderes Programm“', async () => {
  const busy = { stderr: [recorded('Volume failed to eject')], exit: 1 };
  const r = recordedDiskutil({ 'eject disk2': [busy, { ...busy }] });
  const e = await rejects(r.volumes.eject(stick()));
  assert.is(r.calls.length, 2);
  assert.is(e.message_.key, 'error.ejectRefused');
  assert.match(de(e), 'bitte NICHT abziehen. Blockiert durch ein anderes Programm.');
});

test('eject failing for another reason: no retry, error.volumeUnmount still says NICHT abziehen', async () => {
  const r = recordedDiskutil({ 'eject disk2': { stderr: [recorded('Could not find disk: disk9')], exit: 1 } });
  const e = await rejects(r.volumes.eject(stick()));
  assert.equal(r.calls, [[D, 'eject', 'disk2']]);
  assert.equal(r.sleeps, []);
  assert.is(e.message_.key, 'error.volumeUnmount');
  assert.match(de(e), 'NICHT abziehen');
  assert.match(de(e), 'Could not find disk: disk9');
});

test('unmount: `diskutil unmount <id>`; "was already unmounted" counts as done, whatever the exit code', async () => {
  const l = parseDiskutilList(fixture('macrufus-diskutil-list-external.plist'));
  if (!l.ok) throw new Error('fixture');
  const ntfs = toVolume(l.value.volumes.find((v) => v.id === 'disk4s1')!, null);
  // The recorded line carries no exit code; both are accepted.
  for (const exit of [0, 1]) {
    const r = recordedDiskutil({ 'unmount disk4s1': { stdout: [recorded('disk4s1 was already unmounted')], exit } });
    await r.volumes.unmount(ntfs);
    assert.equal(r.calls, [[D, 'unmount', 'disk4s1']]);
    assert.equal(r.sleeps, []);
  }
});

test('unmount dissented by loginwindow twice → error.ejectRefused naming it', async () => {
  const v: Volume = { ...stick(), label: 'PRAXIS-BACKUP' };
  const line = recorded('Unmount failed for /Volumes/...: dissented by PID 190 (loginwindow)');
  const r = recordedDiskutil({ 'unmount disk2': [{ stderr: [line], exit: 1 }, { stderr: [line], exit: 1 }] });
  const e = await rejects(r.volumes.unmount(v));
  assert.equal(r.calls, [
    [D, 'unmount', 'disk2'],
    [D, 'unmount', 'disk2'],
  ]);
  assert.match(de(e), '„PRAXIS-BACKUP“ wurde NICHT ausgeworfen – bitte NICHT abziehen. Blockiert durch loginwindow (PID 190).');
});

test('a diskutil that cannot be started is an error.volumeUnmount, not a crash', async () => {
  const vols = new DiskutilVolumes(run, { diskutil: '/nonexistent/diskutil', sleep: async () => {} });
  const e = await rejects(vols.eject(stick()));
  assert.is(e.message_.key, 'error.volumeUnmount');
  const l = await rejects(vols.list());
  assert.is(l.message_.key, 'error.diskutil');
});

test.run();

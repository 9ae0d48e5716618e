// The diskutil parsers against the recorded outputs of real Macs (test/fixtures/macos, provenance
// in SOURCES.md there). Every plist in that folder is parsed here; the refused-eject texts are the
// lines quoted in DISKUTIL-MESSAGES.md, and each one is checked to occur there verbatim.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isExternal,
  isSpotlight,
  parseDiskutilInfo,
  parseDiskutilList,
  parseDiskutilRefusal,
  parsePlistDict,
  toVolume,
  wholeDiskOf,
  withInfo,
  type DiskInfo,
  type DiskutilList,
  type ListedVolume,
} from '../../src/diskutil/diskutil-plist';
import { t } from '../../src/i18n';
import { PraxisError } from '../../src/core/errors';

const test = suite('diskutil plist parsers');

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'macos');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const MESSAGES = fixture('DISKUTIL-MESSAGES.md');

/** A line quoted in DISKUTIL-MESSAGES.md, checked to be there verbatim (so nothing here is invented). */
function recorded(line: string): string {
  assert.ok(MESSAGES.includes(line), `not in DISKUTIL-MESSAGES.md: ${line}`);
  return line;
}

function list(name: string): DiskutilList {
  const r = parseDiskutilList(fixture(name));
  if (!r.ok) throw new Error(`${name}: error plist ${r.error.message}`);
  return r.value;
}

function info(name: string): DiskInfo {
  const r = parseDiskutilInfo(fixture(name));
  if (!r.ok) throw new Error(`${name}: error plist ${r.error.message}`);
  return r.value;
}

const byId = (vs: ListedVolume[], id: string) => {
  const v = vs.find((x) => x.id === id);
  assert.ok(v, `no volume ${id} in ${vs.map((x) => x.id).join(', ')}`);
  return v!;
};

/** Thrown PraxisError or fail. */
function praxisErrorOf(fn: () => unknown): PraxisError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, PraxisError);
    return e as PraxisError;
  }
  assert.unreachable('expected a PraxisError');
  throw new Error('unreachable');
}

// ---- every recorded plist ------------------------------------------------------------------------

test('every recorded plist in the fixtures parses with the parser for its command', () => {
  const plists = readdirSync(FIXTURES).filter((f) => f.endsWith('.plist')).sort();
  assert.is(plists.length, 19, plists.join(', ')); // a new fixture must get its own test below
  for (const f of plists) {
    const isList = /diskutil-(list|all|external)[-.]/.test(f);
    const r = isList ? parseDiskutilList(fixture(f)) : parseDiskutilInfo(fixture(f));
    assert.is(r.ok, !f.includes('error'), f);
  }
});

// ---- list -plist ---------------------------------------------------------------------------------

test('list (all disks, USB stick): APFS volumes of the container, EFI and the physical store left out', () => {
  const l = list('hstimager-diskutil-all-usb-stick.plist');
  assert.equal(l.wholeDisks, ['disk0', 'disk1', 'disk2']);
  assert.equal(
    l.volumes.map((v) => v.id),
    ['disk1s1', 'disk1s2', 'disk1s3', 'disk1s4', 'disk1s5', 'disk1s5s1', 'disk1s6', 'disk2'],
  );
  const data = byId(l.volumes, 'disk1s1');
  assert.equal(data, {
    id: 'disk1s1',
    label: 'macOS – data',
    uuid: '517F6CD4-A167-4190-9A8B-633E1EB24645',
    mountPoint: '/System/Volumes/Data',
    sizeBytes: 511900434432,
    wholeDisk: 'disk0', // the container disk1 lives on disk0s2: eject would act on disk0
    apfsContainer: 'disk1',
    content: null,
  });
  // The sealed system snapshot is what is mounted at /; its volume disk1s5 is not mounted itself.
  assert.is(byId(l.volumes, 'disk1s5s1').mountPoint, '/');
  assert.is(byId(l.volumes, 'disk1s5').mountPoint, null);
  assert.is(byId(l.volumes, 'disk1s3').mountPoint, null); // Recovery
});

test('list: a stick without a partition map is one volume carried by the whole-disk entry', () => {
  const all = list('hstimager-diskutil-all-usb-stick.plist');
  const ext = list('hstimager-diskutil-external-usb-stick.plist');
  const expected: ListedVolume = {
    id: 'disk2',
    label: 'NO NAME',
    uuid: null, // list has no VolumeUUID for it; info has (see below)
    mountPoint: '/Volumes/NO NAME',
    sizeBytes: 15682240512,
    wholeDisk: 'disk2',
    apfsContainer: null,
    content: '',
  };
  assert.equal(byId(all.volumes, 'disk2'), expected);
  assert.equal(ext.volumes, [expected]);
  assert.equal(ext.wholeDisks, ['disk2']);
});

test('list: FDisk USB disks with a FAT partition (hst-imager IDE adapter, all and external; hstwb stick)', () => {
  const pc: ListedVolume = {
    id: 'disk2s1',
    label: 'PC',
    uuid: 'FEC77A02-D655-3A85-AD87-07E108AB01B3',
    mountPoint: '/Volumes/PC',
    sizeBytes: 12623921664,
    wholeDisk: 'disk2',
    apfsContainer: null,
    content: 'DOS_FAT_32',
  };
  assert.equal(list('hstimager-diskutil-external-usb-ide-adapter.plist').volumes, [pc]);
  const all = list('hstimager-diskutil-all-usb-ide-adapter.plist');
  assert.equal(byId(all.volumes, 'disk2s1'), pc);
  assert.is(all.volumes.length, 8); // 7 APFS volumes + PC

  assert.equal(list('hstwb-diskutil-list.plist').volumes, [
    {
      id: 'disk2s1',
      label: 'NO NAME',
      uuid: '005F492E-58BF-3EA6-8A0D-058C879652CB',
      mountPoint: '/Volumes/NO NAME',
      sizeBytes: 15682224128,
      wholeDisk: 'disk2',
      apfsContainer: null,
      content: 'Windows_FAT_32',
    },
  ]);
});

test('list: a partition scheme without a Partitions array (hand-edited hstwb file) yields no invented volume', () => {
  const l = list('hstwb-diskutil-list-no-partitions.plist');
  assert.equal(l.volumes, []);
  assert.equal(l.wholeDisks, ['disk2']);
});

test('list external (macrufus): synthesized APFS container → its volume ejects via the physical NVMe disk', () => {
  const l = list('macrufus-diskutil-list-external.plist');
  assert.equal(l.wholeDisks, ['disk4', 'disk6', 'disk7']);
  assert.equal(l.volumes.map((v) => v.id), ['disk4s1', 'disk7s1']); // disk6s1 EFI, disk6s2 store: not volumes
  assert.equal(byId(l.volumes, 'disk7s1'), {
    id: 'disk7s1',
    label: 'datahd',
    uuid: 'FBF89EA5-B8AB-422D-A480-5DE42582A76A',
    mountPoint: '/Volumes/datahd',
    sizeBytes: 4000577273856,
    wholeDisk: 'disk6',
    apfsContainer: 'disk7',
    content: null,
  });
  // An unmounted NTFS partition without a name is still listed, with nothing known about it.
  assert.equal(byId(l.volumes, 'disk4s1'), {
    id: 'disk4s1',
    label: null,
    uuid: null,
    mountPoint: null,
    sizeBytes: 16123953152,
    wholeDisk: 'disk4',
    apfsContainer: null,
    content: 'Windows_NTFS',
  });

  const short = list('macrufus-diskutil-list-external-short.plist');
  assert.equal(short.volumes.map((v) => [v.id, v.wholeDisk, v.apfsContainer, v.label]), [['disk5s1', 'disk4', 'disk5', 'datahd']]);
});

test('wholeDiskOf strips partition and snapshot suffixes', () => {
  assert.is(wholeDiskOf('disk6s2'), 'disk6');
  assert.is(wholeDiskOf('disk1s5s1'), 'disk1');
  assert.is(wholeDiskOf('disk12'), 'disk12');
});

// ---- info -plist ---------------------------------------------------------------------------------

test('info: USB stick (whole disk = FAT32 volume) → label, UUID, msdos, free space, external', () => {
  const i = info('hstimager-diskutil-info-disk2-usb-stick.plist');
  assert.equal(
    { id: i.id, device: i.device, whole: i.isWholeDisk, parent: i.parentWholeDisk, label: i.label, uuid: i.uuid, fs: i.fileSystem, mp: i.mountPoint },
    { id: 'disk2', device: '/dev/disk2', whole: true, parent: 'disk2', label: 'NO NAME', uuid: '82533DEE-A3AC-3770-BB9B-9298931A927B', fs: 'msdos', mp: '/Volumes/NO NAME' },
  );
  assert.is(i.sizeBytes, 15665463296); // TotalSize of the volume, not the 15682240512 of the device
  assert.is(i.freeBytes, 15662678016);
  assert.equal([i.internal, i.removable, i.removableMediaOrExternalDevice, i.external, i.busProtocol], [false, true, true, true, 'USB']);
});

test('info: external NVMe (macrufus disk6) has Removable false and is external all the same', () => {
  const i = info('macrufus-diskutil-info-external-nvme-wholedisk-disk6.plist');
  assert.is(i.removable, false);
  assert.is(i.internal, false);
  assert.is(i.removableMediaOrExternalDevice, true);
  assert.is(i.busProtocol, 'PCI-Express');
  assert.is(i.external, true);
  assert.is(i.mountPoint, null);
  assert.is(i.freeBytes, null); // not mounted: no free space, not the FreeSpace 0 it reports
  assert.is(i.sizeBytes, 4000787030016);
});

test('info: USB SATA adapter whole disk (Removable false, RemovableMediaOrExternalDevice true) is external', () => {
  const i = info('hstimager-diskutil-info-disk2-usb-ide-adapter.plist');
  assert.equal([i.removable, i.removableMediaOrExternalDevice, i.external, i.mountPoint, i.label], [false, true, true, null, null]);
  const wb = info('hstwb-diskutil-info-disk.plist');
  assert.equal([wb.id, wb.internal, wb.external, wb.ejectable], ['disk2', false, true, true]);
});

test('info: the internal boot disk and its APFS container are not external', () => {
  const d0 = info('hstimager-diskutil-info-disk0.plist');
  assert.equal([d0.internal, d0.removableMediaOrExternalDevice, d0.external, d0.busProtocol], [true, false, false, 'PCI-Express']);
  const d1 = info('hstimager-diskutil-info-disk1.plist');
  assert.equal(d1.apfsPhysicalStores, ['disk0s2']);
  assert.is(d1.external, false);
  assert.is(d1.isWholeDisk, true);
});

test('info: APFS volumes report FreeSpace 0; free space is the container’s (APFSContainerFree)', () => {
  const root = info('crystal-diskutil-info-apfs-boot-root-disk1s5s1.plist');
  assert.equal(
    [root.id, root.label, root.uuid, root.mountPoint, root.fileSystem, root.apfsSnapshot, root.parentWholeDisk],
    ['disk1s5s1', 'SSD', 'CA15E030-DBDD-4FF4-847D-50D5EE26B798', '/', 'apfs', true, 'disk1'],
  );
  assert.is(root.freeBytes, 10416455680);
  assert.equal(root.apfsPhysicalStores, ['disk0s2']);
  assert.is(root.external, false);

  const sys = info('sysline-diskutil-info-apfs-system-volume-disk1s5.plist');
  assert.equal([sys.label, sys.mountPoint, sys.freeBytes, sys.apfsSnapshot], ['Macintosh HD', '/', 198511091712, false]);
  const data = info('sysline-diskutil-info-apfs-data-volume-disk1s1.plist');
  assert.equal([data.label, data.mountPoint, data.freeBytes, data.uuid], ['Macintosh HD — Data', '/System/Volumes/Data', 198501175296, '34544CD1-0205-44F3-885C-7E1C28DAE1BB']);
});

test('info: external USB HFS+ partition (crystal disk11s2)', () => {
  const i = info('crystal-diskutil-info-external-usb-hfs-disk11s2.plist');
  assert.equal(
    [i.id, i.parentWholeDisk, i.isWholeDisk, i.label, i.uuid, i.fileSystem, i.mountPoint, i.freeBytes, i.removable, i.external],
    ['disk11s2', 'disk11', false, 'HDD', '18A39FDB-D619-3299-8863-9A3A33608A7F', 'hfs', '/Volumes/HDD', 1111923171328, false, true],
  );
});

test('info: FileVault and Locked are read as they are recorded; absent keys stay unknown (null)', () => {
  // sysline disk1s1: a real Mac's Data volume, FileVault on and unlocked.
  const data = info('sysline-diskutil-info-apfs-data-volume-disk1s1.plist');
  assert.equal([data.fileVault, data.locked], [true, false]);
  // crystal disk11s2: an external HFS+ partition; diskutil says nothing about encryption there.
  const hfs = info('crystal-diskutil-info-external-usb-hfs-disk11s2.plist');
  assert.equal([hfs.fileVault, hfs.locked], [null, null]);
  // MediaName as recorded, for the admin to recognise the disk in `volumes prepare`; empty → null.
  assert.is(hfs.mediaName, null);
  assert.is(info('hstimager-diskutil-info-disk2-usb-stick.plist').mediaName, 'Cruzer Fit');
  // The Volume the engine sees carries it (the encrypted-mirror guard reads `encrypted`).
  const v = withInfo({ id: 'disk1s1', label: null, uuid: null, device: '/dev/disk1s1', wholeDisk: 'disk1', fileSystem: null, mountPoint: null, sizeBytes: 0, freeBytes: null, external: false }, data);
  assert.is(v.encrypted, true);
  assert.is(withInfo(v, hfs).encrypted, null);
});

test('isExternal: Internal false or RemovableMediaOrExternalDevice true; nothing else counts', () => {
  assert.is(isExternal(false, null), true);
  assert.is(isExternal(true, true), true);
  assert.is(isExternal(true, false), false);
  assert.is(isExternal(null, null), false);
});

// ---- errors --------------------------------------------------------------------------------------

test('the error plist (info on an SMB path) is a typed result, for info and list alike', () => {
  const xml = fixture('crystal-diskutil-info-error-smb-path.plist');
  const r = parseDiskutilInfo(xml);
  assert.equal(r, { ok: false, error: { message: 'Could not find disk: /Volumes/SMB', exitCode: 1 } });
  const l = parseDiskutilList(xml);
  assert.is(l.ok, false);
});

test('output that is not a plist dict → PraxisError error.diskutilOutput naming the command', () => {
  const empty = praxisErrorOf(() => parsePlistDict('', 'list -plist'));
  assert.is(empty.message_.key, 'error.diskutilOutput');
  assert.match(t('de', empty.message_.key, empty.message_.params), 'diskutil list -plist hat eine unerwartete Ausgabe');
  const arr = praxisErrorOf(() => parsePlistDict('<?xml version="1.0"?><plist version="1.0"><array/></plist>', 'info -plist disk2'));
  assert.equal(arr.message_.params, { command: 'info -plist disk2', detail: 'not a dictionary' });
  // A list plist that lacks AllDisksAndPartitions is not silently "no disks".
  const info = praxisErrorOf(() => parseDiskutilList(fixture('hstimager-diskutil-info-disk0.plist')));
  assert.is(info.message_.key, 'error.diskutilOutput');
});

// ---- list + info → Volume ------------------------------------------------------------------------

test('toVolume: list entry + info of the same stick → the full Volume; without info the list alone', () => {
  const listed = list('hstimager-diskutil-external-usb-stick.plist').volumes[0]!;
  assert.equal(toVolume(listed, info('hstimager-diskutil-info-disk2-usb-stick.plist')), {
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
    // A FAT stick: diskutil prints no FileVault key, so encryption is unknown (never "true").
    encrypted: null,
  });
  assert.equal(toVolume(listed, null), {
    id: 'disk2',
    label: 'NO NAME',
    uuid: null,
    device: '/dev/disk2',
    wholeDisk: 'disk2',
    fileSystem: null,
    mountPoint: '/Volumes/NO NAME',
    sizeBytes: 15682240512,
    freeBytes: null,
    external: false,
  });
});

// ---- refused unmount / eject (recorded text lines) -----------------------------------------------

test('dissent: "Unmount was dissented by PID …" names the blocker, not the parent PPID line', () => {
  const lines = [
    recorded('Unmount of disk7 failed: at least one volume could not be unmounted'),
    recorded('Unmount was dissented by PID 47781 (/usr/bin/tail)'),
    recorded('Dissenter parent PPID 47778 (/bin/zsh)'),
  ];
  assert.equal(parseDiskutilRefusal(lines), { kind: 'dissented', pid: 47781, process: '/usr/bin/tail' });
  assert.equal(parseDiskutilRefusal(lines.join('\n')), { kind: 'dissented', pid: 47781, process: '/usr/bin/tail' });
});

test('dissent: the other recorded forms (loginwindow, Spotlight mds_stores, plugin_host)', () => {
  assert.equal(parseDiskutilRefusal([recorded('Unmount failed for /Volumes/...: dissented by PID 190 (loginwindow)')]), {
    kind: 'dissented',
    pid: 190,
    process: 'loginwindow',
  });
  // DISKUTIL-MESSAGES.md quotes this one with its prefix elided as "...".
  assert.equal(parseDiskutilRefusal([recorded('... dissented by PID 556 (mds_stores)')]), { kind: 'dissented', pid: 556, process: 'mds_stores' });
  assert.equal(parseDiskutilRefusal([recorded('Dissenter PID = 51310 (plugin_host-3.8), Status = 0x0000c010')]), {
    kind: 'dissented',
    pid: 51310,
    process: 'plugin_host-3.8',
  });
});

test('busy without a named blocker, already unmounted, and everything else', () => {
  for (const line of [
    'Volume failed to eject',
    'Volume ssd on disk5s1 failed to eject',
    'Forced unmount of disk3 failed: at least one volume could not be unmounted',
    'Unmount blocked by dissenter with status code 0x0000c001 and message (null)',
    'Unmount failed for /WD_1TB',
    'eject failed: 0xc010 (49168)',
  ]) {
    assert.equal(parseDiskutilRefusal([recorded(line)]), { kind: 'busy' }, line);
  }
  assert.equal(parseDiskutilRefusal([recorded('disk4s1 was already unmounted')]), { kind: 'alreadyUnmounted' });
  assert.equal(parseDiskutilRefusal([recorded('Could not find disk: disk9')]), { kind: 'other' });
  assert.equal(parseDiskutilRefusal([recorded('Disk /dev/disk2 ejected')]), { kind: 'other' });
  assert.equal(parseDiskutilRefusal([]), { kind: 'other' });
});

test('isSpotlight: mds, mds_stores, mdworker by name or path; nothing else', () => {
  assert.ok(isSpotlight('mds_stores'));
  assert.ok(isSpotlight('mds'));
  assert.ok(isSpotlight('/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Support/mds_stores'));
  assert.ok(isSpotlight('mdworker_shared'));
  assert.not.ok(isSpotlight('/usr/bin/tail'));
  assert.not.ok(isSpotlight('loginwindow'));
  assert.not.ok(isSpotlight('mdsx'));
});

test.run();

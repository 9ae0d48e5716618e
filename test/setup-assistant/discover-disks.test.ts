// The assistant's steps 2–4 on real file systems (root): folder facts counted on a tmpfs and
// checked against find(1); a loop disk (external to the Volumes adapter, like a USB disk) makes a
// folder "removable" and is never a backup directory; two tmpfs of known sizes decide what "fits"
// means for real; the external disks are the adapter's list with a UUID. Network file systems cannot
// be mounted here (no cifs/nfs in this kernel), so their judgement is checked on a recorded mount table.
import { execa } from 'execa';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LinuxVolumes } from '../../src/diskutil/linux-volumes';
import { parseMountinfo } from '../../src/diskutil/smb-mount';
import { ToolLocator } from '../../src/process/tool-locator';
import type { FolderFacts } from '../../src/setup-assistant/contracts';
import { createDiscovery, type DiscoveryOptions } from '../../src/setup-assistant/discover/create-discovery';
import { mountTableFor } from '../../src/setup-assistant/discover/mount-location';
import { makeLoopDisk, mountAt, type LoopDisk } from '../helpers/loop-disk';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { mountTmpfs, type TmpfsMount } from '../helpers/tmpfs';

const test = suite('discovery: folders, backup directory, external disks');

const MiB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;
let base: string;
let small: TmpfsMount;
let big: TmpfsMount;
let usb: LoopDisk;
let usbMount: string;
let blank: LoopDisk;

function discovery(more: Partial<DiscoveryOptions> = {}) {
  return createDiscovery({
    platform: 'linux',
    tools: new ToolLocator('linux', process.env),
    volumes: new LinuxVolumes({ mountBase: join(base, 'volumes') }),
    defaultPlaces: false,
    fsRoot: join(base, 'root'),
    home: join(base, 'home'),
    scanDisks: false,
    ...more,
  });
}

const signal = () => new AbortController().signal;

/** find(1) as the independent witness: regular files and their st_size. */
async function findCount(dir: string): Promise<{ files: number; bytes: number }> {
  const out = (await execa('find', [dir, '-type', 'f', '-printf', '%s\\n'])).stdout.split('\n').filter(Boolean);
  return { files: out.length, bytes: out.reduce((a, s) => a + Number(s), 0) };
}

/** df(1) as the independent witness of free and total bytes. */
async function df(dir: string): Promise<{ free: number; total: number }> {
  const [, line] = (await execa('df', ['-B1', '--output=avail,size', dir])).stdout.split('\n');
  const [free, total] = line!.trim().split(/\s+/).map(Number);
  return { free: free!, total: total! };
}

test.before(async () => {
  base = await makeTempDir('praxis-discover-disks-');
  [small, big] = await Promise.all([mountTmpfs(64), mountTmpfs(256)]);
  usb = await makeLoopDisk({ sizeMiB: 48, label: 'PRAXIS-USB' });
  usbMount = join(base, 'usb');
  await mkdir(usbMount);
  await mountAt(usb.device, usbMount);
  // A disk without a file system (new, never formatted): no UUID, nothing a mirror could find again.
  blank = await makeLoopDisk({ sizeMiB: 16, label: 'LEER' });
  await execa('wipefs', ['-a', '-q', blank.device]);
});

test.after(async () => {
  await runCleanups();
});

test('folder facts: every regular file and its bytes, across batches, odd names included; symlinks are no files', async () => {
  const dir = join(small.path, 'Anhaenge');
  for (let d = 0; d < 5; d++) {
    await mkdir(join(dir, `Patient ${d}`, 'Briefe'), { recursive: true });
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => writeFile(join(dir, `Patient ${d}`, 'Briefe', `brief-${i}.txt`), 'x'.repeat((i * 7 + d) % 300))),
    );
  }
  await writeFile(Buffer.from(`${dir}/Befund\nzwei Zeilen \xff.pdf`, 'latin1'), 'pdf-bytes');
  await symlink(join(dir, 'Patient 0'), join(dir, 'link-to-patient-0'));
  const facts = await discovery().folderFacts(dir, signal());
  const witness = await findCount(dir);
  assert.is(witness.files, 2501);
  assert.equal(
    { exists: facts.exists, files: facts.files, bytes: facts.bytes, location: facts.location, fileSystem: facts.fileSystem, mountPoint: facts.mountPoint },
    { exists: true, files: witness.files, bytes: witness.bytes, location: 'local', fileSystem: 'tmpfs', mountPoint: small.path },
  );
});

test('folder facts: a folder that does not exist is said so, on the disk it would be on', async () => {
  const facts = await discovery().folderFacts(join(small.path, 'gibt-es-nicht', 'tiefer'), signal());
  assert.equal([facts.exists, facts.files, facts.bytes, facts.location, facts.mountPoint], [false, 0, 0, 'local', small.path]);
});

test('folder facts: a cancelled count stops with the abort, not with a wrong number', async () => {
  const c = new AbortController();
  c.abort();
  // 2501 files: the walk reaches batch boundaries, where it checks the signal.
  const err = await discovery().folderFacts(join(small.path, 'Anhaenge'), c.signal).then(() => null, (e: unknown) => e as Error);
  assert.is(err?.name, 'AbortError');
});

test('folder facts: what the admin may not read is counted past and named, with how many (rsync would skip them)', async () => {
  const dir = join(big.path, 'Praxis');
  for (const sub of ['offen', 'geschuetzt', 'auch-geschuetzt']) {
    await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, sub, 'brief.txt'), 'ab');
  }
  for (const sub of ['geschuetzt', 'auch-geschuetzt']) await chmod(join(dir, sub), isRoot ? 0o700 : 0o000);
  const child = join(import.meta.dirname, '..', 'fixtures', 'folder-facts-child.ts');
  const count = async (asNobody: boolean): Promise<FolderFacts> => {
    // Root reads every folder: the count runs as nobody, for whom the two are closed.
    const r = asNobody
      ? await execa('runuser', ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', child, dir], { cwd: join(import.meta.dirname, '..', '..') })
      : await execa(process.execPath, ['--import', 'tsx', child, dir]);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as FolderFacts;
  };
  const closed = await count(isRoot);
  assert.equal([closed.exists, closed.files, closed.bytes], [true, 1, 2]);
  assert.is(closed.problem?.key, 'discover.folderUnreadable');
  assert.is(closed.problem?.params?.count, 2);
  assert.ok([join(dir, 'geschuetzt'), join(dir, 'auch-geschuetzt')].includes(String(closed.problem?.params?.path)), JSON.stringify(closed.problem));
  assert.match(String(closed.problem?.params?.message), /EACCES/);
  // Readable again, the same folder counts whole, without a problem.
  for (const sub of ['geschuetzt', 'auch-geschuetzt']) await chmod(join(dir, sub), 0o755);
  const open = await count(false);
  assert.equal([open.files, open.bytes, open.problem], [3, 6, undefined]);
});

test('folder facts: a folder on the USB disk (a loop disk the Volumes adapter calls external) is "removable"', async () => {
  await mkdir(join(usbMount, 'Scans'), { recursive: true });
  await writeFile(join(usbMount, 'Scans', 'a.jpg'), 'jpeg');
  const facts = await discovery().folderFacts(join(usbMount, 'Scans'), signal());
  assert.equal([facts.exists, facts.files, facts.bytes, facts.location, facts.fileSystem, facts.mountPoint], [true, 1, 4, 'removable', 'ext4', usbMount]);
});

test('folder facts: network file systems from the mount table (NFS, SMB, sshfs) are "network"; a local FUSE one is not', async () => {
  // Recorded /proc/self/mountinfo lines (Debian 12 with an NFS and an SMB share, sshfs, gocryptfs).
  const recorded = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
    `90 22 0:52 / ${base}/nfs rw,relatime shared:40 - nfs4 server:/export/praxis rw,vers=4.2`,
    `91 22 0:53 / ${base}/smb rw,relatime shared:41 - cifs //nas/praxis rw,vers=3.1.1`,
    `92 22 0:54 / ${base}/ssh rw,nosuid,nodev,relatime shared:42 - fuse.sshfs admin@nas:/daten rw,user_id=0`,
    `93 22 0:55 / ${base}/crypt rw,nosuid,nodev,relatime shared:43 - fuse.gocryptfs ${base}/cipher rw,user_id=0`,
  ].join('\n');
  const d = discovery({ mountTable: async () => parseMountinfo(recorded) });
  for (const sub of ['nfs', 'smb', 'ssh', 'crypt']) await mkdir(join(base, sub));
  const seen: [string, string, string | null][] = [];
  for (const sub of ['nfs', 'smb', 'ssh', 'crypt']) {
    const f = await d.folderFacts(join(base, sub, 'Anhaenge'), signal());
    seen.push([sub, f.location, f.fileSystem]);
  }
  assert.equal(seen, [
    ['nfs', 'network', 'nfs4'],
    ['smb', 'network', 'cifs'],
    ['ssh', 'network', 'fuse.sshfs'],
    ['crypt', 'local', 'fuse.gocryptfs'],
  ]);
});

test('backup directory: what fits (estimate + 10 %) comes first; a removable disk is never proposed; free/total as df says', async () => {
  const places = [join(small.path, 'praxis-backup'), join(usbMount, 'praxis-backup'), join(big.path, 'praxis-backup')];
  const d = discovery({ backupPlaces: places });
  // 100 MiB + 10 %: only the 256 MiB tmpfs has room.
  const c = await d.backupDirCandidates(100 * MiB, signal());
  assert.equal(c.map((x) => [x.path, x.fits, x.location]), [
    [join(big.path, 'praxis-backup'), true, 'local'],
    [join(small.path, 'praxis-backup'), false, 'local'],
  ]);
  const [bigDf, smallDf] = await Promise.all([df(big.path), df(small.path)]);
  assert.equal([c[0]!.freeBytes, c[0]!.totalBytes], [bigDf.free, bigDf.total]);
  assert.equal([c[1]!.freeBytes, c[1]!.totalBytes], [smallDf.free, smallDf.total]);
  // Exactly at the edge: free = estimate × 1.1 fits, one byte more does not.
  const edge = smallDf.free / 1.1;
  assert.is((await d.backupDirCandidates(Math.floor(edge), signal())).find((x) => x.path.startsWith(small.path))?.fits, true);
  assert.is((await d.backupDirCandidates(Math.ceil(edge) + 1, signal())).find((x) => x.path.startsWith(small.path))?.fits, false);
  // Both fit: the order given (the conventional place first).
  assert.equal((await d.backupDirCandidates(MiB, signal())).map((x) => x.path), [places[0], places[2]]);
});

test('backup directory: one proposal per disk; the conventional places per platform and user', async () => {
  const same = discovery({ backupPlaces: [join(big.path, 'a'), join(big.path, 'b', 'c')] });
  assert.equal((await same.backupDirCandidates(MiB, signal())).map((x) => x.path), [join(big.path, 'a')]);
  // Below a file there can be no folder.
  await writeFile(join(big.path, 'datei'), 'x');
  assert.equal((await discovery({ backupPlaces: [join(big.path, 'datei', 'praxis-backup')] }).backupDirCandidates(1, signal())), []);
  const asRoot = await discovery({ backupPlaces: undefined, isRoot: true }).backupDirCandidates(1, signal());
  assert.equal(asRoot.map((x) => x.path), ['/var/backups/praxis-backup']);
  const asAdmin = await discovery({ backupPlaces: undefined, isRoot: false, home: join(big.path, 'home-anna') }).backupDirCandidates(1, signal());
  assert.equal(asAdmin.map((x) => x.path), [join(big.path, 'home-anna', 'Praxis-Backup')]);
  // (macOS's mount(8) does not exist here: this machine's mount table stands in.)
  const mac = await discovery({ platform: 'darwin', backupPlaces: undefined, mountTable: mountTableFor('linux') }).backupDirCandidates(1, signal());
  assert.equal(mac.map((x) => x.path), ['/Users/Shared/Praxis-Backup']);
});

test('backup directory: the disks scanned from the mount table are internal disks only (no tmpfs, no USB disk)', async () => {
  const c = await discovery({ scanDisks: true, backupPlaces: [] }).backupDirCandidates(1, signal());
  const table = await mountTableFor('linux')();
  for (const x of c) {
    assert.is(x.location, 'local');
    assert.not.ok(x.path.startsWith(usbMount) || x.path.startsWith(small.path) || x.path.startsWith(big.path), x.path);
    const mp = x.path.replace(/\/praxis-backup$/, '');
    const entry = table.filter((m) => m.mountPoint === mp).pop();
    assert.ok(entry && entry.source.startsWith('/dev/') && entry.fsType !== 'tmpfs', `${x.path}: ${JSON.stringify(entry)}`);
  }
});

test('external disks: the attached USB disk with its UUID and label; a disk without a file system is left out', async () => {
  const disks = await discovery().externalDisks(signal());
  const mine = disks.find((v) => v.device === usb.device);
  assert.ok(mine, JSON.stringify(disks));
  assert.equal([mine.uuid?.toLowerCase(), mine.label, mine.external, mine.mountPoint], [usb.uuid.toLowerCase(), 'PRAXIS-USB', true, usbMount]);
  assert.not.ok(disks.some((v) => v.device === blank.device), 'the blank disk is not offered');
  assert.ok(disks.every((v) => v.external && v.uuid), 'only external disks with a UUID');
});

test.run();

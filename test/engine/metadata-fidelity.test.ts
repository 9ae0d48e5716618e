// Every file kept as it was (issue 19): a tree with xattrs (one of 8 KiB), ACLs with defaults, hard
// links, a sparse file, setuid/sticky modes, another owner, a fifo, nanosecond mtimes, NFC and NFD
// names side by side, a Latin-1 and a newline name — through the real CLI: backup, a second
// snapshot with nothing changed, the mirror on an ext4 disk, the restore from that disk. Each step
// is compared with the original category by category, and the original with raw
// `rsync -aHAXS --numeric-ids` (the yardstick). Then what must not be linked, and targets that
// cannot hold what the tree has. The tree lives on a tmpfs: /tmp's ext4 holds no 8 KiB xattr.
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { makeLoopDisk, mountAt, type LoopDisk } from '../helpers/loop-disk';
import { buildMetadataTree, describeTree, lostCategories, setXattr, type TreeDescription } from '../helpers/metadata-tree';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('metadata fidelity');
let root: string;
let env: CliEnv;
let ram: string;
let src: string;
let original: TreeDescription;

const ids = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort() : []);
const at = (iso: string) => ({ ...env.env, PRAXIS_BACKUP_TEST_NOW: iso });
const getfattr = (path: string, name: string) =>
  execFileSync('getfattr', ['--only-values', '-n', name, path], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
const getfacl = (path: string) => execFileSync('getfacl', ['-n', '-c', path], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();

/** Mount the disk read-only to look at what the tool left on it, then unmount. */
async function inspect<T>(disk: LoopDisk, fn: (dir: string) => T): Promise<T> {
  const mp = join(root, `inspect-${disk.label}`);
  mkdirSync(mp, { recursive: true });
  await execa('mount', ['-o', 'ro', disk.device, mp]);
  try {
    return fn(join(mp, 'Praxis-Backup'));
  } finally {
    await execa('umount', [mp]);
  }
}

async function config(name: string, backupDir: string, mirrors: unknown[] = []): Promise<string> {
  const file = join(root, `${name}.json`);
  await writeFile(file, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: src }], retention: { keep: 10 }, mirrors }));
  return file;
}

const warnings = (r: { events: any[] }) => r.events.filter((e) => e.type === 'warning').map((e) => e.message);

test.before(async () => {
  root = await makeTempDir('praxis-fidelity-');
  env = await cliEnv(root, { PRAXIS_BACKUP_MOUNT_BASE: join(root, 'mnt'), PRAXIS_BACKUP_NOTIFY: 'none' });
  ram = (await mountTmpfs(512)).path;
  src = join(ram, 'files');
  mkdirSync(src);
  buildMetadataTree(src);
  original = describeTree(src);
});
test.after(() => runCleanups());

test('the yardstick: raw rsync -aHAXS --numeric-ids keeps every category, rsync -a loses xattrs, ACLs, hard links and holes', () => {
  execFileSync('rsync', ['-aHAXS', '--numeric-ids', `${src}/`, join(ram, 'raw')]);
  assert.equal(lostCategories(original, describeTree(join(ram, 'raw'))), []);
  // The comparison can fail: plain -a, the product's flags before issue 19.
  execFileSync('rsync', ['-a', `${src}/`, join(ram, 'plain')]);
  assert.equal(lostCategories(original, describeTree(join(ram, 'plain'))).map((l) => l.split(':')[0]), ['xattrs', 'acls', 'hardLinks', 'sparse']);
});

test('backup → no-change snapshot → mirror on an ext4 disk → restore from that disk: every category as the original', async () => {
  // 4 KiB blocks and ea_inode: an ext4 that holds the 8 KiB xattr (mke2fs's default for 64 MiB holds ~1 KiB).
  const disk = await makeLoopDisk({ sizeMiB: 96, label: 'PRAXIS-META', mkfsOptions: ['-b', '4096', '-O', 'ea_inode'] });
  const backupDir = join(ram, 'backups');
  const file = await config('full', backupDir, [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-META' }, mode: 'all', eject: true }]);

  const first = await runCli(['run', '--config', file, '--json'], at('2026-12-01T02:00:00Z'));
  assert.is(first.code, 0, first.stderr);
  const said = first.events.filter((e: any) => e.type === 'log').map((e: any) => e.message);
  assert.ok(said.some((m: any) => m.key === 'run.rsyncKeeps' && m.params.flags === '-a -H -A -X -S --numeric-ids'), JSON.stringify(said));
  assert.not.ok(said.some((m: any) => m.key === 'run.rsyncCannotKeep'), 'this rsync 3.5.0 lacks nothing');
  const second = await runCli(['run', '--config', file, '--json'], at('2026-12-02T02:00:00Z'));
  assert.is(second.code, 0, second.stderr);
  const [id1, id2] = ids(backupDir);
  assert.ok(id1 && id2);

  assert.equal(lostCategories(original, describeTree(join(backupDir, id1!, 'files'))), [], 'first snapshot');
  assert.equal(lostCategories(original, describeTree(join(backupDir, id2!, 'files'))), [], 'no-change snapshot');
  // Nothing changed: every file of the second snapshot is the first one's inode (a link), the
  // in-tree link group one inode across both.
  for (const rel of ['xattr-big', 'xattr-small', 'acl-file', 'sparse.bin', 'other-owner', 'setuid', 'hl-a', 'sub/hl-c']) {
    assert.is(lstatSync(join(backupDir, id2!, 'files', rel)).ino, lstatSync(join(backupDir, id1!, 'files', rel)).ino, `${rel} linked`);
  }
  assert.is(lstatSync(join(backupDir, id2!, 'files', 'hl-a')).nlink, 6, 'three names in each of two snapshots');

  await inspect(disk, (dir) => {
    assert.equal(ids(dir), [id1, id2]);
    assert.equal(lostCategories(original, describeTree(join(dir, id2!, 'files'))), [], 'mirror');
    assert.is(lstatSync(join(dir, id2!, 'files', 'xattr-big')).ino, lstatSync(join(dir, id1!, 'files', 'xattr-big')).ino, 'linked on the disk too');
  });

  rmSync(src, { recursive: true, force: true });
  const r = await runCli(['restore', id2!, '--from-mirror', 'usb', '--yes', '--no-safety-backup', '--config', file], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.equal(lostCategories(original, describeTree(src)), [], 'restored');
});

test('a file changed only in its xattr, or only in its ACL, is a new copy in the next snapshot, not a link', async () => {
  const backupDir = join(ram, 'backups');
  const file = await config('full-local', backupDir);
  const prev = ids(backupDir).at(-1)!;
  setXattr(join(src, 'xattr-small'), 'user.note', 'changed');
  execFileSync('setfacl', ['-m', 'u:999:r', join(src, 'acl-file')]);
  const r = await runCli(['run', '--config', file], at('2026-12-03T02:00:00Z'));
  assert.is(r.code, 0, r.stderr);
  const next = ids(backupDir).at(-1)!;
  assert.is.not(next, prev);
  const snap = (id: string, rel: string) => join(backupDir, id, 'files', rel);
  assert.is.not(lstatSync(snap(next, 'xattr-small')).ino, lstatSync(snap(prev, 'xattr-small')).ino, 'xattr changed: new copy');
  assert.is(getfattr(snap(next, 'xattr-small'), 'user.note'), 'changed');
  assert.is(getfattr(snap(prev, 'xattr-small'), 'user.note'), 'hello', 'the older snapshot keeps its own value');
  assert.is.not(lstatSync(snap(next, 'acl-file')).ino, lstatSync(snap(prev, 'acl-file')).ino, 'ACL changed: new copy');
  assert.match(getfacl(snap(next, 'acl-file')), /user:999:r--/);
  assert.not.match(getfacl(snap(prev, 'acl-file')), /user:999/);
  assert.is(lstatSync(snap(next, 'hl-a')).ino, lstatSync(snap(prev, 'hl-a')).ino, 'unchanged: still a link');
  assert.equal(lostCategories(describeTree(src), describeTree(join(backupDir, next, 'files'))), []);
  // What the test guards against: rsync -a --link-dest links the same file, old xattr and all.
  execFileSync('rsync', ['-a', `--link-dest=${join(backupDir, prev, 'files')}`, `${src}/`, join(ram, 'plain-link')]);
  assert.is(lstatSync(join(ram, 'plain-link', 'xattr-small')).ino, lstatSync(snap(prev, 'xattr-small')).ino);
});

test('a backup folder on a file system without xattrs and ACLs (ramfs): a warning naming the folder and what was not kept, exit 3, every file there', async () => {
  const noAttrs = (await mountTmpfs(64, { fs: 'ramfs' })).path;
  const file = await config('ramfs', noAttrs);
  const r = await runCli(['run', '--config', file, '--json'], at('2026-12-04T02:00:00Z'));
  assert.is(r.code, 3, r.stderr);
  const w = warnings(r);
  assert.equal(w.map((m: any) => m.key), ['warn.attributesNotKept'], JSON.stringify(w));
  assert.is(w[0].params.name, 'files');
  assert.match(w[0].params.dir, noAttrs);
  assert.equal(w[0].params.what, { key: 'rsync.keepable.and', params: { a: { key: 'rsync.keepable.acls' }, b: { key: 'rsync.keepable.xattrs' } } });
  assert.match(r.stderr, /Dateisystem dort kann sie nicht aufnehmen/);
  const [id] = ids(noAttrs);
  const lost = lostCategories(describeTree(src), describeTree(join(noAttrs, id!, 'files'))).map((l) => l.split(':')[0]);
  assert.ok(lost.includes('xattrs') && lost.includes('acls'), lost.join('; '));
  for (const kept of ['names', 'type', 'mode', 'owner', 'content', 'hardLinks']) assert.not.ok(lost.includes(kept), `${kept} kept: ${lost.join('; ')}`);
});

test('a restore into a folder on a file system without xattrs and ACLs (ramfs): every file back, a warning (exit 3), not a failure', async () => {
  const noAttrs = (await mountTmpfs(64, { fs: 'ramfs' })).path;
  const target = join(noAttrs, 'files');
  const backupDir = join(ram, 'backups');
  const id = ids(backupDir).at(-1)!;
  const file = join(root, 'restore-ramfs.json');
  await writeFile(file, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: target }], retention: { keep: 10 } }));
  const r = await runCli(['restore', id, '--yes', '--no-safety-backup', '--config', file, '--json'], env.env);
  assert.is(r.code, 3, r.stderr);
  const w = warnings(r);
  assert.equal(w.map((m: any) => m.key), ['warn.restoreAttributesNotKept'], JSON.stringify(w));
  assert.is(w[0].params.dir, target);
  const lost = lostCategories(describeTree(join(backupDir, id, 'files')), describeTree(target)).map((l) => l.split(':')[0]);
  assert.ok(lost.includes('xattrs') && lost.includes('acls'), lost.join('; '));
  for (const kept of ['names', 'type', 'mode', 'owner', 'content', 'hardLinks']) assert.not.ok(lost.includes(kept), `${kept} kept: ${lost.join('; ')}`);
});

test('an xattr larger than the mirror disk\'s ext4 can hold ("No space left on device" on a disk with room): a warning, not a full disk', async () => {
  // Plain mkfs.ext4 of 64 MiB: 1 KiB blocks, an xattr over ~1 KiB does not fit, the disk has room.
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'PRAXIS-SMALLXA' });
  const backupDir = join(ram, 'backups-xa');
  const file = await config('small-xattr', backupDir, [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-SMALLXA' }, mode: 'all', eject: true }]);
  const r = await runCli(['run', '--config', file, '--json'], at('2026-12-05T02:00:00Z'));
  assert.is(r.code, 3, r.stderr);
  const w = warnings(r);
  assert.equal(w.map((m: any) => m.key), ['warn.mirrorAttributesNotKept'], JSON.stringify(w));
  assert.equal(w[0].params.what, { key: 'rsync.keepable.xattrs' });
  assert.match(w[0].params.example, /user\.big8k.*No space left on device/);
  assert.not.ok(r.events.some((e: any) => e.message?.key === 'mirror.full'));
  const [id] = ids(backupDir);
  await inspect(disk, (dir) => {
    assert.equal(ids(dir), [id], 'the copy is complete (manifest last), not removed as a full disk would be');
    const onDisk = describeTree(join(dir, id!, 'files'));
    assert.equal(lostCategories(describeTree(src), onDisk).map((l) => l.split(':').slice(0, 2).join(':')), ['xattrs: "xattr-big"']);
  });
});

test('the same in the backup folder itself: an xattr its ext4 cannot hold is a warning naming the folder, not a full disk', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'PRAXIS-LOCALXA' });
  const backupDir = join(root, 'local-xa');
  mkdirSync(backupDir);
  await mountAt(disk.device, backupDir);
  const file = await config('local-xattr', backupDir);
  const r = await runCli(['run', '--config', file, '--json'], at('2026-12-06T02:00:00Z'));
  assert.is(r.code, 3, r.stderr);
  const w = warnings(r);
  assert.equal(w.map((m: any) => m.key), ['warn.attributesNotKept'], JSON.stringify(w));
  assert.equal(w[0].params.what, { key: 'rsync.keepable.xattrs' });
  assert.match(w[0].params.example, /user\.big8k.*No space left on device/);
  const [id] = ids(backupDir);
  const lost = lostCategories(describeTree(src), describeTree(join(backupDir, id!, 'files')));
  assert.equal(lost.map((l) => l.split(':').slice(0, 2).join(':')), ['xattrs: "xattr-big"']);
});

test.run();

// A tree with every kind of metadata a copy can lose (after the categories of Backup Bouncer, the
// public suite that compares Mac copy tools), and a description of a tree by category, so a test
// can say which category a copy lost. Needs root (another owner), setfattr/getfattr (package
// attr) and setfacl (package acl), and a file system that holds an 8 KiB xattr (tmpfs, or ext4
// made with -b 4096 -O ea_inode).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A name as raw bytes; tree paths are kept as 'binary' strings (one char per byte), so NFC and NFD differ. */
const bytes = (p: string) => Buffer.from(p, 'binary');
const under = (root: string, rel: string) => Buffer.concat([Buffer.from(`${root}/`), bytes(rel)]);
const binary = (s: string) => Buffer.from(s, 'utf8').toString('binary');

export const NAMES = {
  nfc: binary('café.txt'.normalize('NFC')),
  nfd: binary('café.txt'.normalize('NFD')),
  latin1: Buffer.from('M\xfcller.txt', 'latin1').toString('binary'),
  newline: 'new\nline.txt',
};
export const BIG_XATTR = 8192;
/** The uid/gid of a file owned by someone this machine has no name for. */
export const OTHER_OWNER = { uid: 4242, gid: 4243 };
const SPARSE_BYTES = 16 * 1024 * 1024;
const NANO_MTIME = '@1704164645.123456789';

const sh = (file: string, args: string[]) => execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });

export function setXattr(path: string, name: string, value: string): void {
  sh('setfattr', ['-n', name, '-v', value, path]);
}

/** Builds the tree in `root` (an existing, empty folder). */
export function buildMetadataTree(root: string): void {
  const p = (rel: string) => join(root, rel);
  writeFileSync(p('xattr-small'), 'small\n');
  setXattr(p('xattr-small'), 'user.note', 'hello');
  // Samba keeps DOS attributes here.
  setXattr(p('xattr-small'), 'user.DOSATTRIB', '0x0000000000000020');
  writeFileSync(p('xattr-big'), 'big\n');
  setXattr(p('xattr-big'), 'user.big8k', `0x${'ab'.repeat(BIG_XATTR)}`);

  mkdirSync(p('acl-dir'));
  sh('setfacl', ['-m', 'u:1234:rwx,g:2345:rx', p('acl-dir')]);
  sh('setfacl', ['-d', '-m', 'u:1234:rwx,g:2345:rx', p('acl-dir')]);
  writeFileSync(p('acl-dir/inherited.txt'), 'inherits the default ACL\n');
  writeFileSync(p('acl-file'), 'acl\n');
  sh('setfacl', ['-m', 'u:1234:rw', p('acl-file')]);

  writeFileSync(p('hl-a'), 'one file, three names\n');
  mkdirSync(p('sub'));
  linkSync(p('hl-a'), p('hl-b'));
  linkSync(p('hl-a'), p('sub/hl-c'));

  // 16 MiB with one byte in the middle: 2 blocks on disk, not 4096.
  writeFileSync(p('sparse.bin'), '');
  sh('truncate', ['-s', String(SPARSE_BYTES), p('sparse.bin')]);
  sh('dd', ['if=/dev/urandom', `of=${p('sparse.bin')}`, 'bs=1', 'count=1', `seek=${SPARSE_BYTES / 2}`, 'conv=notrunc', 'status=none']);

  writeFileSync(p('setuid'), '#!/bin/sh\n');
  chmodSync(p('setuid'), 0o4755);
  mkdirSync(p('sticky'));
  chmodSync(p('sticky'), 0o1777);
  mkdirSync(p('setgid-dir'));
  chmodSync(p('setgid-dir'), 0o2775);
  writeFileSync(p('other-owner'), 'owned by 4242\n');
  chownSync(p('other-owner'), OTHER_OWNER.uid, OTHER_OWNER.gid);
  sh('mkfifo', [p('fifo')]);
  writeFileSync(p('nanotime'), 'ns\n');

  for (const name of [NAMES.nfc, NAMES.nfd, NAMES.latin1, NAMES.newline]) writeFileSync(under(root, name), `${Buffer.from(name, 'binary').toString('hex')}\n`);
  symlinkSync('hl-a', p('link'));
  // Every time in the past: rsync leaves an entry's mtime as it is when the one it just made falls
  // in the same second (seen on setgid-dir and the fifo, with raw rsync too); a real tree is older.
  sh('find', [root, '-mindepth', '1', '-exec', 'touch', '-h', '-d', '@1700000000.25', '{}', '+']);
  sh('touch', ['-h', '-d', '@1600000000.5', p('link')]);
  sh('touch', ['-d', NANO_MTIME, p('nanotime'), p('sub'), p('acl-dir')]);
}

export type Category = 'names' | 'type' | 'mode' | 'owner' | 'mtime' | 'content' | 'xattrs' | 'acls' | 'hardLinks' | 'sparse';
export type TreeDescription = Record<Category, Record<string, string>>;

/** getfattr's names escape bytes as \ooo (LC_ALL=C) and a backslash as \\. */
const ungetfattr = (s: string) => s.replace(/\\(\\|[0-7]{3})/g, (_, e: string) => (e === '\\' ? '\\' : String.fromCharCode(parseInt(e, 8))));

function attributes(root: string): Map<string, Map<string, string>> {
  const out = execFileSync('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '.'], { cwd: root, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 << 20 }).toString('latin1');
  const byPath = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  for (const line of out.split('\n')) {
    const f = /^# file: (.*)$/.exec(line);
    if (f) {
      const rel = ungetfattr(f[1]!).replace(/^\.\/?/, '') || '.';
      byPath.set(rel, (current = new Map()));
    } else if (current && line.includes('=')) {
      const i = line.indexOf('=');
      current.set(line.slice(0, i), line.slice(i + 1));
    }
  }
  return byPath;
}

/**
 * Every entry under `root` by category: path → what that category says of it. Two trees are as
 * faithful as each other in a category when the records are equal. The root folder's own mtime
 * and owner are left out (a copy's root is made by whoever made the copy's parent).
 */
export function describeTree(root: string): TreeDescription {
  const d: TreeDescription = { names: {}, type: {}, mode: {}, owner: {}, mtime: {}, content: {}, xattrs: {}, acls: {}, hardLinks: {}, sparse: {} };
  const attrs = attributes(root);
  const inodes = new Map<bigint, string[]>();
  const walk = (rel: string) => {
    const full = rel === '.' ? Buffer.from(root) : under(root, rel);
    const st = lstatSync(full, { bigint: true });
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : 'other';
    const key = JSON.stringify(rel);
    d.names[key] = Buffer.from(rel, 'binary').toString('hex');
    d.type[key] = type;
    d.mode[key] = (Number(st.mode) & 0o7777).toString(8);
    if (rel !== '.') d.owner[key] = `${st.uid}:${st.gid}`;
    // Symlinks and the fifo too (rsync's "symtimes"); nanoseconds, not the quick check's seconds.
    if (rel !== '.') d.mtime[key] = String(st.mtimeNs);
    const a = attrs.get(rel) ?? new Map<string, string>();
    const plain = [...a].filter(([n]) => !n.startsWith('system.posix_acl_')).sort();
    const acl = [...a].filter(([n]) => n.startsWith('system.posix_acl_')).sort();
    d.xattrs[key] = plain.map(([n, v]) => `${n}=${v.length > 80 ? `${v.length}:${createHash('sha256').update(v).digest('hex').slice(0, 16)}` : v}`).join(' ');
    d.acls[key] = acl.map(([n, v]) => `${n}=${v}`).join(' ');
    if (type === 'file') {
      d.content[key] = createHash('sha256').update(readFileSync(full)).digest('hex');
      if (st.size >= 1024n * 1024n) d.sparse[key] = st.blocks * 512n < st.size / 2n ? 'sparse' : `dense (${st.blocks} blocks)`;
      inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), rel]);
    }
    if (type === 'symlink') d.content[key] = `-> ${readlinkSync(full).toString()}`;
    if (type === 'dir') {
      for (const name of readdirSync(full, { encoding: 'buffer' })) walk(rel === '.' ? name.toString('binary') : `${rel}/${name.toString('binary')}`);
    }
  };
  walk('.');
  for (const group of inodes.values()) {
    if (group.length < 2) continue;
    const sorted = [...group].sort();
    for (const rel of sorted) d.hardLinks[JSON.stringify(rel)] = sorted.join(' = ');
  }
  return d;
}

export const CATEGORIES: readonly Category[] = ['names', 'type', 'mode', 'owner', 'mtime', 'content', 'xattrs', 'acls', 'hardLinks', 'sparse'];

/** The categories in which `copy` differs from `original`, each with its first differing entry (empty: as faithful). */
export function lostCategories(original: TreeDescription, copy: TreeDescription): string[] {
  const lost: string[] = [];
  for (const c of CATEGORIES) {
    const keys = [...new Set([...Object.keys(original[c]), ...Object.keys(copy[c])])].sort();
    const first = keys.find((k) => original[c][k] !== copy[c][k]);
    if (first !== undefined) lost.push(`${c}: ${first}: ${original[c][first] ?? '(absent)'} → ${copy[c][first] ?? '(absent)'}`);
  }
  return lost;
}

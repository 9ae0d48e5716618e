// The folder index built from rsync's own listing (-ii) instead of a walk of the snapshot: the same
// lines a walk writes, for names of every kind; on a night with changes only the files rsync wrote
// are looked at on the disk, the rest carry their line over from the previous index; and through
// real backup runs the manifest says how many files the night wrote.
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, linkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose } from '../../src/app/compose';
import type { Config, FolderComponent } from '../../src/config/schema';
import { runBackup } from '../../src/backup/backup-run';
import { planRsync } from '../../src/backup/folder-copy';
import { parseListingLine, RsyncListing } from '../../src/backup/rsync-listing';
import { run } from '../../src/process/runner';
import { Reporter } from '../../src/run/events';
import { indexFileName, readIndex, writeIndex, type IndexLine } from '../../src/backup-directory/folder-index';
import { cliEnv } from '../helpers/cli';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('index from rsync listing');

let root: string;

async function lines(file: string): Promise<IndexLine[]> {
  const out: IndexLine[] = [];
  for await (const l of readIndex(file)) out.push(l);
  return out;
}
/** A line without the "written" mark: what a walk of the same tree writes. */
const plain = (l: IndexLine) => ({ p: l.p, ...(l.b ? { b: l.b } : {}), s: l.s, m: l.m, ...(l.h ? { h: l.h } : {}) });

async function rsyncInto(src: string, dest: string, linkDest: string | null, spill: { dir: string; chunk: number } | null = null): Promise<RsyncListing> {
  const app = compose((await cliEnv(join(root, 'env'))).env);
  const rsync = await app.tools.find('rsync');
  const listing = new RsyncListing(spill);
  listing.active = true;
  const c = { name: 'x', type: 'folder', path: src } as FolderComponent;
  await run(planRsync(rsync, c, dest, linkDest, true), { onStdoutLine: (l) => void listing.take(l) });
  assert.is(listing.broken, 0);
  return listing;
}

function makeTree(dir: string): void {
  const b = (s: string) => Buffer.from(s, 'latin1');
  mkdirSync(join(dir, 'a'), { recursive: true });
  mkdirSync(join(dir, 'tief/x/y'), { recursive: true });
  mkdirSync(join(dir, 'leer'));
  // Per-directory order (rsync's) and path-byte order (the index's) differ: "a.txt" < "a/b" < "a0".
  for (const f of ['a.txt', 'a/b.txt', 'a0', 'Z', 'tief/x/y/z.bin', ' führendes Leerzeichen', 'pfeil -> ziel', 'doppelt => x', 'back\\#slash', 'tab\there', 'ende ']) writeFileSync(join(dir, f), `Inhalt ${f}`);
  writeFileSync(join(dir, 'caf\u00e9 NFC'), 'nfc');
  writeFileSync(join(dir, 'cafe\u0301 NFC'), 'nfd');
  writeFileSync(Buffer.concat([b(dir + '/M'), Buffer.from([0xfc]), b('ller.txt')]), 'latin1');
  writeFileSync(join(dir, 'neue\nZeile.txt'), 'nl');
  writeFileSync(join(dir, 'cr\rname'), 'cr');
  linkSync(join(dir, 'a.txt'), join(dir, 'tief/hardlink.txt'));
  symlinkSync('a.txt', join(dir, 'verweis'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  utimesSync(join(dir, 'a0'), 1_700_000_000.123, 1_700_000_000.123);
}

test.before(async () => {
  root = await makeTempDir('praxis-listing-');
});
test.after(async () => {
  await runCleanups();
});

test('listing lines: written, linked, in-tree link, not a file, escaped names', () => {
  assert.equal(parseListingLine('PBI >f+++++++++ 4 Briefe/neu.pdf'), { raw: 'Briefe/neu.pdf', size: 4, linked: false });
  assert.equal(parseListingLine('PBI hf          3 alt.pdf'), { raw: 'alt.pdf', size: 3, linked: true });
  assert.equal(parseListingLine('PBI hf+++++++++ 11 b.pdf'), { raw: 'b.pdf', size: 11, linked: false });
  assert.equal(parseListingLine('PBI cf........x 6 Notiz.txt'), { raw: 'Notiz.txt', size: 6, linked: false });
  assert.is(parseListingLine('PBI cd          4096 Briefe/'), 'other');
  assert.is(parseListingLine('PBI hL          7 verweis'), 'other');
  assert.is(parseListingLine('Number of files: 6 (reg: 4, dir: 2)'), null);
  assert.is(parseListingLine('   1,234  45%  1.00MB/s  0:00:01 (xfr#1, to-chk=3/6)'), null);
  // "\#374" is the byte 0xfc (Latin-1 ü), "\#012" a newline, "\#134" a backslash.
  assert.equal(parseListingLine('PBI >f+++++++++ 1 M\\#374ller'), { raw: 'M\xfcller', size: 1, linked: false });
  assert.equal(parseListingLine('PBI >f+++++++++ 1 neue\\#012Zeile'), { raw: 'neue\nZeile', size: 1, linked: false });
  assert.equal(parseListingLine('PBI >f+++++++++ 1 caf\\#303\\#251'), { raw: 'caf\xc3\xa9', size: 1, linked: false });
  assert.equal(parseListingLine('PBI >f+++++++++ 1 back\\#134#slash'), { raw: 'back\\#slash', size: 1, linked: false });
});

test('the index from rsync\'s listing is the index a walk writes: every name, hard links, no links/fifos/dirs', async () => {
  const src = join(root, 'src1');
  makeTree(src);
  const dest = join(root, 'snap1');
  const listing = await rsyncInto(src, dest, null);
  const stats: string[] = [];
  const viaListing = await writeIndex(dest, join(root, 'l1.gz'), { deep: true, listing, onStat: (p) => stats.push(p) });
  const walked = await writeIndex(dest, join(root, 'w1.gz'), { deep: true });
  const a = await lines(join(root, 'l1.gz'));
  const w = await lines(join(root, 'w1.gz'));
  assert.equal(a.map(plain), w.map(plain));
  assert.is(a.length, 17);
  assert.ok(a.every((l) => l.w === 1), 'a first backup wrote every file');
  assert.equal({ files: viaListing.files, written: viaListing.written }, { files: walked.files, written: 17 });
  assert.is(walked.written, undefined, 'a walk does not know what was written');
  assert.is(stats.length, 17);
});

test('a listing bigger than its memory chunk is sorted through spill files (0600, removed afterwards): the same index', async () => {
  const src = join(root, 'src-spill');
  makeTree(src);
  const spillDir = join(root, 'spill');
  mkdirSync(spillDir);
  const dest = join(root, 'snap-spill');
  const listing = await rsyncInto(src, dest, null, { dir: spillDir, chunk: 3 });
  const spilled = readdirSync(spillDir);
  assert.is(spilled.length, 5, '17 files in chunks of 3: five files spilled, two entries still in memory');
  for (const f of spilled) assert.is(statSync(join(spillDir, f)).mode & 0o777, 0o600);
  await writeIndex(dest, join(root, 'ls.gz'), { deep: false, listing });
  await writeIndex(dest, join(root, 'ws.gz'), { deep: false });
  assert.equal((await lines(join(root, 'ls.gz'))).map(plain), (await lines(join(root, 'ws.gz'))).map(plain));
  assert.equal(readdirSync(spillDir), [], 'spill files removed');
  // A copy that failed before the index: discard() removes what was spilled.
  const again = await rsyncInto(src, join(root, 'snap-spill2'), null, { dir: spillDir, chunk: 4 });
  assert.is(readdirSync(spillDir).length, 4);
  again.discard();
  assert.equal(readdirSync(spillDir), []);
});

test('a night with changes: only what rsync wrote is looked at; linked files keep their previous line; the result equals a walk', async () => {
  const src = join(root, 'src2');
  makeTree(src);
  const s1 = join(root, 's1');
  const l1 = await rsyncInto(src, s1, null);
  const prev = join(root, 'p.gz');
  const w1 = await writeIndex(s1, prev, { deep: true, listing: l1 });

  appendFileSync(join(src, 'a0'), ' geändert');
  writeFileSync(join(src, 'tief/neu.pdf'), 'neu');
  rmSync(join(src, 'Z'));
  execFileSync('setfattr', ['-n', 'user.note', '-v', 'x', join(src, 'a/b.txt')]);

  const s2 = join(root, 's2');
  const l2 = await rsyncInto(src, s2, s1);
  const stats: string[] = [];
  const hashed: string[] = [];
  const next = join(root, 'n.gz');
  const w2 = await writeIndex(s2, next, { deep: true, listing: l2, previous: { file: prev, sha256: w1.sha256 }, onStat: (p) => stats.push(p), onHashed: (p) => hashed.push(p) });
  const got = await lines(next);
  await writeIndex(s2, join(root, 'w2.gz'), { deep: true });
  assert.equal(got.map(plain), (await lines(join(root, 'w2.gz'))).map(plain));
  const written = got.filter((l) => l.w === 1).map((l) => l.p).sort();
  assert.equal(written, ['a/b.txt', 'a0', 'tief/neu.pdf'], 'changed content, new, and a new copy for the changed xattr');
  assert.equal(stats.sort(), written);
  assert.equal(hashed.sort(), ['a0', 'tief/neu.pdf'], 'the xattr-only copy keeps its hash (same size and mtime)');
  assert.is(w2.written, 3);
  assert.not.ok(got.some((l) => l.p === 'Z'));

  // A previous index that does not match its recorded sha256 lends nothing: every file is looked at.
  const s3 = join(root, 's3');
  const l3 = await rsyncInto(src, s3, s2);
  const stats3: string[] = [];
  await writeIndex(s3, join(root, 'n3.gz'), { deep: false, listing: l3, previous: { file: next, sha256: '0'.repeat(64) }, onStat: (p) => stats3.push(p) });
  assert.is(stats3.length, got.length);
  assert.equal((await lines(join(root, 'n3.gz'))).map((l) => l.p), got.map((l) => l.p));
});

test('backup runs: a quiet night writes nothing and its index equals a walk of its snapshot', async () => {
  const dir = join(root, 'runs');
  const src = join(dir, 'files');
  makeTree(src);
  const env = await cliEnv(dir);
  const app = compose(env.env);
  const config = { backupDir: join(dir, 'backups'), components: [{ name: 'files', type: 'folder', path: src }], retention: { keep: 5 }, mirrors: [] } as unknown as Config;
  const once = async () => {
    const s = await runBackup(config, { platform: app.platform, tools: app.tools, secrets: app.secretsFor(config), status: app.status, toolVersion: 'test' }, new Reporter([]), new AbortController().signal);
    assert.is(s.result, 'success', JSON.stringify(s.error));
    return s.path!;
  };
  const first = await once();
  const second = await once();
  for (const [path, written] of [[first, 17], [second, 0]] as const) {
    const idx = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')).components[0].index;
    assert.equal({ files: idx.files, written: idx.written }, { files: 17, written });
    const walk = join(root, `walk-${written}.gz`);
    await writeIndex(join(path, 'files'), walk, { deep: false });
    assert.equal((await lines(join(path, indexFileName('files')))).map(plain), (await lines(walk)).map(plain));
    // The quiet night carries the first night's lines as text: byte for byte what a walk writes
    // (their "w" marks dropped, nothing else touched).
    if (written === 0) assert.is(gunzipSync(readFileSync(join(path, indexFileName('files')))).toString(), gunzipSync(readFileSync(walk)).toString());
  }
});

test.run();

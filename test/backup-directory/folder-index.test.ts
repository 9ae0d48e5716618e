// The folder file index, on real trees and through real backup runs: every regular file with its
// size and mtime in path order, sha256 only when deep, and a second deep backup reads only the
// files that changed (the rest of the hashes come from the previous index).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose } from '../../src/app/compose';
import type { Config } from '../../src/config/schema';
import { runBackup } from '../../src/backup/backup-run';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { comparePaths, indexFileName, rawPathOf, rawPathOfText, readIndex, readIndexTexts, writeIndex, type IndexLine } from '../../src/backup-directory/folder-index';
import { cliEnv } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('folder file index');

let root: string;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function lines(file: string): Promise<IndexLine[]> {
  const out: IndexLine[] = [];
  for await (const l of readIndex(file)) out.push(l);
  return out;
}

test.before(async () => {
  root = await makeTempDir('praxis-index-');
});

test.after(async () => {
  await runCleanups();
});

test('every regular file once, in UTF-8 byte order of the path, with size and mtime; no hashes unless deep', async () => {
  const tree = join(root, 'tree');
  // Names chosen so that per-directory and whole-path order differ ("a.txt" < "a/…" < "a0"),
  // plus umlauts and a character beyond U+FFFF (UTF-16 and UTF-8 order differ there).
  for (const f of ['a/b.txt', 'a.txt', 'a0', 'Z', 'ä/ü.pdf', '\u{1F600}.txt', '\uFF5E.txt', 'leer/.keep', 'tief/x/y/z.bin']) {
    await mkdir(join(tree, f, '..'), { recursive: true });
    await writeFile(join(tree, f), `Inhalt von ${f}`);
  }
  await mkdir(join(tree, 'nur-ordner'));
  symlinkSync('a.txt', join(tree, 'verweis'));
  await utimes(join(tree, 'a0'), 1_700_000_000, 1_700_000_000);
  const file = join(root, 'plain.index.jsonl.gz');
  const w = await writeIndex(tree, file, { deep: false });
  const got = await lines(file);
  const paths = got.map((l) => l.p);
  assert.equal(paths, [...paths].sort(comparePaths), 'sorted by path bytes');
  assert.equal([...paths].sort(), ['Z', 'a.txt', 'a/b.txt', 'a0', 'leer/.keep', 'tief/x/y/z.bin', 'ä/ü.pdf', '\u{1F600}.txt', '\uFF5E.txt'].sort());
  assert.ok(paths.indexOf('\uFF5E.txt') < paths.indexOf('\u{1F600}.txt'), 'U+FF5E before U+1F600, as in UTF-8');
  assert.ok(paths.indexOf('a.txt') < paths.indexOf('a/b.txt') && paths.indexOf('a/b.txt') < paths.indexOf('a0'));
  assert.not.ok(paths.includes('verweis'), 'symlinks are not files of the index');
  for (const l of got) {
    const st = statSync(join(tree, l.p));
    assert.is(l.s, st.size, l.p);
    assert.is(l.m, Math.floor(st.mtimeMs), l.p);
    assert.is(l.h, undefined, 'no hash without deep');
  }
  assert.is(got.find((l) => l.p === 'a0')!.m, 1_700_000_000_000);
  assert.is(w.files, 9);
  assert.is(w.sha256, sha(readFileSync(file)), 'sha256 of the .gz file');
  assert.is(statSync(file).mode & 0o777, 0o600);
  // Plain gzip'd JSON lines: readable with zcat alone.
  assert.is(gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean).length, 9);
});

test('deep: the sha256 of every file; reused from a previous index only where path, size and mtime match', async () => {
  const tree = join(root, 'deep');
  await createSampleFiles(tree, { files: 40, bytesEach: 3000 });
  const first = join(root, 'deep1.index.jsonl.gz');
  const hashed1: string[] = [];
  const w1 = await writeIndex(tree, first, { deep: true, onHashed: (p) => hashed1.push(p) });
  const l1 = await lines(first);
  assert.is(w1.files, 40);
  assert.is(hashed1.length, 40, 'the first deep index reads every file');
  for (const l of l1) assert.is(l.h, sha(readFileSync(join(tree, l.p))), l.p);

  // One file changed (new content, same size: only the mtime tells), one added.
  const changed = l1[3]!.p;
  const old = readFileSync(join(tree, changed));
  writeFileSync(join(tree, changed), Buffer.from(old.map((b) => b ^ 1)));
  writeFileSync(join(tree, 'neu.txt'), 'neu');
  const second = join(root, 'deep2.index.jsonl.gz');
  const hashed2: string[] = [];
  const w2 = await writeIndex(tree, second, { deep: true, previous: { file: first, sha256: w1.sha256 }, onHashed: (p) => hashed2.push(p) });
  assert.equal(hashed2.sort(), [changed, 'neu.txt'].sort(), 'only the changed and the new file are read');
  assert.is(w2.hashed, 2);
  for (const l of await lines(second)) assert.is(l.h, sha(readFileSync(join(tree, l.p))), l.p);

  // A previous index that does not match its recorded sha256 lends nothing.
  const hashed3: string[] = [];
  await writeIndex(tree, join(root, 'deep3.index.jsonl.gz'), { deep: true, previous: { file: second, sha256: '0'.repeat(64) }, onHashed: (p) => hashed3.push(p) });
  assert.is(hashed3.length, 41);
});

test('names as bytes: not UTF-8 (Latin-1), a newline, 255 bytes — each line names its file exactly, readable in "p", exact in "b"; deep hashes reused for them too', async () => {
  const tree = join(root, 'odd');
  const at = (raw: string) => Buffer.from(`${tree}/${raw}`, 'latin1');
  const names = ['R\xf6ntgen.pdf', 'Befunde \xc4rzte/Bericht.pdf', 'neu\nzeile.txt', `${'\xe9'.repeat(251)}.pdf`, 'a\\b.txt', 'gew\xc3\xb6hnlich.txt', 'say "ja".txt', 'del\x7f.txt', 'plain.txt'];
  mkdirSync(at('Befunde \xc4rzte'), { recursive: true });
  for (const n of names) writeFileSync(at(n), `Inhalt ${n.length}`);
  const first = join(root, 'odd1.index.jsonl.gz');
  const w1 = await writeIndex(tree, first, { deep: true });
  const got = await lines(first);
  const raws = got.map(rawPathOf);
  assert.equal([...raws].sort(), [...names].sort(), 'every name, byte for byte');
  assert.equal(raws, [...raws].sort(), 'in byte order');
  const line = (raw: string) => got[raws.indexOf(raw)]!;
  assert.equal(line('R\xf6ntgen.pdf'), { ...line('R\xf6ntgen.pdf'), p: 'R\\xf6ntgen.pdf', b: Buffer.from('R\xf6ntgen.pdf', 'latin1').toString('base64') });
  assert.is(line('neu\nzeile.txt').p, 'neu\nzeile.txt', 'valid UTF-8: "p" as it is, no "b"');
  assert.is(line('neu\nzeile.txt').b, undefined);
  assert.is(line('gew\xc3\xb6hnlich.txt').p, 'gewöhnlich.txt');
  // The shortcut the readers take (the path off the line's text, parsed only when it is not plain
  // ASCII) names the same file as the full parse, for every line.
  const texts: string[] = [];
  for await (const chunk of readIndexTexts(first)) texts.push(...chunk);
  assert.is(texts.length, names.length);
  assert.equal(texts.map(rawPathOfText), texts.map((t) => rawPathOf(JSON.parse(t))));
  for (const l of got) assert.is(l.h, sha(readFileSync(at(rawPathOf(l)))));
  // The previous index is read alongside in byte order: nothing changed, nothing re-read.
  const hashed: string[] = [];
  await writeIndex(tree, join(root, 'odd2.index.jsonl.gz'), { deep: true, previous: { file: first, sha256: w1.sha256 }, onHashed: (p) => hashed.push(p) });
  assert.equal(hashed, []);
});

test('backup runs: the index beside the manifest, recorded in it; a second deep run re-reads only changed files', async () => {
  const dir = join(root, 'runs');
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: 25, bytesEach: 2048 });
  const env = await cliEnv(dir);
  const app = compose(env.env);
  const config = { backupDir: join(dir, 'backups'), components: [{ name: 'files', type: 'folder', path: src }], retention: { keep: 5 }, mirrors: [] } as unknown as Config;
  const events: StampedEvent[] = [];
  const once = async (deepIndex: boolean) => {
    const since = events.length;
    const s = await runBackup(config, { platform: app.platform, tools: app.tools, secrets: app.secretsFor(config), status: app.status, toolVersion: 'test', deepIndex }, new Reporter([(e) => events.push(e)]), new AbortController().signal);
    assert.is(s.result, 'success', JSON.stringify(s.error));
    const written = events.slice(since).find((e) => e.type === 'log' && e.message.key === 'run.index.written');
    const deep = written?.type === 'log' ? (written.message.params?.deep as { params?: { hashed: number } } | '') : '';
    return { path: s.path!, hashed: deep ? deep.params!.hashed : null };
  };

  const plain = await once(false);
  const m = JSON.parse(readFileSync(join(plain.path, 'manifest.json'), 'utf8'));
  const idx = m.components[0].index;
  assert.equal({ ...idx, sha256: undefined }, { path: indexFileName('files'), sha256: undefined, files: 25, deep: false, format: 2, written: 25 });
  assert.is(idx.sha256, sha(readFileSync(join(plain.path, idx.path))));
  assert.is(plain.hashed, null);

  const deep1 = await once(true);
  assert.is(deep1.hashed, 25, 'the first deep index after a plain one reads every file');
  writeFileSync(join(src, 'neu.pdf'), 'neuer Befund');
  const deep2 = await once(true);
  assert.is(deep2.hashed, 1, 'only the new file is read');
  const m2 = JSON.parse(readFileSync(join(deep2.path, 'manifest.json'), 'utf8'));
  assert.equal({ files: m2.components[0].index.files, deep: m2.components[0].index.deep }, { files: 26, deep: true });
  for (const l of await lines(join(deep2.path, indexFileName('files')))) assert.is(l.h, sha(readFileSync(join(src, l.p))), l.p);
});

test.run();

// The one tree walk, on real trees: names as bytes in byte order, paths deeper than PATH_MAX
// (reached through directory descriptors), their removal, and errors that name the path readably.
import { execa } from 'execa';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatRaw, removeTree, TreeRoot, walkTree } from '../../src/backup-directory/tree-walk';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('tree walk');
let root: string;
const at = (...parts: string[]) => Buffer.from(parts.join('/'), 'latin1');

test.before(async () => {
  root = await makeTempDir('praxis-tree-walk-');
});
test.after(async () => {
  await execa('rm', ['-rf', join(root, 'deep')], { reject: false });
  await runCleanups();
});

test('every entry but directories, names as bytes, in path byte order ("a.txt" < "a/…" < "a0")', () => {
  const dir = join(root, 'order');
  for (const d of ['a', 'D\xe4r']) mkdirSync(at(dir, d), { recursive: true });
  for (const f of ['a.txt', 'a/b', 'a0', 'D\xe4r/f\xfc', 'R\xf6ntgen.pdf', 'neu\nzeile']) writeFileSync(at(dir, f), Buffer.from(f, 'latin1'));
  const tree = new TreeRoot(dir);
  try {
    const got = [...walkTree(tree)];
    assert.equal(got.map((e) => e.raw), ['D\xe4r/f\xfc', 'R\xf6ntgen.pdf', 'a.txt', 'a/b', 'a0', 'neu\nzeile']);
    assert.ok(got.every((e) => e.kind === 'file'));
    assert.is(lstatRaw(tree, 'R\xf6ntgen.pdf')!.size, 'R\xf6ntgen.pdf'.length);
    assert.is(lstatRaw(tree, 'gibt-es-nicht'), undefined);
  } finally {
    tree.close();
  }
});

test('paths beyond PATH_MAX are walked, read and removed', async () => {
  const dir = join(root, 'deep');
  const names = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')}${'n'.repeat(240)}`);
  // Made with cd -P, one level at a time: no single path longer than a name.
  await execa('sh', ['-c', 'mkdir -p "$1" && cd "$1" && shift && for d; do mkdir "$d" && cd -P "$d" && echo x > f || exit 1; done', 'sh', dir, ...names]);
  const tree = new TreeRoot(dir);
  try {
    const files = [...walkTree(tree)].map((e) => e.raw);
    assert.is(files.length, names.length);
    const deepest = files.reduce((a, b) => (b.length > a.length ? b : a));
    assert.ok(Buffer.byteLength(dir) + deepest.length > 2 * 4096, `deeper than two PATH_MAX: ${deepest.length}`);
    assert.is(lstatRaw(tree, deepest)!.size, 2);
  } finally {
    tree.close();
  }
  await removeTree(dir);
  assert.not.ok(existsSync(dir));
});

test('a folder that cannot be read: the error names it readably, not as lossy UTF-8', () => {
  const missing = at(root, 'fehlt-\xe4');
  const tree = new TreeRoot(missing);
  try {
    assert.throws(() => [...walkTree(tree)], (e: Error) => e.message === `ENOENT: no such file or directory, scandir '${root}/fehlt-\\xe4'`);
  } finally {
    tree.close();
  }
});

test.run();

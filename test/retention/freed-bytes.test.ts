// freedByPrefix (src/retention/freed-bytes.ts) against the real thing: trees of hard-linked backup
// folders (as rsync --link-dest leaves them) on the test's disk, and `du` of the whole disk folder
// before and after `rm -rf` of the first k folders. What du loses is what the removal gave back;
// freedByPrefix must say it in advance, for every k, and what each folder alone holds. Layouts:
// a chain of snapshots, a folder whose files all live on in a kept one (only its directories go),
// a file also linked from outside the backups, several names for one file inside one folder,
// nested and empty folders, and a removal order that is not the folders' age.
import { execa } from 'execa';
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freedByPrefix } from '../../src/retention/freed-bytes';
import { makeTempDir, runCleanups } from '../helpers/temp';

/** A file: new content of `size` bytes (a byte pattern from `seed`), or a hard link to a file of an earlier folder / outside. */
type FileSpec = { path: string; size: number; seed: number } | { path: string; linkTo: string };
interface Layout {
  folders: { name: string; files: FileSpec[]; dirs?: string[] }[];
  /** Files outside the backup folders (e.g. a practice's own copy) that folders may link to. */
  outside?: { path: string; size: number; seed: number }[];
  /** Removal order (folder names); default: as listed. */
  order?: string[];
}

function build(disk: string, l: Layout): { backups: string } {
  const backups = join(disk, 'backups');
  mkdirSync(backups, { recursive: true });
  const write = (abs: string, size: number, seed: number) => {
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, Buffer.alloc(size, seed % 251));
  };
  for (const o of l.outside ?? []) write(join(disk, o.path), o.size, o.seed);
  for (const f of l.folders) {
    const root = join(backups, f.name);
    mkdirSync(root);
    for (const d of f.dirs ?? []) mkdirSync(join(root, d), { recursive: true });
    for (const s of f.files) {
      const abs = join(root, s.path);
      if ('size' in s) write(abs, s.size, s.seed);
      else {
        mkdirSync(dirname(abs), { recursive: true });
        linkSync(join(disk, s.linkTo), abs); // linkTo: relative to the disk ("backups/<id>/…" or an outside path)
      }
    }
  }
  return { backups };
}

/** Allocated bytes of everything under `dir`, each inode once (du's own rule), from st_blocks. */
async function du(dir: string): Promise<number> {
  const out = (await execa('du', ['-s', '--block-size=1', dir])).stdout;
  return Number(out.split('\t')[0]);
}

let n = 0;
/** For each k: a fresh copy of the layout, du, rm -rf of the first k folders in removal order, du again. */
async function measured(base: string, l: Layout): Promise<{ prefix: number[]; only: number[] }> {
  const order = l.order ?? l.folders.map((f) => f.name);
  const prefix: number[] = [];
  for (let k = 1; k <= order.length; k++) {
    const disk = join(base, `disk-${++n}`);
    const { backups } = build(disk, l);
    const before = await du(disk);
    await execa('rm', ['-rf', ...order.slice(0, k).map((id) => join(backups, id))]);
    prefix.push(before - (await du(disk)));
  }
  const only: number[] = [];
  for (const id of order) {
    const disk = join(base, `disk-${++n}`);
    const { backups } = build(disk, l);
    const before = await du(disk);
    await execa('rm', ['-rf', join(backups, id)]);
    only.push(before - (await du(disk)));
  }
  return { prefix, only };
}

let base: string;
test.before(async () => {
  base = await makeTempDir('freed-bytes-');
});
test.after(runCleanups);

async function check(name: string, l: Layout): Promise<{ prefix: number[]; only: number[] }> {
  const disk = join(base, `predict-${name}`);
  const { backups } = build(disk, l);
  const order = l.order ?? l.folders.map((f) => f.name);
  const predicted = await freedByPrefix(order.map((id) => join(backups, id)));
  const real = await measured(base, l);
  assert.equal(predicted.prefix, real.prefix, `${name}: freed by the first k`);
  assert.equal(predicted.only, real.only, `${name}: what each folder alone holds`);
  return predicted;
}

const KB = 1024;

/** rsync --link-dest: each night links what did not change to the night before and writes what did. */
function chain(nights: number, files: number, changedPerNight: number): Layout {
  const folders: Layout['folders'] = [];
  const current = new Map<string, string>(); // path → disk-relative path of its newest copy
  for (let night = 0; night < nights; night++) {
    const name = `202611${String(night + 1).padStart(2, '0')}_031500`;
    const specs: FileSpec[] = [];
    for (let f = 0; f < files; f++) {
      const path = `anhaenge/${f % 3 === 0 ? 'scans/' : ''}brief-${f}.pdf`;
      const changed = night === 0 || (f + night) % Math.max(1, Math.floor(files / changedPerNight)) === 0;
      if (changed || !current.has(path)) specs.push({ path, size: (3 + ((f * 7 + night) % 40)) * KB + (f % 5) * 100, seed: f * 31 + night });
      else specs.push({ path, linkTo: current.get(path)! });
      current.set(path, `backups/${name}/${path}`);
    }
    specs.push({ path: 'datenbank.pgdump', size: (60 + night) * KB, seed: night }); // dumps: a full copy every night
    folders.push({ name, files: specs });
  }
  return { folders };
}

test('a chain of hard-linked nightly snapshots: each prefix and each folder alone, as du measures them', async () => {
  const p = await check('chain', chain(6, 24, 4));
  assert.ok(p.prefix.every((b, i) => i === 0 || b > p.prefix[i - 1]!), 'each further folder frees something (its dump at least)');
  // Removing all frees more than the folders alone hold together: the shared files go with the last of them.
  assert.ok(p.prefix.at(-1)! > p.only.reduce((a, b) => a + b, 0));
});

test('a folder whose files all live on in a kept folder frees only its directories', async () => {
  const l: Layout = {
    folders: [
      { name: '20261101_031500', files: [{ path: 'a/x.pdf', size: 40 * KB, seed: 1 }, { path: 'a/b/y.pdf', size: 90 * KB, seed: 2 }], dirs: ['leer/auch-leer'] },
      { name: '20261102_031500', files: [{ path: 'a/x.pdf', linkTo: 'backups/20261101_031500/a/x.pdf' }, { path: 'a/b/y.pdf', linkTo: 'backups/20261101_031500/a/b/y.pdf' }] },
    ],
    order: ['20261101_031500'],
  };
  const p = await check('only-dirs', l);
  // Five directories (the folder, a, a/b, leer, leer/auch-leer), no file: the kept folder holds both.
  const disk = join(base, 'only-dirs-stat');
  build(disk, { folders: [{ name: 'x', files: [], dirs: ['d'] }] });
  const dirBytes = (await du(join(disk, 'backups', 'x'))) / 2;
  assert.is(p.prefix[0], 5 * dirBytes);
  assert.is(p.only[0], 5 * dirBytes);
});

test('a file also linked from outside the backups is never counted as freed', async () => {
  const l: Layout = {
    outside: [{ path: 'praxis/eigene-kopie.pdf', size: 120 * KB, seed: 9 }],
    folders: [
      { name: '20261101_031500', files: [{ path: 'kopie.pdf', linkTo: 'praxis/eigene-kopie.pdf' }, { path: 'neu.pdf', size: 10 * KB, seed: 3 }] },
      { name: '20261102_031500', files: [{ path: 'kopie.pdf', linkTo: 'praxis/eigene-kopie.pdf' }] },
    ],
  };
  const p = await check('outside', l);
  assert.ok(p.prefix[1]! < 120 * KB, `even with both folders gone the outside copy stays: ${p.prefix[1]}`);
});

test('several names for one file in one folder, nested and empty folders, a removal order not by age', async () => {
  const l: Layout = {
    folders: [
      { name: '20261101_031500', files: [{ path: 'p/q/r/tief.dcm', size: 200 * KB, seed: 4 }, { path: 'zweimal-1.pdf', size: 33 * KB, seed: 5 }, { path: 'zweimal-2.pdf', linkTo: 'backups/20261101_031500/zweimal-1.pdf' }], dirs: ['leer'] },
      { name: '20261102_031500', files: [{ path: 'p/q/r/tief.dcm', linkTo: 'backups/20261101_031500/p/q/r/tief.dcm' }, { path: 'klein.txt', size: 1, seed: 6 }] },
      { name: '20261103_031500', files: [{ path: 'p/q/r/tief.dcm', linkTo: 'backups/20261101_031500/p/q/r/tief.dcm' }, { path: 'zweimal.pdf', linkTo: 'backups/20261101_031500/zweimal-1.pdf' }] },
      { name: '20261104_031500', files: [] },
    ],
    // The middle ones first (a disk making room keeps the newest and, say, a quarter archive).
    order: ['20261102_031500', '20261104_031500', '20261101_031500', '20261103_031500'],
  };
  const p = await check('mixed', l);
  // tief.dcm goes only with the last of the three folders holding it.
  assert.ok(p.prefix[3]! - p.prefix[2]! >= 200 * KB, 'the big shared file is freed by the last folder holding it');
  assert.ok(p.prefix[2]! - p.prefix[1]! < 200 * KB);
});

test('an empty list frees nothing', async () => {
  assert.equal(await freedByPrefix([]), { prefix: [], only: [] });
});

test.run();

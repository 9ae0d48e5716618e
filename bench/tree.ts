// Deterministic attachment-like trees for the benchmark: the same file count gives the same paths,
// sizes and bytes on every run (so a kept work dir can be reused, and two runs compare the same data).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** mulberry32: small, fast, good enough to pick sizes and names deterministically. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pool of pseudo-random (incompressible, like PDFs, JPEGs and DICOM) bytes that file bodies are cut from. */
function contentPool(bytes: number): Buffer {
  const words = new Uint32Array(bytes / 4);
  let x = 0x9e3779b9;
  let y = 0x243f6a88;
  let z = 0xb7e15162;
  let w = 0xdeadbeef;
  for (let i = 0; i < words.length; i++) {
    // xorshift128
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    words[i] = w;
  }
  return Buffer.from(words.buffer);
}

const POOL_BYTES = 8 * 1024 * 1024;
let pool: Buffer | undefined;

function logUniform(r: number, lo: number, hi: number): number {
  return Math.round(Math.exp(Math.log(lo) + r * (Math.log(hi) - Math.log(lo))));
}

export type SizeProfile = 'attachments' | 'attachments-large' | 'tiny';

/**
 * attachments: 88 % letters and forms of 1–8 KB, 10 % 8–32 KB, 1.6 % 32–64 KB, 0.35 % scans of
 * 64–512 KB, 0.05 % ultrasound clips of 1–2 MB: about 7 KB per file on average.
 * attachments-large: a practice that also keeps scans and imaging (bench:load's 1 GB in 50 000
 * files): 77 % letters of 2–16 KB, 18 % 16–64 KB, 4 % scans of 64–256 KB, 0.7 % of 256 KB – 1 MB,
 * 0.08 % clips of 1–4 MB: about 21 KB per file on average.
 * tiny: 200 B – 2 KB (for the memory test, where only the file count matters).
 */
function fileSize(r1: number, r2: number, profile: SizeProfile): number {
  const K = 1024;
  if (profile === 'tiny') return logUniform(r2, 200, 2 * K);
  if (profile === 'attachments-large') {
    if (r1 < 0.7722) return logUniform(r2, 2 * K, 16 * K);
    if (r1 < 0.9522) return logUniform(r2, 16 * K, 64 * K);
    if (r1 < 0.9922) return logUniform(r2, 64 * K, 256 * K);
    if (r1 < 0.9992) return logUniform(r2, 256 * K, 1024 * K);
    return logUniform(r2, 1024 * K, 4096 * K);
  }
  if (r1 < 0.88) return logUniform(r2, 1 * K, 8 * K);
  if (r1 < 0.98) return logUniform(r2, 8 * K, 32 * K);
  if (r1 < 0.996) return logUniform(r2, 32 * K, 64 * K);
  if (r1 < 0.9995) return logUniform(r2, 64 * K, 512 * K);
  return logUniform(r2, 1024 * K, 2048 * K);
}

const CATEGORIES: { dir: string; weight: number; prefix: string; ext: string }[] = [
  { dir: 'Briefe', weight: 0.35, prefix: 'Arztbrief', ext: 'pdf' },
  { dir: 'Scans', weight: 0.25, prefix: 'Scan', ext: 'pdf' },
  { dir: 'Befunde/Labor', weight: 0.2, prefix: 'Laborbefund', ext: 'pdf' },
  { dir: 'Überweisungen', weight: 0.12, prefix: 'Überweisung', ext: 'pdf' },
  { dir: 'Ultraschall', weight: 0.08, prefix: 'US', ext: 'jpg' },
];

export interface TreeInfo {
  root: string;
  files: number;
  bytes: number;
  dirs: number;
}

interface Marker extends TreeInfo {
  profile: SizeProfile;
  seed: number;
  version: number;
}

const MARKER = '.bench-tree.json';
const MARKER_VERSION = 1;

/**
 * Writes `files` files under `root` (Briefe/2019/03/Arztbrief_P004711_20190312_17.pdf, …). The
 * marker file `root/../<name>.bench-tree.json` says it is complete; a complete tree with the same
 * parameters is reused as it is.
 */
export async function makeTree(
  root: string,
  files: number,
  opts: { profile?: SizeProfile; seed?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<TreeInfo & { reused: boolean }> {
  const profile = opts.profile ?? 'attachments';
  const seed = opts.seed ?? 20261124;
  const markerPath = `${root}${MARKER}`;
  if (existsSync(markerPath) && existsSync(root)) {
    const m = JSON.parse(await readFile(markerPath, 'utf8')) as Marker;
    if (m.files === files && m.profile === profile && m.seed === seed && m.version === MARKER_VERSION) {
      return { root, files: m.files, bytes: m.bytes, dirs: m.dirs, reused: true };
    }
    throw new Error(`${root} holds a different benchmark tree (${m.files} files, ${m.profile}); remove it or use another --work dir`);
  }
  pool ??= contentPool(POOL_BYTES);
  const rnd = prng(seed ^ files);

  // Plan every file first (paths, sizes), then create the folders, then write with some concurrency.
  const plan: { path: string; size: number; offset: number }[] = [];
  const dirs = new Set<string>();
  for (let i = 0; i < files; i++) {
    let r = rnd();
    let cat = CATEGORIES[CATEGORIES.length - 1]!;
    for (const c of CATEGORIES) {
      if (r < c.weight) {
        cat = c;
        break;
      }
      r -= c.weight;
    }
    const year = 2015 + Math.floor(rnd() * 11);
    const month = 1 + Math.floor(rnd() * 12);
    const day = 1 + Math.floor(rnd() * 28);
    const patient = 1 + Math.floor(rnd() * 20000);
    const mm = String(month).padStart(2, '0');
    const dir = `${cat.dir}/${year}/${mm}`;
    dirs.add(dir);
    const name = `${cat.prefix}_P${String(patient).padStart(6, '0')}_${year}${mm}${String(day).padStart(2, '0')}_${i}.${cat.ext}`;
    const size = fileSize(rnd(), rnd(), profile);
    const offset = Math.floor(rnd() * (POOL_BYTES - size - 64));
    plan.push({ path: `${dir}/${name}`, size, offset });
  }
  for (const d of dirs) await mkdir(join(root, d), { recursive: true });

  let bytes = 0;
  let next = 0;
  let done = 0;
  let lastReport = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= plan.length) return;
      const f = plan[i]!;
      const header = Buffer.from(`%praxis-backup bench file ${i}\n`);
      const body = pool!.subarray(f.offset, f.offset + Math.max(0, f.size - header.length));
      await writeFile(join(root, f.path), Buffer.concat([header, body]));
      bytes += header.length + body.length;
      done++;
      if (opts.onProgress && (done - lastReport >= 5000 || done === plan.length)) {
        lastReport = done;
        opts.onProgress(done, plan.length);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const info: TreeInfo = { root, files, bytes, dirs: dirs.size };
  await writeFile(markerPath, JSON.stringify({ ...info, profile, seed, version: MARKER_VERSION } satisfies Marker, null, 2) + '\n');
  return { ...info, reused: false };
}

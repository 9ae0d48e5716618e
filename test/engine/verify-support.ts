// What the verify tests share: the fields a backup records for verification (row counts per
// table, the folders' file index) written into a real backup's manifest when the backup did not
// record them itself — made from the same real data (counted in the live database right after
// the backup, the index from the backup's own copy), so the tests check what verify does with
// them, whoever wrote them.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface ManifestJson {
  id: string;
  components: { name: string; type: string; path: string; bytes: number; sha256?: string; rows?: Record<string, number>; index?: { path: string; sha256: string; files: number; deep: boolean } }[];
  [k: string]: unknown;
}

export const readManifest = (backup: string): ManifestJson => JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8'));
export const writeManifest = (backup: string, m: ManifestJson): void => writeFileSync(join(backup, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function files(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...files(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** The index file as manifest.ts describes it, written from the backup's copy of the folder. */
export function writeIndex(backup: string, component: string, deep: boolean): { path: string; sha256: string; files: number; deep: boolean } {
  const root = join(backup, component);
  const paths = files(root).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const lines = paths.map((p) => {
    const st = statSync(join(root, p));
    return JSON.stringify({ p, s: st.size, m: Math.floor(st.mtimeMs), ...(deep ? { h: sha256(readFileSync(join(root, p))) } : {}) });
  });
  const gz = gzipSync(lines.join('\n') + '\n');
  const path = `${component}.index.jsonl.gz`;
  writeFileSync(join(backup, path), gz, { mode: 0o600 }); // private, as the backup writes it (verify checks modes)
  return { path, sha256: sha256(gz), files: paths.length, deep };
}

/**
 * Rows and index where the backup did not record them. `rows`: component name → table → count
 * (taken from the live database right after the backup, nothing having written in between).
 */
export function addVerifyData(backup: string, rows: Record<string, Record<string, number>>, opts: { deep?: boolean; force?: boolean } = {}): ManifestJson {
  const m = readManifest(backup);
  for (const c of m.components) {
    if (c.type === 'folder' && (opts.force || !c.index)) c.index = writeIndex(backup, c.name, opts.deep ?? false);
    if (c.type !== 'folder' && rows[c.name] && (opts.force || !c.rows)) c.rows = rows[c.name];
  }
  writeManifest(backup, m);
  return m;
}

/** Changes `count` bytes in the middle of a file, size unchanged (bit rot, a tampered copy). */
export function flipBytes(file: string, count = 16): void {
  const b = readFileSync(file);
  const at = Math.floor(b.length / 2);
  for (let i = 0; i < count && at + i < b.length; i++) b[at + i] = b[at + i]! ^ 0xff;
  writeFileSync(file, b);
}

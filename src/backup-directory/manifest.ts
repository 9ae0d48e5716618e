// manifest.json: written last and fsync'd; "status": "complete" is what makes a folder a backup.
// Everything a restore (by us or by hand) needs to know about the backup is in here, and no
// secret ever is.
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { COMPONENT_TYPES } from '../config/schema';
import { fsyncDir } from '../platform/fsync';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;

const componentEntry = z.object({
  name: z.string(),
  type: z.enum(COMPONENT_TYPES),
  /** Relative to the backup folder. */
  path: z.string(),
  bytes: z.number(),
  files: z.number().optional(),
  sha256: z.string().optional(),
  database: z.string().optional(),
  serverVersion: z.string().optional(),
  dumpTool: z.object({ path: z.string(), version: z.string() }).optional(),
  /** Folder components: bytes actually written (not hard-linked) in this backup. */
  bytesCopied: z.number().optional(),
  source: z.string().optional(),
  warnings: z.array(z.string()).default([]),
  /**
   * Database components: rows per table as the dump must contain them, counted inside the dump's
   * own snapshot or in the dump itself (see rowsExact). Keys: "schema.table" (PostgreSQL), "table" (MariaDB/MySQL).
   */
  rows: z.record(z.number().int().nonnegative()).optional(),
  /**
   * How exact `rows` is. "snapshot": counted in the very snapshot pg_dump read (PostgreSQL,
   * pg_export_snapshot + --snapshot). "dump": counted in the dump itself as it was written
   * (MariaDB/MySQL: the rows of its INSERT statements), exactly what a restore loads.
   * "consistent-snapshot": counted in a START TRANSACTION WITH CONSISTENT SNAPSHOT of its own,
   * beside mariadb-dump's; exact for InnoDB tables when nothing wrote in between (older backups,
   * and the fallback when a dump cannot be counted; see the MariaDB dump's comment).
   */
  rowsExact: z.enum(['snapshot', 'dump', 'consistent-snapshot']).optional(),
  /**
   * MariaDB/MySQL: objects left out of the dump because they were broken when it was taken (a view
   * on a dropped function or table cannot be dumped or loaded): a restore and its test know they are missing.
   */
  missingObjects: z.array(z.object({ kind: z.string(), name: z.string(), reason: z.string() })).optional(),
  /**
   * Folder components: the file index, a gzip'd JSON-lines file beside the manifest (one line per
   * file: {"p": relative path, "s": size, "m": mtime in ms, "h"?: sha256 hex}); `deep` says whether
   * every line carries "h". `format` 2: a path that is not valid UTF-8 has its bytes in "b"
   * (base64); absent (1): such paths were not recorded (folder-index.ts).
   */
  // written: how many of them this backup wrote (new or changed, the lines with "w":1); absent when the index was walked.
  index: z.object({ path: z.string(), sha256: z.string(), files: z.number().int(), deep: z.boolean(), format: z.number().int().optional(), written: z.number().int().optional() }).optional(),
  /**
   * PostgreSQL components: the database's own owner, comment, connection limit, privileges and
   * settings, read in pg_dump's snapshot (postgres-db-settings.ts). The dump carries them; this is
   * what a restore checks the result against.
   */
  databaseSettings: z.object({
    owner: z.string(),
    comment: z.string().nullable(),
    connectionLimit: z.number().int(),
    acl: z.array(z.string()),
    settings: z.array(z.string()),
    roleSettings: z.record(z.array(z.string())),
  }).optional(),
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string(),
  status: z.literal('complete'),
  tool: z.object({ name: z.literal('praxis-backup'), version: z.string() }),
  host: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  components: z.array(componentEntry),
  warnings: z.array(z.string()).default([]),
  /**
   * Who made it: the schedule, somebody by hand (menu, CLI), or a restore (its safety backup,
   * which retention keeps for a week whatever the policy says). Absent in older backups.
   */
  trigger: z.enum(['schedule', 'manual', 'restoreSafety']).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestComponent = z.infer<typeof componentEntry>;

/** Write atomically and durably: temp file, fsync, rename, fsync the folder. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const tmp = join(dir, `.${MANIFEST_FILE}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(manifest, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, MANIFEST_FILE));
  await fsyncDir(dir);
}

export function parseManifest(text: string): Manifest | null {
  try {
    const r = manifestSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

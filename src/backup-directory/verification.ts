// verification.json: what `verify` found in one backup folder, written beside its manifest
// wherever the folder lies (the backup directory, a mirror's copy). A file of the backup directory
// like the manifest, so the destinations that copy and check backups read it from here, below the
// verify capability that makes it.
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Message } from '../i18n';
import { fsyncDir } from '../platform/fsync';
import type { ManifestComponent } from './manifest';

export const VERIFICATION_FILE = 'verification.json';


export interface VerifyResult {
  backupId: string;
  /** 'local' or the mirror's name. */
  destination: string;
  /** No problem found (warnings, e.g. "row counts not recorded", do not make it fail). */
  ok: boolean;
  checked: { checksums: boolean; index: boolean; deep: boolean; restoreTest: boolean };
  problems: Message[];
  warnings: Message[];
  durationMs: number;
  /** ISO time the verification started. */
  at: string;
}

/** verification.json: the result plus what exactly was looked at, for whoever opens the folder later. */
export interface VerificationRecord extends VerifyResult {
  format: 1;
  tool: { name: 'praxis-backup'; version: string };
  /** Seed of the content sample (non-deep): the same seed picks the same files again. */
  sampleSeed?: string;
  /** The check after a backup: which slice of the folders was read tonight (0-based) of how many (each file once within `nights` nights). */
  slice?: { night: number; nights: number };
  components: { name: string; type: ManifestComponent['type']; checksum?: boolean; files?: number; contentChecked?: number; tables?: number; rowsCompared?: number }[];
}

/**
 * verification.json beside the manifest, atomically (temp + fsync + rename): a reader never sees
 * half of it. 0600 like every file of a backup: it names the practice's components and tables.
 */
export async function writeVerification(backupPath: string, record: VerificationRecord, toolVersion?: string): Promise<void> {
  const tmp = join(backupPath, `.${VERIFICATION_FILE}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    const r = toolVersion ? { ...record, tool: { name: 'praxis-backup' as const, version: toolVersion } } : record;
    await fh.writeFile(JSON.stringify(r, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(backupPath, VERIFICATION_FILE));
  await fsyncDir(backupPath);
}

/** lastVerified of the destination: what the tray shows and the age alerts count from. */

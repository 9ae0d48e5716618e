// A catalogue entry for the pure retention and space tests: a complete backup's id, folder and
// manifest, without writing anything. Only what a test sets differs from a plain nightly backup.
import type { BackupEntry } from '../../src/backup-directory/catalog';
import { MANIFEST_FORMAT, type Manifest } from '../../src/backup-directory/manifest';

/** The id's own digits read as UTC ("20260503_031500" → 2026-05-03T03:15:00.000Z), plus `plusMs`. */
export const isoOfId = (id: string, plusMs = 0): string =>
  new Date(Date.UTC(+id.slice(0, 4), +id.slice(4, 6) - 1, +id.slice(6, 8), +id.slice(9, 11), +id.slice(11, 13), +id.slice(13, 15)) + plusMs).toISOString();

export interface EntryOptions {
  /** The folder that holds it (default /backups). */
  dir?: string;
  bytes?: number;
  host?: string;
  startedAt?: string;
  finishedAt?: string;
  components?: Manifest['components'];
  trigger?: Manifest['trigger'];
}

export function backupEntry(id: string, o: EntryOptions = {}): BackupEntry {
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    id,
    status: 'complete',
    tool: { name: 'praxis-backup', version: 'test' },
    host: o.host ?? 'praxis-server',
    startedAt: o.startedAt ?? isoOfId(id),
    finishedAt: o.finishedAt ?? isoOfId(id),
    components: o.components ?? [],
    warnings: [],
    ...(o.trigger ? { trigger: o.trigger } : {}),
  };
  return { id, path: `${o.dir ?? '/backups'}/${id}`, manifest, bytes: o.bytes ?? 0 };
}

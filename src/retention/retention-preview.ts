// What the retention policy would do to the local backup directory now, and what it needs once
// full (`praxis-backup retention preview`; `retention apply` shows the same list before it asks).
// Read without the lock: a run may be writing a new backup or removing old ones meanwhile, so a
// folder that vanishes during the measuring walk restarts it with a fresh catalogue (a removal
// renames the folder first; the walk then finds it gone).
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BackupEntry } from '../backup-directory/catalog';
import { readCatalog } from '../backup-directory/catalog';
import { diskSpace, RESERVE_FRACTION } from '../backup-directory/space-check';
import type { Config } from '../config/schema';
import type { StatusStore } from '../run/status-store';
import { LOCAL_RETENTION } from './apply-retention';
import { freedByPrefix } from './freed-bytes';
import { policyRules, type GenerationsPolicy } from './policy';
import { projectRetention, PROJECTION_DEFAULT_CRON, type Projection } from './projection';
import { planRetention, shrinkHeld, SHRINK_CONFIRM_ABOVE, type KeepReason, type RetentionPlan } from './retention-plan';

export interface PreviewBackup {
  id: string;
  /** Some rule (or a promise: newest, safety) keeps it. */
  keep: boolean;
  reasons: KeepReason[];
  /** „Quartalssicherung Q3/2026“: the last state of a quarter that is over, kept by the quarterly rule. */
  quarterArchive: { quarter: number; year: number } | null;
  /** Bytes only this backup holds (its directories and files no other backup links to). */
  ownBytes: number;
}

export interface RetentionPreview {
  dir: string;
  /** policyKey of the configured retention (what status.json records as applied). */
  policy: string;
  rules: GenerationsPolicy;
  /** The clock the plan was made with (ISO). */
  at: string;
  /** Every complete backup, newest first. */
  backups: PreviewBackup[];
  /** Ids that would go, newest first. */
  remove: string[];
  /** What removing them gives back (inode link counts: what du of the directory loses). */
  freedBytes: number;
  /** What all complete backups occupy together, counted the same way. */
  backupsBytes: number;
  /** The steady state; `bytes` null while there is no backup to take sizes from. */
  need: Omit<Projection, 'bytes'> & { bytes: number | null; cron: string; dumpBytes: number; folderBytes: number; folderChangeBytes: number; from: string | null };
  disk: { free: number; total: number; reserve: number; fits: boolean | null };
  /** What status.json says was applied (or confirmed) last here. */
  applied: { policy: string; at: string } | null;
  /** A run would hold the removals for a confirmation (shrinkHeld). */
  held: boolean;
  shrinkConfirmAbove: number;
  /** A backup run was going on while this was measured: the figures may already be different. */
  running: boolean;
}

/** The newest backup's sizes, the projection's inputs: databases are full copies, folders cost their changes. */
export function sizesOf(newest: BackupEntry | undefined): { dumpBytes: number; folderBytes: number; folderChangeBytes: number } {
  let dumpBytes = 0;
  let folderBytes = 0;
  let folderChangeBytes = 0;
  for (const c of newest?.manifest.components ?? []) {
    if (c.type === 'folder') {
      folderBytes += c.bytes;
      // Older manifests did not record the copied bytes: assume all of it changed (too much rather than too little).
      folderChangeBytes += c.bytesCopied ?? c.bytes;
    } else dumpBytes += c.bytes;
  }
  return { dumpBytes, folderBytes, folderChangeBytes };
}

const MEASURE_ATTEMPTS = 3;

export async function previewRetention(config: Config, o: { now: Date; status: StatusStore }): Promise<RetentionPreview> {
  const dir = config.backupDir;
  for (let attempt = 1; ; attempt++) {
    const catalog = await readCatalog(dir, { now: o.now });
    const plan = planRetention(catalog.complete, config.retention, o.now);
    try {
      return await measure(config, plan, catalog.complete, o);
    } catch (e) {
      // A run renamed a folder away during the walk: take the directory as it is now.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= MEASURE_ATTEMPTS) throw e;
    }
  }
}

async function measure(config: Config, plan: RetentionPlan, complete: BackupEntry[], o: { now: Date; status: StatusStore }): Promise<RetentionPreview> {
  const dir = config.backupDir;
  // One walk: the folders that go first (oldest first), then the ones that stay. Prefix k of the
  // removal order is what the k first folders free, so the removed part and the whole come out of it.
  const going = [...plan.remove].reverse();
  const staying = plan.decisions.filter((d) => d.reasons.length > 0).map((d) => d.entry).reverse();
  const order = [...going, ...staying];
  const { prefix, only } = await freedByPrefix(order.map((b) => b.path));
  const ownOf = new Map(order.map((b, i) => [b.id, only[i]!]));
  const freedBytes = going.length ? prefix[going.length - 1]! : 0;
  const backupsBytes = order.length ? prefix[order.length - 1]! : 0;

  const status = await o.status.current();
  const applied = status.retentionApplied?.[LOCAL_RETENTION] ?? null;
  const cron = config.schedule?.cron ?? PROJECTION_DEFAULT_CRON;
  const sizes = sizesOf(complete[0]);
  const projection = projectRetention({ retention: config.retention, cron, now: o.now, ...sizes });
  const known = complete.length > 0;
  // No backup yet, the directory not made: the disk it will be on.
  const space = await diskSpace(existingAncestor(dir));
  const reserve = Math.ceil(space.total * RESERVE_FRACTION);
  // The backups there now are part of the steady state: the policy may use their place and the free
  // space, leaving checkSpace's reserve (10 % of the disk) free.
  const fits = known ? projection.bytes <= space.free + backupsBytes - reserve : null;
  return {
    dir,
    policy: plan.policy,
    rules: policyRules(config.retention),
    at: o.now.toISOString(),
    backups: plan.decisions.map((d) => ({
      id: d.entry.id,
      keep: d.reasons.length > 0,
      reasons: d.reasons,
      quarterArchive: d.quarterArchive ?? null,
      ownBytes: ownOf.get(d.entry.id) ?? 0,
    })),
    remove: plan.remove.map((b) => b.id),
    freedBytes,
    backupsBytes,
    need: { ...projection, bytes: known ? projection.bytes : null, cron, ...sizes, from: complete[0]?.id ?? null },
    disk: { free: space.free, total: space.total, reserve, fits },
    applied,
    held: shrinkHeld(plan, applied?.policy),
    shrinkConfirmAbove: SHRINK_CONFIRM_ABOVE,
    running: !!status.running,
  };
}

function existingAncestor(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

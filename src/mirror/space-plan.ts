// When the copies do not fit on a mirror: which generations there go first, and which local
// backups are not copied, so that the newest backup still goes on. The order: first what the
// policy drops there anyway (it would go after the copy; now it goes before), then the oldest
// generations the policy keeps — never the newest backup there, never the newest local one (the
// one this run is about), never one whose copy this run replaces, never a quarter archive, never a
// restore's safety backup of this week. A local backup not yet there counts like one there: not
// copying it saves what its copy would write.
//
// Planned completely before anything is removed: when even dropping everything allowed is not
// enough, nothing is removed and the copy fails with the numbers — never a half copy, nothing lost.
// This is the one case where removal comes before the copy.
import type { BackupEntry } from '../backup-directory/catalog';
import { RESERVE_FRACTION, type DiskSpace } from '../backup-directory/space-check';
import type { Destination, PutOptions } from '../destinations/contract';
import { bytesToPut } from '../destinations/folder-destination';
import { PraxisError } from '../core/errors';
import { byteCount, type Message } from '../i18n';
import type { Reporter } from '../run/events';
import type { RetentionDecision } from '../retention/retention-plan';

export interface RoomCandidate {
  entry: BackupEntry;
  /** On the target: removing it frees bytes. Else a local backup not yet there: not copying it saves its estimate. */
  there: boolean;
  /** The policy keeps it: dropping it is the disk's doing, and the run warns. */
  kept: boolean;
}

export interface RoomInput {
  /** The plan's decisions over the local backups and those there (newest first). */
  decisions: RetentionDecision[];
  /** The complete backups there now, newest first. */
  there: BackupEntry[];
  /** What the sync would put, oldest first. */
  toPut: BackupEntry[];
  newestLocal: string;
  /** The shrink guard holds the policy's removals: what it drops counts as kept (the disk's doing). */
  held: boolean;
}

/** The backups that may go to make room, in the order they go. */
export function roomCandidates(o: RoomInput): RoomCandidate[] {
  const there = new Set(o.there.map((t) => t.id));
  const putting = new Set(o.toPut.map((b) => b.id));
  const newestThere = o.there[0]?.id;
  const dropped: RoomCandidate[] = [];
  const kept: RoomCandidate[] = [];
  for (const d of [...o.decisions].reverse()) {
    const id = d.entry.id;
    if (id >= o.newestLocal || id === newestThere || d.quarterArchive) continue;
    if (d.reasons.includes('newest') || d.reasons.includes('safety')) continue;
    if (there.has(id) && putting.has(id)) continue; // a differing copy this run replaces
    if (there.has(id)) {
      const keeps = d.reasons.length > 0 || o.held;
      (keeps ? kept : dropped).push({ entry: d.entry, there: true, kept: keeps });
    } else if (putting.has(id)) kept.push({ entry: d.entry, there: false, kept: true });
  }
  return [...dropped, ...kept];
}

export interface RoomPlan {
  /** The first k candidates: removed (there) or not copied (local). */
  drop: RoomCandidate[];
  /** What is put after all, oldest first. */
  put: BackupEntry[];
  needed: number;
  free: number;
  reserve: number;
  /** What removing the dropped backups there frees. */
  freed: number;
  fits: boolean;
}

/**
 * The fewest candidates (in their order) whose removal makes the puts fit with the 10 % reserve.
 * `freed`: freedBy's prefix sums over the candidates there (null: try without dropping anything).
 * Not fitting even with all of them: the last plan tried, fits false.
 */
export function planRoom(o: { toPut: BackupEntry[]; there: string[]; candidates: RoomCandidate[]; space: DiskSpace; freed: number[] | null; mode: PutOptions['mode'] }): RoomPlan {
  const reserve = Math.ceil(o.space.total * RESERVE_FRACTION);
  let plan: RoomPlan | undefined;
  for (let k = 0; k <= (o.freed ? o.candidates.length : 0); k++) {
    const drop = o.candidates.slice(0, k);
    const gone = new Set(drop.map((c) => c.entry.id));
    const put = o.toPut.filter((b) => !gone.has(b.id));
    // Dropping a generation there may take a later copy's predecessor: that copy then costs its full size.
    const needed = bytesToPut(
      put,
      o.there.filter((id) => !gone.has(id)),
      o.mode,
    );
    const removedThere = drop.filter((c) => c.there).length;
    const freed = removedThere && o.freed ? o.freed[removedThere - 1]! : 0;
    plan = { drop, put, needed, free: o.space.free, reserve, freed, fits: o.space.free + freed - needed >= reserve };
    if (plan.fits) break;
  }
  return plan!;
}

export interface RoomOutcome {
  put: BackupEntry[];
  removed: string[];
  warnings: Message[];
}

/**
 * Before the puts: when they do not fit, remove (rename, then delete) the planned backups there
 * and leave the planned local ones out, saying so; when nothing allowed makes them fit, throw
 * mirror.noSpaceEvenDropping with the numbers before anything is removed. A kind that cannot tell
 * what a removal frees (no freedBy: a repository) and a target with nothing there that may go are
 * left to prepare()'s own check (mirror.space).
 */
export async function makeRoom(d: Destination, o: RoomInput & { name: string; mode: PutOptions['mode']; reporter: Reporter }): Promise<RoomOutcome> {
  const unchanged: RoomOutcome = { put: o.toPut, removed: [], warnings: [] };
  if (!d.freedBy || o.toPut.length === 0) return unchanged;
  const candidates = roomCandidates(o);
  if (candidates.length === 0) return unchanged;
  const space = await d.freeSpace();
  const there = o.there.map((t) => t.id);
  if (planRoom({ toPut: o.toPut, there, candidates, space, freed: null, mode: o.mode }).fits) return unchanged;

  // Measured only now: walking the candidates' inodes costs a pass over their files.
  const freed = await d.freedBy(candidates.filter((c) => c.there).map((c) => c.entry.id));
  const plan = planRoom({ toPut: o.toPut, there, candidates, space, freed, mode: o.mode });
  // Nothing there that may go: the plain "too little space" (prepare's mirror.space, for the whole set).
  if (!plan.fits && freed.length === 0) return unchanged;
  if (!plan.fits) {
    const all = freed.at(-1)!;
    throw new PraxisError('mirror.noSpaceEvenDropping', {
      name: o.name,
      dir: d.dir,
      needed: byteCount(plan.needed),
      reserve: byteCount(plan.reserve),
      free: byteCount(plan.free),
      count: candidates.filter((c) => c.there).length,
      freeable: byteCount(all),
    });
  }

  const out: RoomOutcome = { put: plan.put, removed: [], warnings: [] };
  for (const c of plan.drop.filter((x) => x.there)) {
    await d.remove(c.entry.id);
    out.removed.push(c.entry.id);
    o.reporter.info('mirror.removed', { name: o.name, id: c.entry.id });
  }
  const size = byteCount(plan.freed);
  if (out.removed.length) {
    const ids = out.removed.join(', ');
    // Generations the policy keeps are gone: the disk is at its limit, the admin must see it (exit 3).
    if (plan.drop.some((c) => c.there && c.kept)) out.warnings.push({ key: 'mirror.spaceDropped', params: { name: o.name, ids, size } });
    else o.reporter.info('mirror.spaceFreed', { name: o.name, ids, size });
  }
  const skipped = plan.drop.filter((c) => !c.there).map((c) => c.entry.id);
  if (skipped.length) out.warnings.push({ key: 'mirror.spaceSkipped', params: { name: o.name, ids: skipped.join(', ') } });
  for (const w of out.warnings) o.reporter.warn(w.key, w.params);
  return out;
}

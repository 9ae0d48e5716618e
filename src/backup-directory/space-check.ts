// Before a single byte is written: will this backup fit, and still leave 10 % of the disk free
// (the tomedo manual's rule, so the file system stays healthy)?
import { statfs } from 'node:fs/promises';
import { byteCount } from '../i18n';
import { run } from '../process/runner';
import { PraxisError } from '../core/errors';
import type { ToolLocator } from '../process/tool-locator';

export interface DiskSpace {
  free: number;
  total: number;
}

export async function diskSpace(path: string): Promise<DiskSpace> {
  const s = await statfs(path);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

/** Allocated size of a tree (`du -sk`, which macOS and Linux both have): what a full copy needs. */
export async function treeSize(tools: ToolLocator, path: string, signal?: AbortSignal): Promise<number> {
  const du = await tools.find('du');
  // du exits 1 when a file vanishes or cannot be read; the sum it prints is still the best estimate.
  const r = await run({ label: `du (${path})`, file: du.path, args: ['-sk', path], okExitCodes: [0, 1] }, { signal });
  const kb = Number((r.stdoutTail.at(-1) ?? '').split(/\s+/)[0]);
  return Number.isFinite(kb) ? kb * 1024 : 0;
}

export const RESERVE_FRACTION = 0.1;

export function checkSpace(dir: string, needed: number, space: DiskSpace): void {
  // A file system that reports no size at all (ramfs, some FUSE shares: statfs 0 blocks) says
  // nothing about its room; "0 B free" would refuse every backup there. rsync's own "No space
  // left on device" still ends a copy that does not fit.
  if (space.total === 0) return;
  const reserve = Math.ceil(space.total * RESERVE_FRACTION);
  if (space.free - needed < reserve) {
    throw new PraxisError('error.space', {
      dir,
      needed: byteCount(needed),
      reserve: byteCount(reserve),
      free: byteCount(space.free),
    });
  }
}

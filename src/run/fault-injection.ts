// Stall points for the fault tests (kill -9 in the middle of a removal, a disk pulled in the
// middle of a mirror copy): a test cannot hit "the middle" of a fast operation by timing without
// racing the machine's speed. With PRAXIS_BACKUP_TEST_STALL=<point> the run stops at that point,
// writes `marker` (holding its PID) and waits until the test removes it (or kills the run).
// Unset — always, outside those tests — a stall point costs one environment lookup.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export type StallPoint = 'removal' | 'mirror-manifest';

export async function stallPoint(point: StallPoint, marker: string, before?: () => Promise<void>): Promise<void> {
  if (process.env.PRAXIS_BACKUP_TEST_STALL !== point) return;
  await before?.();
  await writeFile(marker, String(process.pid));
  while (existsSync(marker)) await sleep(20);
}

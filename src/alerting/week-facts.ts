// The Wochenbericht's facts from what the period's runs left behind (report/period.ts: the same
// collection the monthly protocol prints), reduced to what a phone screen shows: each backup
// night, the restore tests, the copies per configured mirror, the open findings.
import type { Config } from '../config/schema';
import type { PeriodData } from '../report/period';
import type { Status } from '../run/status-store';
import { diskFacts } from '../mirror/rotation';
import type { WeekFacts, WeekRun } from './notices';

/** A run refused because another one held the lock: not a night of its own (the running one is). */
const EXIT_LOCKED = 75;

/** `status`: status.json now, for each rotating set's disks (last copy, newest backup, last seen). */
export function weekFacts(data: PeriodData, config: Pick<Config, 'mirrors'>, status?: Pick<Status, 'destinations'>): WeekFacts {
  const runs: WeekRun[] = data.runs
    .filter((r) => r.kind === 'backup' && r.exitCode !== EXIT_LOCKED)
    .map((r) => {
      const started = new Date(r.startedAt);
      const bytes = r.components.reduce((sum, c) => sum + (c.bytes ?? 0), 0);
      return {
        startedAt: started,
        // A log without its end: killed, or the power went. For the week that is a night without a backup.
        result: r.result === 'incomplete' ? 'failed' : r.result,
        bytes,
        durationMs: r.finishedAt ? new Date(r.finishedAt).getTime() - started.getTime() : undefined,
        warnings: r.warnings.length,
        reason: r.result === 'incomplete' ? { key: 'notice.weekly.incomplete' } : (r.error ?? undefined),
      };
    });
  const copies = config.mirrors.map((m) => {
    const mine = data.mirrorCopies.filter((c) => c.name === m.name);
    const good = mine.filter((c) => c.result === 'success');
    const last = good.map((c) => new Date(c.at)).sort((a, b) => b.getTime() - a.getTime())[0];
    const disks = status ? diskFacts(m, status) : [];
    return { destination: m.name, count: good.length, failed: mine.filter((c) => c.result === 'failed').length, ...(last ? { last } : {}), ...(disks.length ? { disks } : {}) };
  });
  return {
    period: { from: new Date(data.from), to: new Date(data.to) },
    runs,
    restoreTests: data.restoreTests.map((t) => ({ at: new Date(t.at), ok: t.ok })),
    copies,
    findings: data.findings.map((a) => a.message),
  };
}

// What is sent because of the calendar or a lasting problem, not because a command just failed:
// the alerts `status` computes (once a day per problem), the „Wochenbericht“ on its day, and the
// monthly Datensicherungsprotokoll on the 1st. Asked by the scheduled run, `status` and the tray,
// whichever looks first; each is claimed in status.json before it is sent (StatusStore's updates
// hold a lock across processes, status-lock.ts), so two of them looking at the same moment send
// it once. A claimed notice that cannot be delivered waits in the outbox, not in the claim.
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Config } from '../config/schema';
import { claimDueAlerts, type Alert } from './alert-rules';
import type { StatusStore } from '../run/status-store';
import { monthlyReportDue, weeklySummaryDue } from './calendar';
import type { NotifyPorts } from './command-notify';
import type { Deliverer, Heartbeat } from './contracts';
import { alertNotice, monthlyReportNotice, noticeContext, weeklySummaryNotice, type NoticeContext } from './notices';
import { weekFacts } from './week-facts';

export interface FindingsPorts extends NotifyPorts {
  /** Where status.json and the outbox live; the monthly PDF goes to `<stateDir>/reports/`. */
  stateDir: string;
  logDir: string;
  version: string;
}

/** What findingsPorts needs of the composition root (App), structurally: the alerting layer does not import it. */
export interface FindingsApp {
  now(): Date;
  status: StatusStore;
  paths: { stateDir: string; logDir: string };
  version: string;
  deliverer(config: Config): Deliverer | null;
  heartbeat(config: Config): Heartbeat | null;
}

/** The ports for one config: one deliverer per process and config (its outbox serves every notice it sends). */
export function findingsPorts(app: FindingsApp, config: Config): FindingsPorts {
  return {
    now: () => app.now(),
    status: app.status,
    deliverer: app.deliverer(config),
    heartbeat: app.heartbeat(config),
    stateDir: app.paths.stateDir,
    logDir: app.paths.logDir,
    version: app.version,
  };
}

export interface FindingsOptions {
  /** Claim and send today's alerts (false: `run` started by hand, where the tray says them itself). */
  alerts: boolean;
  /** Alerts a failure notice of this very command has just said: claimed (not again today), not repeated. */
  alreadySaid?: (a: Alert) => boolean;
}

/**
 * Claims what is due and sends it through the channels. Returns the alerts claimed now, for the
 * caller's desktop notification (with or without channels). Never throws.
 */
export async function claimAndSendFindings(ports: FindingsPorts, config: Config, alerts: Alert[], o: FindingsOptions): Promise<Alert[]> {
  let due: Alert[] = [];
  try {
    const now = ports.now();
    if (o.alerts) due = await claimDueAlerts(ports.status, alerts, now);
    const d = ports.deliverer;
    if (!d) return due;
    const ctx = noticeContext(config, now, ports.host);
    const fresh = due.filter((a) => !o.alreadySaid?.(a));
    if (fresh.length) await d.send(alertNotice(ctx, fresh)).catch(() => null);
    await sendWeeklySummary(ports, config, ctx).catch(() => null);
    await sendMonthlyReport(ports, config, ctx).catch(() => null);
  } catch {
    /* delivery never fails what asked for it */
  }
  return due;
}

type CalendarField = 'weeklySummarySent' | 'monthlyReportSent';

/**
 * Claims a calendar notice in status.json; null when it is not (or no longer) due. A quick read
 * first: most looks find nothing, and a write would wake the tray. The first look after installing
 * (or updating to a version that sends these) only starts the count: nothing is sent about a
 * period Praxis-Backup did not watch, and the first summary comes on its day.
 */
async function claim<T extends { key: string }>(status: StatusStore, field: CalendarField, dueOf: (sent: string | undefined) => T | null): Promise<T | null> {
  if (!dueOf((await status.read())[field])) return null;
  let won: T | null = null;
  await status.update((s) => {
    const due = dueOf(s[field]);
    if (!due) return;
    if (s[field] !== undefined) won = due;
    s[field] = due.key;
  });
  return won;
}

async function sendWeeklySummary(ports: FindingsPorts, config: Config, ctx: NoticeContext): Promise<void> {
  const day = config.notify?.weeklySummary;
  const due = await claim(ports.status, 'weeklySummarySent', (sent) => withKey(weeklySummaryDue(day, sent, ctx.now), (w) => w.week));
  if (!due) return;
  // Loaded when due only: the tray, which asks every few seconds, need not carry the report code (and pdfkit).
  const { collectPeriod } = await import('../report/period');
  const data = await collectPeriod({ ...due.period, now: ctx.now, config, logDir: ports.logDir, stateDir: ports.stateDir });
  await ports.deliverer!.send(weeklySummaryNotice(ctx, due.week, weekFacts(data, config, await ports.status.read())));
}

/**
 * Last month's protocol, mailed on the first look on or after the 1st (notify.monthlyReport, and
 * only with e-mail: a PDF is no push message). Written before it is claimed, so a failure to write
 * is tried again next time; two processes writing it at once write the same file atomically.
 */
async function sendMonthlyReport(ports: FindingsPorts, config: Config, ctx: NoticeContext): Promise<void> {
  const n = config.notify;
  if (!n?.monthlyReport || !n.email) return;
  const sent = (await ports.status.read()).monthlyReportSent;
  const pending = monthlyReportDue(true, sent, ctx.now);
  if (!pending || sent === undefined) {
    if (pending) await claim(ports.status, 'monthlyReportSent', (m) => withKey(monthlyReportDue(true, m, ctx.now), (d) => d.month)); // starts the count
    return;
  }
  const dir = join(ports.stateDir, 'reports');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { writeMonthlyReport } = await import('../report/protocol');
  const { path } = await writeMonthlyReport({ config, month: pending.month, lang: ctx.lang, out: dir, now: ctx.now, version: ports.version, logDir: ports.logDir, stateDir: ports.stateDir });
  const due = await claim(ports.status, 'monthlyReportSent', (m) => withKey(monthlyReportDue(true, m, ctx.now), (d) => d.month));
  if (due) await ports.deliverer!.send(monthlyReportNotice(ctx, due.month, { path, filename: basename(path) }));
}

function withKey<T>(due: T | null, key: (d: T) => string): (T & { key: string }) | null {
  return due ? { ...due, key: key(due) } : null;
}

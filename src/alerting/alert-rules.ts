// When a backup is broken or simply too old, somebody must be told — loudly, and once a day, not
// every hour. Pure functions of the status file, the config and the clock (tests set the clock):
// `status`, the tray and the scheduled run all ask the same question here.
import { CronExpressionParser } from 'cron-parser';
import { isRotation, swapAfterDays, type Config } from '../config/schema';
import { formatDuration, type Message } from '../i18n';
import { idToDate } from '../backup-directory/catalog';
import type { ScheduleStatus } from '../schedule/scheduler';
import type { DestinationStatus, Status, StatusStore } from '../run/status-store';
import { diskFacts, lastSeenOfSet, type DiskFacts } from '../mirror/rotation';

export type AlertKind = 'tooOld' | 'never' | 'verifyFailed' | 'scheduleMissed' | 'notEjected' | 'diskSwap' | 'noDisk';

export interface Alert {
  /** Stable per problem ("tooOld:usb"): the once-a-day notification is counted per key. */
  key: string;
  kind: AlertKind;
  /** 'local' or a mirror's name; null for the schedule. */
  destination: string | null;
  severity: 'warning' | 'error';
  message: Message;
}

/** Why a scheduled run did not happen, where it can be known (see scheduleMissedReason). */
export type MissedReason =
  | { kind: 'notInstalled' }
  | { kind: 'notLoaded' }
  | { kind: 'programMissing'; path: string }
  | { kind: 'fullDiskAccess'; executable: string }
  /** systemd user timer without lingering: it fires only while the user is logged in. */
  | { kind: 'notLingering'; user: string }
  | { kind: 'unknown' };

export interface AlertInput {
  config: Pick<Config, 'mirrors' | 'schedule' | 'alerts'>;
  status: Status;
  now: Date;
  /** What the scheduler says about the installed job, when it was asked (`status`, the tray now and then). */
  missedReason?: MissedReason;
}

/** A scheduled run counts as missed once it is this late (a long backup before it may still hold the lock). */
export const SCHEDULE_GRACE_MS = 2 * 3600_000;

function thresholdMs(input: AlertInput, destination: string): number {
  const a = input.config.alerts ?? { localMaxAgeHours: 26, mirrorMaxAgeDays: 8 };
  return destination === 'local' ? a.localMaxAgeHours * 3600_000 : a.mirrorMaxAgeDays * 86_400_000;
}

/**
 * The newest backup known to be good on this destination, and whether a verification proved it.
 * A backup whose verification failed is not good; a finished one that was not verified (yet)
 * counts, marked unverified. Age is measured from when the backup was made (its id).
 */
export function newestGood(d: DestinationStatus | undefined): { backupId: string; madeAt: Date; verified: boolean } | null {
  const made = (id: string, fallback: string) => {
    const t = idToDate(id);
    return Number.isNaN(t.getTime()) ? new Date(fallback) : t;
  };
  const v = d?.lastVerified;
  const s = d?.lastSuccess;
  const candidates: { backupId: string; madeAt: Date; verified: boolean }[] = [];
  if (v?.ok) candidates.push({ backupId: v.backupId, madeAt: made(v.backupId, v.at), verified: true });
  if (s && !(v && !v.ok && v.backupId === s.backupId)) candidates.push({ backupId: s.backupId, madeAt: made(s.backupId, s.at), verified: !!v?.ok && v.backupId === s.backupId });
  candidates.sort((a, b) => b.madeAt.getTime() - a.madeAt.getTime() || Number(b.verified) - Number(a.verified));
  return candidates[0] ?? null;
}

function destinationLabel(name: string): Message | string {
  return name === 'local' ? { key: 'alert.dest.local' } : name;
}

export function computeAlerts(input: AlertInput): Alert[] {
  const { config, status, now } = input;
  const out: Alert[] = [];
  for (const dest of ['local', ...config.mirrors.map((m) => m.name)]) {
    const d = status.destinations[dest];
    const dl = destinationLabel(dest);
    // A failed verification of the newest backup there: the copy cannot be trusted.
    const v = d?.lastVerified;
    if (v && !v.ok && (!d?.lastSuccess || v.backupId >= d.lastSuccess.backupId)) {
      out.push({
        key: `verifyFailed:${dest}:${v.backupId}`,
        kind: 'verifyFailed',
        destination: dest,
        severity: 'error',
        message: { key: 'alert.verifyFailed', params: { dest: dl, id: v.backupId, reason: v.message ?? { key: 'alert.noReason' } } },
      });
    }
    // A rotating set: its disks are away by design; the set speaks per disk (rotationAlerts) and,
    // when none of it was attached for too long, instead of the ordinary age alert.
    const m = config.mirrors.find((x) => x.name === dest);
    if (m && isRotation(m)) {
      const set = rotationAlerts(m, input);
      out.push(...set);
      if (set.some((a) => a.kind === 'noDisk')) continue;
    }
    const good = newestGood(d);
    if (!good) {
      // A failed verification already says what is wrong there; "no backup yet" would mislead.
      if (out.some((a) => a.kind === 'verifyFailed' && a.destination === dest)) continue;
      out.push({ key: `never:${dest}`, kind: 'never', destination: dest, severity: 'warning', message: { key: 'alert.never', params: { dest: dl } } });
      continue;
    }
    const age = now.getTime() - good.madeAt.getTime();
    if (age > thresholdMs(input, dest)) {
      out.push({
        key: `tooOld:${dest}`,
        kind: 'tooOld',
        destination: dest,
        severity: 'warning',
        message: { key: 'alert.tooOld', params: { dest: dl, age: ageText(age), limit: ageText(thresholdMs(input, dest)) } },
      });
    }
  }
  const missed = scheduleMissed(input);
  if (missed) out.push(missed);
  out.push(...notEjected(status));
  return out;
}

const DAY_MS = 86_400_000;

/**
 * The alerts of a rotating set (Time Machine's way, not "disk not found" every night):
 * - „Keine USB-Festplatte angeschlossen“ when no disk of the set was seen within the mirror's age
 *   limit (alerts.mirrorMaxAgeDays), or none ever was — in place of the ordinary tooOld / never.
 * - otherwise, per disk, „… war seit N Tagen nicht angeschlossen – bitte tauschen“ once it has been
 *   away longer than rotation.swapAfterDays (default 7 per other disk, plus 1: a disk at home for
 *   its week is not nagged about). A disk never seen is counted from `since`: the first run that
 *   found any disk of the set attached (mirror-run records it for every disk of the set); before
 *   any disk was seen, only the "no disk" alert speaks.
 * Keys are stable per disk (diskSwap:<mirror>:<uuid>), so the once-a-day notification holds.
 */
function rotationAlerts(m: Parameters<typeof swapAfterDays>[0], input: AlertInput): Alert[] {
  const { status, now } = input;
  const facts = diskFacts(m, status);
  const disks = facts.map((f) => f.label ?? f.uuid).join(', ');
  const seen = lastSeenOfSet(m, status);
  const limit = thresholdMs(input, m.name);
  if (!seen || now.getTime() - new Date(seen).getTime() > limit) {
    const message: Message = seen
      ? { key: 'alert.noDisk', params: { name: m.name, disks, age: ageText(now.getTime() - new Date(seen).getTime()), limit: ageText(limit) } }
      : { key: 'alert.noDiskYet', params: { name: m.name, disks } };
    return [{ key: `noDisk:${m.name}`, kind: 'noDisk', destination: m.name, severity: 'warning', message }];
  }
  const disksStatus = status.destinations[m.name]?.disks ?? {};
  const swapMs = swapAfterDays(m) * DAY_MS;
  const out: Alert[] = [];
  for (const f of facts) {
    const since = f.lastSeen ?? Object.entries(disksStatus).find(([u]) => u.toLowerCase() === f.uuid.toLowerCase())?.[1].since;
    if (!since) continue;
    const away = now.getTime() - new Date(since).getTime();
    if (away <= swapMs) continue;
    out.push({
      key: `diskSwap:${m.name}:${f.uuid.toLowerCase()}`,
      kind: 'diskSwap',
      destination: m.name,
      severity: 'warning',
      message: { key: 'alert.diskSwap', params: { label: f.label ?? f.uuid, days: Math.floor(away / DAY_MS), name: m.name } },
    });
  }
  return out;
}

/**
 * A USB disk the last run could not eject must not be pulled out, and whoever swaps the disks is
 * often not at the server: an alert (the run itself ends with 3, which sends nothing by itself),
 * named by the disk and the run, so it is said once and goes with the next run.
 */
function notEjected(status: Status): Alert[] {
  const run = status.lastRun;
  return (run?.warnings ?? [])
    .filter((w) => w.key === 'error.ejectRefused')
    .map((w) => ({ key: `notEjected:${String(w.params?.label ?? '')}:${run!.backupId ?? run!.startedAt}`, kind: 'notEjected' as const, destination: null, severity: 'warning' as const, message: w }));
}

/**
 * One disk of a rotating set as `status` and the Wochenbericht say it (status.disk,
 * notice.weekly.disk): last copy and last seen as ages, the newest backup on it, attached or at home.
 */
export function diskFactParams(f: DiskFacts, now: Date): { label: string; copy: Message; newest: Message | string; seen: Message; where: Message | string } {
  const ago = (iso: string | null, none: Message): Message => (iso ? { key: 'status.disk.ago', params: { age: ageText(Math.max(0, now.getTime() - new Date(iso).getTime())) } } : none);
  return {
    label: f.label ?? f.uuid,
    copy: ago(f.lastSuccessAt, { key: 'status.disk.none' }),
    newest: f.newest ?? { key: 'status.disk.none' },
    seen: ago(f.lastSeen, { key: 'status.disk.neverSeen' }),
    where: f.attached === undefined ? '?' : { key: f.attached ? 'status.disk.attached' : 'status.disk.home' },
  };
}

/** „9 Tagen“ reads better than „216 h 0 min“ once it is more than two days. */
export function ageText(ms: number): Message {
  const days = Math.floor(ms / 86_400_000);
  if (days >= 2) return { key: 'alert.age.days', params: { n: days } };
  const hours = Math.floor(ms / 3_600_000);
  if (hours >= 1) return { key: 'alert.age.hours', params: { n: hours } };
  return { key: 'alert.age.short', params: { text: formatDuration(ms) } };
}

/** The last time the schedule wanted a run, before `now`. */
export function previousScheduled(cron: string, now: Date): Date | null {
  try {
    return CronExpressionParser.parse(cron, { currentDate: now }).prev().toDate();
  } catch {
    return null;
  }
}

function scheduleMissed(input: AlertInput): Alert | null {
  const cron = input.config.schedule?.cron;
  if (!cron) return null;
  const { status, now } = input;
  // The run before the last one too: a run at 03:15 today that is not yet 2 h late is not missed,
  // but yesterday's may have been.
  const due = previousScheduled(cron, new Date(now.getTime() - SCHEDULE_GRACE_MS));
  if (!due) return null;
  const last = status.running ? now : status.lastRun ? new Date(status.lastRun.startedAt) : null;
  const skipped = status.lastSkipped ? new Date(status.lastSkipped.at) : null;
  // Something started at or after the due time (a run, or a run that found another one running).
  const startedSince = (t: Date | null) => !!t && t.getTime() >= due!.getTime() - 60_000;
  if (startedSince(last) || startedSince(skipped)) return null;
  // Never ran at all: the schedule may have been installed after the due time, and "no backup
  // yet" is said by the destinations already.
  if (!last && !skipped) return null;
  const reason = missedReasonMessage(input.missedReason, status);
  return {
    key: `scheduleMissed:${due.toISOString()}`,
    kind: 'scheduleMissed',
    destination: null,
    severity: 'warning',
    message: { key: 'alert.scheduleMissed', params: { when: localStamp(due), reason } },
  };
}

/** 2026-11-24 03:15, local time: readable in German and English alike. */
function localStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

function missedReasonMessage(r: MissedReason | undefined, status: Status): Message {
  if (r?.kind === 'notInstalled') return { key: 'alert.missed.notInstalled' };
  if (r?.kind === 'notLoaded') return { key: 'alert.missed.notLoaded' };
  if (r?.kind === 'programMissing') return { key: 'alert.missed.programMissing', params: { path: r.path } };
  if (r?.kind === 'fullDiskAccess') return { key: 'alert.missed.fullDiskAccess', params: { executable: r.executable } };
  if (r?.kind === 'notLingering') return { key: 'alert.missed.notLingering', params: { user: r.user } };
  // The last scheduled run itself said it had no Full Disk Access: the likely cause on a Mac.
  if (status.fullDiskAccess?.status === 'denied') return { key: 'alert.missed.fullDiskAccess', params: { executable: status.fullDiskAccess.executable } };
  return { key: 'alert.missed.unknown' };
}

/** What the installed job tells about a missed run: not installed, not loaded, a program gone. */
export function missedReasonFrom(s: ScheduleStatus): MissedReason | undefined {
  s = { ...s, jobs: s.jobs.filter((j) => (j.role ?? 'backup') === 'backup') }; // a verify / on-mount job says nothing about the backup's
  // launchd: one agent per job; systemd: a timer and its service. Any of them broken explains it.
  if (!s.jobs.some((j) => j.installed)) return { kind: 'notInstalled' };
  const missing = s.jobs.flatMap((j) => j.missingPrograms)[0];
  if (missing) return { kind: 'programMissing', path: missing };
  if (s.jobs.some((j) => j.installed && j.loaded === false)) return { kind: 'notLoaded' };
  // Installed and loaded, but nobody logged in at the time: the likely cause on a headless server.
  if (s.linger?.state === 'off') return { kind: 'notLingering', user: s.linger.user };
  return undefined;
}

/** Everything `status --json` and monitoring need: exit 1 when any alert is there. */
export function alertExitCode(alerts: Alert[]): 0 | 1 {
  return alerts.length ? 1 : 0;
}

// ---- once a day -------------------------------------------------------------------------------

/** Alerts not yet notified today (local calendar day): to be shown now. */
export function dueNotifications(alerts: Alert[], notified: Record<string, string> | undefined, now: Date): Alert[] {
  return alerts.filter((a) => {
    const last = notified?.[a.key];
    if (!last) return true;
    const d = new Date(last);
    return !(d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate());
  });
}

/** The record after notifying `sent`: alerts that went away are forgotten, so they notify again if they come back. */
export function recordNotified(alerts: Alert[], notified: Record<string, string> | undefined, sent: Alert[], now: Date): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of alerts) {
    if (sent.some((s) => s.key === a.key)) out[a.key] = now.toISOString();
    else if (notified?.[a.key]) out[a.key] = notified[a.key]!;
  }
  return out;
}

/**
 * The alerts to notify now, recorded as notified in the status file in the same update, so the
 * tray and a scheduled run (whichever looks first) do not both say it.
 */
export async function claimDueAlerts(store: StatusStore, alerts: Alert[], now: Date): Promise<Alert[]> {
  // Most calls find nothing to do: then the file is not written (the tray watches it, and a write
  // would wake it again).
  const before = (await store.read()).alertsNotified;
  const unchanged = JSON.stringify(recordNotified(alerts, before, [], now)) === JSON.stringify(before ?? {});
  if (unchanged && dueNotifications(alerts, before, now).length === 0) return [];
  let due: Alert[] = [];
  await store.update((s) => {
    due = dueNotifications(alerts, s.alertsNotified, now);
    s.alertsNotified = recordNotified(alerts, s.alertsNotified, due, now);
  });
  return due;
}

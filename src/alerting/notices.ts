// The messages that leave the server (issue 14), built as Notices: already rendered in
// notify.language (mails are read by the doctor or the IT service, not the person at the server),
// short lines for a phone, subject „Praxis-Backup <Praxisname>: …“. Pure: the clock, the host and
// the facts come in. No secret ever gets here; file names are left out (redact.ts), so no patient
// data either: component names and counts only.
import { hostname } from 'node:os';
import { formatBytes, formatDuration, render, t, type Lang, type Message } from '../i18n';
import { diskFactParams, type Alert } from './alert-rules';
import type { DiskFacts } from '../mirror/rotation';
import type { RunSummary } from '../run/events';
import { localDate, localDateTime, localTime } from '../report/local-time';
import type { Period } from './calendar';
import type { Notice } from './contracts';
import { withoutFileNames } from './redact';

export interface NoticeContext {
  lang: Lang;
  /** The practice's name, else the host's: who the message is about. */
  name: string;
  host: string;
  /** When the notice is made (app.now()). */
  now: Date;
}

export function noticeContext(config: { practiceName?: string; notify?: { language?: Lang } }, now: Date, host: string = hostname()): NoticeContext {
  return { lang: config.notify?.language ?? 'de', name: config.practiceName ?? host, host, now };
}

/** 02.12.2026 03:15 (UTC+01:00): local time, and the offset, so a reader elsewhere knows which 03:15. */
export function stamp(d: Date, lang: Lang): string {
  const off = -d.getTimezoneOffset();
  const abs = Math.abs(off);
  const zone = `UTC${off < 0 ? '−' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${localDateTime(d, lang)} (${zone})`;
}

function subject(ctx: NoticeContext, what: string): string {
  return t(ctx.lang, 'notice.subject', { name: ctx.name, what });
}

function footer(ctx: NoticeContext, at: Date = ctx.now): string[] {
  return [t(ctx.lang, 'notice.host', { host: ctx.host }), t(ctx.lang, 'notice.time', { when: stamp(at, ctx.lang) })];
}

const say = (ctx: NoticeContext, m: Message) => render(ctx.lang, withoutFileNames(m));

// ---- a failed run, mirror copy, restore, verification ----------------------------------------

export type FailedCommand = 'run' | 'mirror' | 'restore' | 'verify';

export interface FailureFacts {
  what: FailedCommand;
  summary: RunSummary;
  startedAt: Date;
  /** The last lines of this run's log (LogTail), already in ctx.lang and without file names. */
  logTail: string[];
  /** The newest good backup in the backup directory, so the reader knows what there is meanwhile. */
  lastGood?: { backupId: string; at: string } | null;
}

export function failureNotice(ctx: NoticeContext, f: FailureFacts): Notice {
  const { lang } = ctx;
  const reason = f.summary.error ? say(ctx, f.summary.error) : t(lang, 'notice.noReason', { code: f.summary.exitCode });
  const lines = [t(lang, `notice.failed.lead.${f.what}`, { host: ctx.host }), reason, '', t(lang, `notice.todo.${f.what}`)];
  if (f.what === 'run' || f.what === 'verify') {
    lines.push(f.lastGood ? t(lang, 'notice.lastGood', { id: f.lastGood.backupId, when: localDateTime(new Date(f.lastGood.at), lang) }) : t(lang, 'notice.noLastGood'));
  }
  lines.push('', ...footer(ctx, f.startedAt));
  if (f.summary.backupId) lines.push(t(lang, 'notice.backupId', { id: f.summary.backupId }));
  if (f.logTail.length) lines.push('', t(lang, 'notice.logTail'), ...f.logTail);
  // A run's id names it; a restore or verification of the same backup may fail twice: its start does.
  const occasion = f.what === 'run' && f.summary.backupId ? f.summary.backupId : f.startedAt.toISOString();
  return {
    id: `failure:${f.what}:${occasion}`,
    kind: 'failure',
    severity: 'error',
    subject: subject(ctx, t(lang, `notice.failed.${f.what}`)),
    text: lines.join('\n'),
    createdAt: ctx.now.toISOString(),
    event: {
      type: 'failure',
      what: f.what,
      result: f.summary.result,
      exitCode: f.summary.exitCode,
      host: ctx.host,
      practice: ctx.name,
      startedAt: f.startedAt.toISOString(),
      ...(f.summary.backupId ? { backupId: f.summary.backupId } : {}),
      ...(f.summary.error ? { error: { key: f.summary.error.key, text: reason } } : {}),
    },
  };
}

// ---- a good run (notify.onSuccess) ----------------------------------------------------------

export function successNotice(ctx: NoticeContext, summary: RunSummary, startedAt: Date): Notice {
  const { lang } = ctx;
  const warned = summary.result === 'warning';
  const lines = [
    warned
      ? t(lang, 'run.finished.warning', { id: summary.backupId ?? '?', count: summary.warnings.length })
      : t(lang, 'run.finished.ok', { id: summary.backupId ?? '?', size: formatBytes(summary.bytes ?? 0, lang), duration: formatDuration(summary.durationMs) }),
  ];
  for (const m of summary.mirrors ?? []) lines.push(t(lang, 'notice.mirror', { name: m.name, result: t(lang, `notice.mirror.${mirrorResult(m.result)}`) }));
  for (const w of summary.warnings) lines.push(`⚠ ${say(ctx, w)}`);
  lines.push('', ...footer(ctx, startedAt));
  return {
    id: `success:run:${summary.backupId ?? startedAt.toISOString()}`,
    kind: 'success',
    severity: warned ? 'warning' : 'info',
    subject: subject(ctx, t(lang, warned ? 'notice.success.warning' : 'notice.success.ok')),
    text: lines.join('\n'),
    createdAt: ctx.now.toISOString(),
    event: {
      type: 'success',
      what: 'run',
      result: summary.result,
      exitCode: summary.exitCode,
      host: ctx.host,
      practice: ctx.name,
      startedAt: startedAt.toISOString(),
      backupId: summary.backupId,
      bytes: summary.bytes,
      warnings: summary.warnings.length,
    },
  };
}

function mirrorResult(r: string): 'success' | 'absent' | 'failed' | 'skipped' {
  return r === 'success' || r === 'absent' || r === 'failed' ? r : 'skipped';
}

// ---- what `status` finds (once a day per problem) ---------------------------------------------

export function alertNotice(ctx: NoticeContext, alerts: Alert[]): Notice {
  const { lang } = ctx;
  const lines = [t(lang, 'notice.alert.lead', { host: ctx.host, count: alerts.length }), ''];
  for (const a of alerts) lines.push(`${a.severity === 'error' ? '✗' : '⚠'} ${say(ctx, a.message)}`);
  lines.push('', t(lang, 'notice.alert.once'), '', ...footer(ctx));
  const keys = alerts.map((a) => a.key).sort();
  return {
    // Once a day per problem: the day and the problems name the occasion.
    id: `alert:${localDate(ctx.now, 'en')}:${keys.join('+')}`,
    kind: 'alert',
    severity: alerts.some((a) => a.severity === 'error') ? 'error' : 'warning',
    subject: subject(ctx, t(lang, 'notice.alert.subject')),
    text: lines.join('\n'),
    createdAt: ctx.now.toISOString(),
    event: {
      type: 'alert',
      host: ctx.host,
      practice: ctx.name,
      alerts: alerts.map((a) => ({ key: a.key, kind: a.kind, destination: a.destination, severity: a.severity, text: say(ctx, a.message) })),
    },
  };
}

// ---- the „Wochenbericht“ -------------------------------------------------------------------

export interface WeekRun {
  startedAt: Date;
  result: 'success' | 'warning' | 'failed';
  bytes?: number;
  durationMs?: number;
  warnings: number;
  reason?: Message;
}

export interface WeekFacts {
  period: Period;
  /** Backups made in the period (`run`), any order. */
  runs: WeekRun[];
  restoreTests: { at: Date; ok: boolean }[];
  /** Per destination (mirror): copies made in the period, failed attempts, the last good one. */
  copies: { destination: string; count: number; failed: number; last?: Date; /** A rotating set: each disk as status.json knows it now. */ disks?: DiskFacts[] }[];
  /** What is open now (the alerts of `status`). */
  findings: Message[];
}

export function weeklySummaryNotice(ctx: NoticeContext, week: string, f: WeekFacts): Notice {
  const { lang } = ctx;
  const lastDay = new Date(f.period.to.getTime() - 1);
  const range = `${localDate(f.period.from, lang)} – ${localDate(lastDay, lang)}`;
  const count = (r: WeekRun['result']) => f.runs.filter((x) => x.result === r).length;
  const lines = [
    t(lang, 'notice.weekly.lead', { host: ctx.host, range }),
    t(lang, 'notice.weekly.runs', { ok: count('success'), warning: count('warning'), failed: count('failed') }),
    '',
    ...nightLines(ctx, f),
    '',
  ];
  const tests = f.restoreTests.length;
  const testsFailed = f.restoreTests.filter((x) => !x.ok).length;
  lines.push(tests ? t(lang, 'notice.weekly.restoreTests', { ok: tests - testsFailed, failed: testsFailed }) : t(lang, 'notice.weekly.noRestoreTests'));
  if (f.copies.length) {
    lines.push(t(lang, 'notice.weekly.copies'));
    for (const c of f.copies) {
      lines.push(
        c.count
          ? t(lang, 'notice.weekly.copy', { dest: c.destination, count: c.count, failed: c.failed, when: c.last ? `${weekday(c.last, lang)} ${localDate(c.last, lang).slice(0, lang === 'de' ? 6 : 10)}` : '?' })
          : t(lang, 'notice.weekly.noCopy', { dest: c.destination, failed: c.failed }),
      );
      for (const d of c.disks ?? []) lines.push(t(lang, 'notice.weekly.disk', diskFactParams(d, ctx.now)));
    }
  }
  lines.push(f.findings.length ? t(lang, 'notice.weekly.findings') : t(lang, 'notice.weekly.noFindings'));
  for (const m of f.findings) lines.push(`⚠ ${say(ctx, m)}`);
  lines.push('', ...footer(ctx));
  return {
    id: `weeklySummary:${week}`,
    kind: 'weeklySummary',
    severity: count('failed') || testsFailed || f.findings.length ? 'warning' : 'info',
    subject: subject(ctx, t(lang, 'notice.weekly.subject', { range })),
    text: lines.join('\n'),
    createdAt: ctx.now.toISOString(),
    event: {
      type: 'weeklySummary',
      week,
      host: ctx.host,
      practice: ctx.name,
      from: f.period.from.toISOString(),
      to: f.period.to.toISOString(),
      runs: { success: count('success'), warning: count('warning'), failed: count('failed') },
      restoreTests: { total: tests, failed: testsFailed },
      copies: f.copies.map((c) => ({ destination: c.destination, count: c.count, failed: c.failed, ...(c.disks ? { disks: c.disks.map((d) => ({ label: d.label, uuid: d.uuid, lastSuccessAt: d.lastSuccessAt, newest: d.newest, lastSeen: d.lastSeen })) } : {}) })),
      findings: f.findings.length,
    },
  };
}

function weekday(d: Date, lang: Lang): string {
  return t(lang, 'notice.weekdays').split(',')[(d.getDay() + 6) % 7] ?? '';
}

/** One line per day of the week: each run that day, or that there was none. */
function nightLines(ctx: NoticeContext, f: WeekFacts): string[] {
  const { lang } = ctx;
  const out: string[] = [];
  const runs = [...f.runs].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  for (let day = new Date(f.period.from); day < f.period.to; day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1)) {
    const next = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1);
    const label = `${weekday(day, lang)} ${localDate(day, lang).slice(0, lang === 'de' ? 6 : 10)}`;
    const that = runs.filter((r) => r.startedAt >= day && r.startedAt < next);
    if (!that.length) out.push(t(lang, 'notice.weekly.none', { day: label }));
    for (const r of that) {
      const p = { day: label, time: localTime(r.startedAt), size: formatBytes(r.bytes ?? 0, lang), duration: formatDuration(r.durationMs ?? 0), count: r.warnings };
      if (r.result === 'failed') out.push(t(lang, 'notice.weekly.failed', { ...p, reason: r.reason ? oneLine(say(ctx, r.reason)) : '?' }));
      else out.push(t(lang, r.result === 'warning' ? 'notice.weekly.warning' : 'notice.weekly.ok', p));
    }
  }
  return out;
}

/** A failed night in the summary: the reason cut to a phone's line (the failure mail that night had it whole). */
function oneLine(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

// ---- the monthly Datensicherungsprotokoll ------------------------------------------------------

export function monthlyReportNotice(ctx: NoticeContext, month: string, pdf: { path: string; filename: string }): Notice {
  const { lang } = ctx;
  const lines = [t(lang, 'notice.monthly.text', { month, host: ctx.host }), t(lang, 'notice.monthly.file', { file: pdf.path }), '', ...footer(ctx)];
  return {
    id: `monthlyReport:${month}`,
    kind: 'monthlyReport',
    severity: 'info',
    subject: subject(ctx, t(lang, 'notice.monthly.subject', { month })),
    text: lines.join('\n'),
    createdAt: ctx.now.toISOString(),
    event: { type: 'monthlyReport', month, host: ctx.host, practice: ctx.name, file: pdf.filename },
    attachments: [{ filename: pdf.filename, path: pdf.path, contentType: 'application/pdf' }],
  };
}

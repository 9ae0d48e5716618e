// Which notifications the tray shows for the run it started: from the CLI's events and how the
// process ended. Runs started by launchd/systemd notify through the engine's own notifier instead
// (the tray spawns its runs with PRAXIS_BACKUP_NOTIFY=none, so nothing is said twice).
import { formatBytes, formatDuration, t, type Lang } from '../../i18n';
import type { CliEvent, JsonSummary } from './run-events';
import { oneSentence } from './tray-state';

export type NotificationLevel = 'info' | 'warning' | 'error';

export interface TrayNotification {
  title: string;
  body: string;
  level: NotificationLevel;
}

const EXIT_LOCKED = 75;
const EXIT_INVALID = 2;

/** A notification event of the engine (disk ejected, eject refused, a mirror failed). */
export function notificationFor(lang: Lang, e: CliEvent): TrayNotification | null {
  if (e.type !== 'notification') return null;
  const { key, text } = e.message;
  if (key === 'mirror.ejected') return { title: t(lang, 'tray.notify.ejected.title'), body: text, level: 'info' };
  if (key === 'error.ejectRefused') return { title: t(lang, 'tray.notify.ejectRefused.title'), body: text, level: 'error' };
  if (key === 'mirror.failed' || key.startsWith('error.')) return { title: t(lang, 'tray.notify.mirrorFailed.title'), body: text, level: 'error' };
  return { title: 'Praxis-Backup', body: text, level: 'info' };
}

/** The closing notification: from the summary the CLI printed last, or from the bare exit code when it crashed. */
export function finishNotification(lang: Lang, summary: JsonSummary | null, exit: { exitCode: number | null; signal?: string | null }): TrayNotification {
  if (!summary) {
    const how = exit.signal ? `Signal ${exit.signal}` : `Exit ${exit.exitCode ?? '?'}`;
    return { title: t(lang, 'tray.notify.failed.title'), body: t(lang, 'tray.notify.crashed', { how }), level: 'error' };
  }
  const reason = summary.error ? oneSentence(summary.error.text, 200) : '';
  if (summary.exitCode === EXIT_LOCKED) return { title: t(lang, 'tray.notify.notStarted.title'), body: reason, level: 'warning' };
  if (summary.exitCode === EXIT_INVALID) return { title: t(lang, 'tray.notify.notStarted.title'), body: t(lang, 'tray.notify.checkSettings', { reason }), level: 'error' };
  if (summary.result === 'failed') {
    if (summary.error?.key === 'error.cancelled') return { title: t(lang, 'tray.notify.cancelled.title'), body: summary.error.text, level: 'warning' };
    return { title: t(lang, 'tray.notify.failed.title'), body: t(lang, 'tray.notify.seeLog', { reason }), level: 'error' };
  }
  const facts = t(lang, 'tray.notify.facts', {
    duration: formatDuration(summary.durationMs ?? 0),
    size: formatBytes(summary.bytes ?? 0, lang),
  });
  if (summary.result === 'warning') {
    const first = summary.warnings?.[0] ? oneSentence(summary.warnings[0].text, 160) : '';
    return {
      title: t(lang, 'tray.notify.doneWarnings.title'),
      body: t(lang, 'tray.notify.doneWarnings', { facts, count: summary.warnings?.length ?? 0, first }),
      level: 'warning',
    };
  }
  return { title: t(lang, 'tray.notify.done.title'), body: facts, level: 'info' };
}

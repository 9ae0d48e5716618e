// What `run` and `mirror` share: the sinks of a reporter (log file, stderr, --json stdout) and
// turning signals into a clean cancel.
import { hostname } from 'node:os';
import type { App } from '../../app/compose';
import type { Config } from '../../config/schema';
import { render, t, type Lang } from '../../i18n';
import { claimDueAlerts, computeAlerts } from '../../services/alerts';
import { eventText, Reporter, type EventSink } from '../../services/events';
import { fileSink, logFileName, pruneLogs, type LogKind } from '../../services/run-log';
import { messageJson, summaryJson, type Out } from '../output';

export function runReporter(app: App, out: Out, kind: LogKind): Reporter {
  // The app's clock: a test that says it is 3 November gets its run logged (and named) on 3 November.
  const started = app.now();
  const file = fileSink(app.paths.logDir, logFileName(started, process.pid, kind));
  // Which program wrote this log (M 6.37 asks for software and version per run): read by the monthly record.
  file({ type: 'program', name: 'praxis-backup', version: app.version, host: hostname(), command: kind, pid: process.pid, ts: started.toISOString() });
  const sinks: EventSink[] = [file];
  sinks.push((e) => {
    const line = eventText(out.lang, e);
    if (line) out.text(line);
  });
  if (out.json) {
    sinks.push((e) => {
      if (e.type === 'log' || e.type === 'warning' || e.type === 'notification') out.data({ ...e, message: messageJson(out.lang, e.message) });
      else if (e.type === 'finished') out.data({ ...e, summary: summaryJson(out.lang, e.summary) });
      else out.data(e);
    });
  }
  pruneLogs(app.paths.logDir);
  return new Reporter(sinks, () => app.now());
}

/** Ctrl-C, the tray's "Abbrechen" and launchd's stop all arrive as signals: cancel cleanly. */
export async function withCancel<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.once(s, onSignal);
  try {
    return await fn(abort.signal);
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
  }
}

/**
 * After a scheduled job (`run --scheduled`, `verify --restore-test --scheduled`): at night nobody may
 * have the menu bar open, so the job says what is old or broken itself, once a day, like the tray would.
 */
export async function notifyAlerts(app: App, config: Config, lang: Lang): Promise<void> {
  const alerts = computeAlerts({ config, status: await app.status.current(), now: new Date() });
  const due = await claimDueAlerts(app.status, alerts, new Date());
  if (due.length) await app.notifier().notify(t(lang, 'alert.notify.title'), due.map((a) => render(lang, a.message)).join('\n'));
}

// What `run` and `mirror` share: the sinks of a reporter (log file, stderr, --json stdout),
// turning signals into a clean cancel, and what is sent off the machine around a command.
import { hostname } from 'node:os';
import type { App } from '../../app/compose';
import type { Config } from '../../config/schema';
import { render, t, type Lang, type Message } from '../../i18n';
import { claimAndSendFindings, findingsPorts, type FindingsOptions, type FindingsPorts } from '../../alerting/findings-notify';
import { computeAlerts, type MissedReason } from '../../alerting/alert-rules';
import { eventText, Reporter, type EventSink } from '../../run/events';
import { fileSink, logFileName, pruneLogs, type LogKind } from '../../run/run-log';
import { messageJson, summaryJson, type Out } from '../output';
import { attachProgressLine, progressSink } from '../progress-line';
import { lowerOwnPriority, priorityMessages } from '../../process/priority';

export function runReporter(app: App, out: Out, kind: LogKind): Reporter {
  // The app's clock: a test that says it is 3 November gets its run logged (and named) on 3 November.
  const started = app.now();
  const file = fileSink(app.paths.logDir, logFileName(started, process.pid, kind));
  // Which program wrote this log (M 6.37 asks for software and version per run): read by the monthly record.
  file({ type: 'program', name: 'praxis-backup', version: app.version, host: hostname(), command: kind, pid: process.pid, ts: started.toISOString() });
  const sinks: EventSink[] = [file];
  // On a terminal: the live progress line, cleared by a step's end before that step's line prints.
  const live = attachProgressLine(out);
  if (live) sinks.push(progressSink(live));
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

/**
 * What runs at night (`run`, `mirror`, `verify`) lowers its own priority before it starts any
 * child, so they all inherit it (src/process/priority.ts); the log says what was used. `afterStart`
 * (`run`): the line follows the run's 'started' event, which followers expect first.
 */
export async function lowPriority(app: App, config: Config, reporter: Reporter, o: { afterStart?: boolean } = {}): Promise<void> {
  const say = (m: Message) => (o.afterStart ? reporter.infoAfterStart(m.key, m.params) : reporter.info(m.key, m.params));
  if (!config.performance.lowPriority) {
    say({ key: 'priority.off' });
    return;
  }
  for (const m of priorityMessages(await lowerOwnPriority(app.platform, app.tools))) say(m);
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

/** The ports of src/alerting for one command (one deliverer per process: its outbox serves every notice of the command). */
export function notifyPorts(app: App, config: Config): FindingsPorts {
  return findingsPorts(app, config);
}

export interface NotifyAlertsOptions {
  /** Made for this command already (notifyPorts). */
  ports?: FindingsPorts;
  /** Claim today's alerts (default). False: only what the calendar makes due (weekly summary, monthly report). */
  alerts?: boolean;
  /** Alerts this command's failure notice has just said (claimed, not repeated). */
  alreadySaid?: FindingsOptions['alreadySaid'];
  missedReason?: MissedReason;
}

/**
 * After a scheduled job (`run --scheduled`, `verify --restore-test --scheduled`) and any run: at
 * night nobody may have the menu bar open, so the job says what is old or broken itself, once a
 * day, like the tray would — on the desktop and through the configured channels (issue 14), with
 * the weekly summary and the monthly report when the calendar says they are due.
 */
export async function notifyAlerts(app: App, config: Config, lang: Lang, o: NotifyAlertsOptions = {}): Promise<void> {
  const ports = o.ports ?? notifyPorts(app, config);
  const alerts = o.alerts === false ? [] : computeAlerts({ config, status: await app.status.current(), now: ports.now(), missedReason: o.missedReason });
  const due = await claimAndSendFindings(ports, config, alerts, { alerts: o.alerts !== false, alreadySaid: o.alreadySaid });
  if (due.length) await app.notifier().notify(t(lang, 'alert.notify.title'), due.map((a) => render(lang, a.message)).join('\n'));
}

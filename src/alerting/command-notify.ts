// What a command (run, mirror, restore, verify) sends around itself: the heartbeat of a backup
// (start when it really starts, success or fail with the one-line result), the failure notice at
// once when it fails, a success notice when notify.onSuccess asks for it, and the retry of what
// an earlier run could not deliver. Never throws, never changes an exit code: every send is
// bounded by the channels' short timeouts (alerting/deliver.ts).
//
// Decisions (README "Benachrichtigungen"):
// - Exit 1 only is a failure notice. Exit 3 (warnings: an optional USB disk at home, a file that
//   vanished while copying) sends nothing by itself: what lasts becomes an alert of `status` (a
//   destination too old, a failed verification), mailed once a day; a mail every night for a disk
//   taken home on purpose would teach people to ignore the mails. With onSuccess the success
//   notice lists the warnings. Exit 2 is a typing error at a terminal; 75 is a run refused because
//   another one runs (that one reports).
// - The heartbeat's start goes when the backup has the lock and begins (the `started` event), so a
//   run refused by the lock (75) pings nothing: the running one pings. A config that does not load
//   has no heartbeat URL to ping: the monitor notices the missing success ping instead.
import type { Config } from '../config/schema';
import { formatDuration, render, type Lang } from '../i18n';
import type { Reporter, RunSummary } from '../run/events';
import type { StatusStore } from '../run/status-store';
import type { Deliverer, Heartbeat } from './contracts';
import { LogTail } from './log-tail';
import { failureNotice, noticeContext, successNotice, type FailedCommand } from './notices';
import { withoutFileNames } from './redact';

/** What the glue needs from the composition root (App), narrowed so tests can hand in their own. */
export interface NotifyPorts {
  now(): Date;
  status: StatusStore;
  deliverer: Deliverer | null;
  heartbeat: Heartbeat | null;
  host?: string;
}

const EXIT_FAILED = 1;
const EXIT_LOCKED = 75;
/** Exit 1, but nothing went wrong: the admin answered „no“ at the prompt, and nothing was changed. */
const NOT_A_FAILURE = new Set<string>(['restore.run.notConfirmed']);

export class CommandNotify {
  private readonly tail: LogTail;
  private readonly startedAt: Date;
  private readonly lang: Lang;
  private startPing: Promise<unknown> = Promise.resolve();
  private readonly flushing: Promise<unknown>;

  /**
   * Call right after the config loaded and the reporter exists. `heartbeat`: this command is the
   * backup the monitor watches (`run`); `silent`: a dry run, where nothing is done and nothing is said.
   */
  constructor(
    private readonly ports: NotifyPorts,
    private readonly config: Config,
    private readonly what: FailedCommand,
    reporter: Reporter,
    private readonly opts: { heartbeat?: boolean; silent?: boolean } = {},
  ) {
    this.lang = config.notify?.language ?? 'de';
    this.startedAt = ports.now();
    this.tail = new LogTail(this.lang);
    reporter.addSink(this.tail.sink);
    if (opts.heartbeat && ports.heartbeat) {
      const hb = ports.heartbeat;
      reporter.addSink((e) => {
        if (e.type === 'started') this.startPing = hb.ping('start', render(this.lang, { key: 'run.started', params: { id: e.id, components: e.components.length, dir: e.backupDir } })).catch(() => null);
      });
    }
    // What earlier runs could not deliver goes first, beside the work (not before it: a dead SMTP
    // server must not delay the backup by its timeout).
    this.flushing = opts.silent || !ports.deliverer ? Promise.resolve() : ports.deliverer.flush().catch(() => []);
  }

  /** After the command's summary: the end ping and the notice, awaited (each bounded by its timeout). */
  async finish(summary: RunSummary): Promise<void> {
    try {
      await this.flushing;
      const jobs: Promise<unknown>[] = [];
      if (this.opts.heartbeat && this.ports.heartbeat && summary.exitCode !== EXIT_LOCKED) jobs.push(this.endPing(this.ports.heartbeat, summary));
      const notice = await this.notice(summary);
      if (notice && this.ports.deliverer) jobs.push(this.ports.deliverer.send(notice));
      await Promise.all(jobs.map((j) => j.catch(() => null)));
    } catch {
      /* delivery never fails a command */
    }
  }

  private async endPing(hb: Heartbeat, summary: RunSummary): Promise<unknown> {
    await this.startPing; // the monitor must see start before its end
    const failed = summary.result === 'failed';
    const line = failed
      ? render(this.lang, withoutFileNames(summary.error ?? this.tail.lastError ?? { key: 'notice.noReason', params: { code: summary.exitCode } }))
      : summary.result === 'warning'
        ? render(this.lang, { key: 'run.finished.warning', params: { id: summary.backupId ?? '?', count: summary.warnings.length } })
        : render(this.lang, { key: 'run.finished.ok', params: { id: summary.backupId ?? '?', size: { key: 'format.bytes', params: { n: summary.bytes ?? 0 } }, duration: formatDuration(summary.durationMs) } });
    return hb.ping(failed ? 'fail' : 'success', line);
  }

  private async notice(summary: RunSummary) {
    if (this.opts.silent) return null;
    const ctx = noticeContext(this.config, this.ports.now(), this.ports.host);
    if (summary.result === 'failed') {
      if (summary.exitCode !== EXIT_FAILED || (summary.error && NOT_A_FAILURE.has(summary.error.key))) return null;
      const local = (await this.ports.status.read().catch(() => null))?.destinations.local?.lastSuccess;
      const reason = summary.error ?? this.tail.lastError ?? undefined;
      return failureNotice(ctx, { what: this.what, summary: { ...summary, error: reason }, startedAt: this.startedAt, logTail: this.tail.text, lastGood: local ? { backupId: local.backupId, at: local.at } : null });
    }
    if (this.what === 'run' && this.config.notify?.onSuccess) return successNotice(ctx, summary, this.startedAt);
    return null;
  }
}

// `praxis-backup status`: is a backup running, when did each destination last succeed or fail,
// when is the next scheduled run.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { nextRuns } from '../../config/cron';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { formatDuration, render, t } from '../../i18n';
import { ConfigError } from '../../core/errors';
import { alertExitCode, computeAlerts, diskFactParams, missedReasonFrom, type MissedReason } from '../../alerting/alert-rules';
import { diskFacts, type DiskFacts } from '../../mirror/rotation';
import { isRotation } from '../../config/schema';
import type { DestinationStatus, Status } from '../../run/status-store';
import type { FullDiskAccess } from '../../platform/full-disk-access';
import { claimAndSendFindings } from '../../alerting/findings-notify';
import { undeliveredSince } from '../../alerting/undelivered';
import { parseCommand } from '../args';
import { messageJson, type Out } from '../output';
import { notifyPorts } from './run-support';

export async function statusCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values } = parseCommand('status', argv, {});
  let config: Config | null = null;
  try {
    config = await loadConfig(values.config ? resolve(values.config) : app.paths.configFile);
  } catch (e) {
    // Status must still be readable without a config; a broken config is worth an error though.
    if (!(e instanceof ConfigError && e.kind === 'notFound')) throw e;
  }
  const s = await app.status.current();
  const next = config?.schedule ? nextRuns(config.schedule.cron, 1)[0] : undefined;
  // Old or broken backups, a missed night: what a monitoring system polls `status --json` for (exit 1).
  const alerts = config ? computeAlerts({ config, status: s, now: app.now(), missedReason: config.schedule ? await scheduleReason(app) : undefined }) : [];
  const locale = out.lang === 'de' ? 'de-DE' : 'en-GB';
  const fmt = (iso: string) => new Date(iso).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
  // A skipped scheduled run stays news until the next run starts.
  const skipped = s.lastSkipped && (!s.lastRun || s.lastSkipped.at > s.lastRun.startedAt) ? s.lastSkipped : undefined;
  const fda = app.platform === 'darwin' ? await app.fullDiskAccess() : undefined;
  // The run that ended without finishing, as the text and --json both name it (step: the component, else the phase).
  const r = s.interruptedRun;
  const interrupted = r && { startedAt: r.startedAt, pid: r.pid, backupId: r.backupId, phase: r.component ?? r.phase };
  const waiting = undeliveredSince(app);
  const disks = config ? await rotatingDisks(app, config, s) : {};

  if (out.json) {
    out.data({
      running: s.running,
      interrupted: s.interrupted ?? false,
      interruptedRun: interrupted ?? null,
      lastRun: s.lastRun && {
        ...s.lastRun,
        message: s.lastRun.message ? messageJson(out.lang, s.lastRun.message) : undefined,
        warnings: s.lastRun.warnings.map((w) => messageJson(out.lang, w)),
      },
      destinations: Object.fromEntries(
        Object.entries(s.destinations).map(([k, d]) => [
          k,
          {
            lastSuccess: d.lastSuccess,
            lastFailure: d.lastFailure && { at: d.lastFailure.at, message: messageJson(out.lang, d.lastFailure.message) },
            // A rotating set: each disk, in the config's order (label, last copy, newest backup, last seen, attached now).
            ...(disks[k] ? { disks: disks[k]!.map((f) => ({ ...f, lastFailure: f.lastFailure && { at: f.lastFailure.at, message: messageJson(out.lang, f.lastFailure.message) } })) } : {}),
          },
        ]),
      ),
      nextRun: next?.toISOString() ?? null,
      alerts: alerts.map((a) => ({ key: a.key, kind: a.kind, destination: a.destination, severity: a.severity, message: messageJson(out.lang, a.message), text: render(out.lang, a.message) })),
      skipped: skipped ? { at: skipped.at, reason: messageJson(out.lang, skipped.reason) } : null,
      fullDiskAccess: fda ? { now: fda, scheduledRun: s.fullDiskAccess ?? null } : undefined,
      // Notices waiting in the outbox for over a day: nobody off the machine hears (issue 14).
      undelivered: waiting ? { count: waiting.count, since: waiting.since.toISOString() } : null,
      copyTool: s.copyTool ? { ...s.copyTool, kept: render(out.lang, s.copyTool.kept), cannotKeep: s.copyTool.cannotKeep ? render(out.lang, s.copyTool.cannotKeep) : null } : null,
    });
    return alertExitCode(alerts);
  }
  if (s.running) out.print(t(out.lang, 'status.running', { since: fmt(s.running.startedAt), pid: s.running.pid, phase: s.running.component ?? s.running.phase }));
  else if (interrupted) out.print(t(out.lang, 'status.interrupted', { since: fmt(interrupted.startedAt), pid: interrupted.pid, phase: interrupted.phase }));
  else out.print(t(out.lang, 'status.idle'));
  const dests: [string, DestinationStatus][] = Object.keys(s.destinations).length ? Object.entries(s.destinations) : [['local', {}]];
  for (const [name, d] of dests) {
    if (d.lastSuccess) out.print(t(out.lang, 'status.lastSuccess', { dest: name, when: fmt(d.lastSuccess.at) }));
    else out.print(t(out.lang, 'status.never', { dest: name }));
    if (d.lastFailure && (!d.lastSuccess || d.lastFailure.at > d.lastSuccess.at)) {
      out.print(t(out.lang, 'status.lastFailure', { dest: name, when: fmt(d.lastFailure.at), message: render(out.lang, d.lastFailure.message) }));
    }
    for (const f of disks[name] ?? []) out.print(t(out.lang, 'status.disk', diskFactParams(f, app.now())));
  }
  for (const a of alerts) out.print(`${a.severity === 'error' ? '✗' : '⚠'} ${render(out.lang, a.message)}`);
  if (skipped) out.print(t(out.lang, 'status.skipped', { when: fmt(skipped.at) }));
  if (fda) for (const line of fullDiskAccessLines(out, fda, s.fullDiskAccess, fmt)) out.print(line);
  if (s.copyTool) {
    out.print(t(out.lang, 'status.copyTool', { version: s.copyTool.version, path: s.copyTool.path, flags: s.copyTool.flags, kept: render(out.lang, s.copyTool.kept) }));
    if (s.copyTool.cannotKeep) out.print(`⚠ ${t(out.lang, 'status.copyToolCannotKeep', { lost: render(out.lang, s.copyTool.cannotKeep) })}`);
  }
  out.print(next ? t(out.lang, 'status.next', { when: next.toLocaleString(locale, { dateStyle: 'full', timeStyle: 'short' }) }) : t(out.lang, 'status.noSchedule'));
  if (waiting) out.print(`⚠ ${t(out.lang, 'tray.state.undelivered', { count: waiting.count, when: fmt(waiting.since.toISOString()) })}`);
  // Issue 14, after the screen is written (sending may take the channels' timeout): what could not
  // be delivered is retried; today's alerts (once a day, shared with the tray and the scheduled
  // run), the weekly summary and the monthly report go out when due. A server without the tray and
  // without a schedule still tells someone when a script or a person runs `status`. Not --json:
  // monitoring polls that every few minutes and must get an answer at once that changes nothing.
  // Without channels nothing is claimed: the tray's desktop notification must still come.
  const ports = config && notifyPorts(app, config);
  if (config && ports?.deliverer) {
    await ports.deliverer.flush().catch(() => []);
    await claimAndSendFindings(ports, config, alerts, { alerts: true });
  }
  return alertExitCode(alerts);
}

/**
 * Each rotating set's disks with what status.json knows of them and whether they are attached now
 * (asked of the volumes, by UUID). A failed look leaves "attached" unknown rather than failing `status`.
 */
async function rotatingDisks(app: App, config: Config, s: Status): Promise<Record<string, DiskFacts[]>> {
  const out: Record<string, DiskFacts[]> = {};
  for (const m of config.mirrors) {
    if (!isRotation(m)) continue;
    let attached: string[] | undefined = [];
    try {
      const volumes = app.volumes();
      for (const v of m.volumes) if (await volumes.find({ uuid: v.uuid })) attached.push(v.uuid);
    } catch {
      attached = undefined;
    }
    out[m.name] = diskFacts(m, s, attached);
  }
  return out;
}

/** Asking launchd/systemd takes a moment and may fail (no user manager): then the reason stays unknown. */
async function scheduleReason(app: App): Promise<MissedReason | undefined> {
  try {
    return missedReasonFrom(await app.scheduler().status());
  } catch {
    return undefined;
  }
}

/** macOS: FDA as this process sees it, and as the last scheduled run (the one that matters) saw it. */
function fullDiskAccessLines(out: Out, now: FullDiskAccess, scheduled: Status['fullDiskAccess'], fmt: (iso: string) => string): string[] {
  const state = (status: string, detail?: string) =>
    t(out.lang, status === 'authorized' ? 'fda.authorized' : status === 'denied' ? 'fda.denied' : status === 'not determined' ? 'fda.notDetermined' : 'fda.unavailable', { detail: detail ?? '' });
  const lines = [t(out.lang, 'status.fda.now', { executable: now.executable, state: state(now.status, now.detail) })];
  if (scheduled) lines.push(t(out.lang, 'status.fda.scheduled', { when: fmt(scheduled.at), executable: scheduled.executable, state: state(scheduled.status, scheduled.detail) }));
  else lines.push(t(out.lang, 'status.fda.noScheduledRun'));
  const denied = scheduled?.status === 'denied' ? scheduled.executable : now.status === 'denied' ? now.executable : undefined;
  if (denied) lines.push(t(out.lang, 'status.fda.fix', { executable: denied }));
  return lines;
}

// `praxis-backup status`: is a backup running, when did each destination last succeed or fail,
// when is the next scheduled run.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { nextRuns } from '../../config/cron';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { formatDuration, render, t } from '../../i18n';
import { ConfigError } from '../../services/errors';
import type { DestinationStatus } from '../../services/status-store';
import { parseCommand } from '../args';
import { messageJson, type Out } from '../output';

const TOO_OLD_MS = 26 * 3600_000;

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
  const local = s.destinations.local;
  const age = local?.lastSuccess ? Date.now() - Date.parse(local.lastSuccess.at) : undefined;
  const locale = out.lang === 'de' ? 'de-DE' : 'en-GB';
  const fmt = (iso: string) => new Date(iso).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });

  if (out.json) {
    out.data({
      running: s.running,
      interrupted: s.interrupted ?? false,
      lastRun: s.lastRun && {
        ...s.lastRun,
        message: s.lastRun.message ? messageJson(out.lang, s.lastRun.message) : undefined,
        warnings: s.lastRun.warnings.map((w) => messageJson(out.lang, w)),
      },
      destinations: Object.fromEntries(
        Object.entries(s.destinations).map(([k, d]) => [
          k,
          { lastSuccess: d.lastSuccess, lastFailure: d.lastFailure && { at: d.lastFailure.at, message: messageJson(out.lang, d.lastFailure.message) } },
        ]),
      ),
      nextRun: next?.toISOString() ?? null,
      tooOld: age !== undefined && age > TOO_OLD_MS,
    });
    return 0;
  }
  if (s.running) out.print(t(out.lang, 'status.running', { since: fmt(s.running.startedAt), pid: s.running.pid, phase: s.running.component ?? s.running.phase }));
  else out.print(t(out.lang, 'status.idle'));
  const dests: [string, DestinationStatus][] = Object.keys(s.destinations).length ? Object.entries(s.destinations) : [['local', {}]];
  for (const [name, d] of dests) {
    if (d.lastSuccess) out.print(t(out.lang, 'status.lastSuccess', { dest: name, when: fmt(d.lastSuccess.at) }));
    else out.print(t(out.lang, 'status.never', { dest: name }));
    if (d.lastFailure && (!d.lastSuccess || d.lastFailure.at > d.lastSuccess.at)) {
      out.print(t(out.lang, 'status.lastFailure', { dest: name, when: fmt(d.lastFailure.at), message: render(out.lang, d.lastFailure.message) }));
    }
  }
  if (age !== undefined && age > TOO_OLD_MS) out.print(t(out.lang, 'status.tooOld', { dest: 'local', age: formatDuration(age) }));
  out.print(next ? t(out.lang, 'status.next', { when: next.toLocaleString(locale, { dateStyle: 'full', timeStyle: 'short' }) }) : t(out.lang, 'status.noSchedule'));
  return 0;
}

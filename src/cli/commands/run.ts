// `praxis-backup run`: one backup now (and the mirrors after it). Thin: load the config, wire
// the sinks, call the engine.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { render, t, type Lang } from '../../i18n';
import { claimDueAlerts, computeAlerts } from '../../services/alerts';
import { runBackup } from '../../services/backup-run';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { runReporter, withCancel } from './run-support';

export async function runCommand(app: App, argv: string[], out: Out): Promise<number> {
  // --scheduled: started by launchd / systemd (`schedule install` writes it into the job).
  const { values } = parseCommand('run', argv, { scheduled: { type: 'boolean', default: false } });
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  const reporter = runReporter(app, out, 'run');
  if (values.scheduled) await recordFullDiskAccess(app);
  const summary = await withCancel((signal) =>
    runBackup(
      config,
      {
        platform: app.platform,
        tools: app.tools,
        secrets: app.secretsFor(config),
        status: app.status,
        toolVersion: app.version,
        mirrors: config.mirrors.length ? app.mirrorDeps(config, out.lang) : undefined,
        scheduled: values.scheduled,
      },
      reporter,
      signal,
    ),
  );
  if (summary.result === 'failed' && summary.details?.length) {
    for (const d of summary.details) out.text(`  ${d}`);
  }
  if (!out.json && summary.error) {
    // The reason was already printed as an event; repeat it last so it is what the admin sees.
    out.text(render(out.lang, summary.error));
  }
  // At night nobody may have the menu bar open: a scheduled run says what is old or broken
  // (a USB disk not copied for 9 days) itself, once a day, like the tray would.
  if (values.scheduled) await notifyAlerts(app, config, out.lang).catch(() => {});
  return summary.exitCode;
}

async function notifyAlerts(app: App, config: Config, lang: Lang): Promise<void> {
  const alerts = computeAlerts({ config, status: await app.status.current(), now: new Date() });
  const due = await claimDueAlerts(app.status, alerts, new Date());
  if (due.length) await app.notifier().notify(t(lang, 'alert.notify.title'), due.map((a) => render(lang, a.message)).join('\n'));
}

/** Only the process launchd started can tell whether it has Full Disk Access (TCC): keep its answer. */
async function recordFullDiskAccess(app: App): Promise<void> {
  const fda = await app.fullDiskAccess();
  if (fda.status === 'not applicable') return;
  await app.status.update((s) => {
    s.fullDiskAccess = { at: new Date().toISOString(), ...fda };
  }).catch(() => {});
}

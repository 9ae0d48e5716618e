// `praxis-backup run`: one backup now (and the mirrors after it). Thin: load the config, wire
// the sinks, call the engine.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { CommandNotify } from '../../alerting/command-notify';
import { loadConfig } from '../../config/load';
import { render } from '../../i18n';
import { runBackup } from '../../backup/backup-run';
import { restoreTestAfterBackup } from '../../verify/verify-policy';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { lowPriority, notifyAlerts, notifyPorts, runReporter, withCancel } from './run-support';

export async function runCommand(app: App, argv: string[], out: Out): Promise<number> {
  // --scheduled: started by launchd / systemd (`schedule install` writes it into the job).
  const { values } = parseCommand('run', argv, { scheduled: { type: 'boolean', default: false } });
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  const reporter = runReporter(app, out, 'run');
  await lowPriority(app, config, reporter, { afterStart: true });
  // Issue 14: the heartbeat around the backup, the failure notice at once, the outbox retried.
  const ports = notifyPorts(app, config);
  const notify = new CommandNotify(ports, config, 'run', reporter, { heartbeat: true });
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
        // The backup's id is its start time: the app's clock, which a test can set (PRAXIS_BACKUP_TEST_NOW).
        now: () => app.now(),
        mirrors: config.mirrors.length ? app.mirrorDeps(config, out.lang) : undefined,
        scheduled: values.scheduled,
        deepIndex: config.verify.deepIndex,
        verifyAfter: { restoreTest: (m) => restoreTestAfterBackup(config, m) },
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
  await notify.finish(summary);
  // At night nobody may have the menu bar open: a scheduled run says what is old or broken
  // (a USB disk not copied for 9 days) itself, once a day, like the tray would. A run by hand
  // leaves the alerts to the tray and the admin looking; the weekly summary and the monthly
  // report go with any run.
  await notifyAlerts(app, config, out.lang, { ports, alerts: values.scheduled }).catch(() => {});
  return summary.exitCode;
}

/** Only the process launchd started can tell whether it has Full Disk Access (TCC): keep its answer. */
async function recordFullDiskAccess(app: App): Promise<void> {
  const fda = await app.fullDiskAccess();
  if (fda.status === 'not applicable') return;
  await app.status.update((s) => {
    s.fullDiskAccess = { at: new Date().toISOString(), ...fda };
  }).catch(() => {});
}

// `praxis-backup verify [ID] [--restore-test] [--deep] [--target NAME] [--fix-permissions] [--scheduled] [--json]`:
// checks a backup (checksums, folder index, modes; with --restore-test a load into a scratch
// database) and says whether it can be put back. Thin: parse, call the engine (verify/verify-run.ts), exit with its code.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { CommandNotify } from '../../alerting/command-notify';
import { loadConfig } from '../../config/load';
import { render } from '../../i18n';
import { BACKUP_ID } from '../../backup-directory/catalog';
import { ExitCode, PraxisError } from '../../core/errors';
import { runVerify, SCHEDULED_LOCK_WAIT } from '../../verify/verify-run';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { lowPriority, notifyAlerts, notifyPorts, runReporter, withCancel } from './run-support';

export async function verifyCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand(
    'verify',
    argv,
    {
      'restore-test': { type: 'boolean', default: false },
      deep: { type: 'boolean', default: false },
      target: { type: 'string' },
      'fix-permissions': { type: 'boolean', default: false },
      // Started by launchd / systemd on verify.cron (`schedule install` writes it into the job).
      scheduled: { type: 'boolean', default: false },
    },
    1,
  );
  const id = positionals[0];
  if (id !== undefined && !BACKUP_ID.test(id)) throw new PraxisError('verify.badId', { id }, ExitCode.invalidInput);
  const config = await loadConfig(values.config ? resolve(values.config) : app.paths.configFile);
  const reporter = runReporter(app, out, 'verify');
  await lowPriority(app, config, reporter);
  // A failed verification is said off the machine at once (issue 14); what is queued is retried.
  const ports = notifyPorts(app, config);
  const notify = new CommandNotify(ports, config, 'verify', reporter);
  const summary = await withCancel((signal) =>
    runVerify(
      config,
      { id, restoreTest: values['restore-test'], deep: values.deep, target: values.target, fixPermissions: values['fix-permissions'], waitForLock: values.scheduled ? SCHEDULED_LOCK_WAIT : undefined },
      {
        platform: app.platform,
        tools: app.tools,
        secrets: app.secretsFor(config),
        status: app.status,
        toolVersion: app.version,
        now: () => app.now(),
        mirrorDeps: values.target ? app.mirrorDeps(config, out.lang) : undefined,
      },
      reporter,
      signal,
    ),
  );
  if (summary.result === 'failed') {
    for (const d of summary.details ?? []) out.text(`  ${d}`);
    if (!out.json && summary.error) out.text(render(out.lang, summary.error));
  }
  await notify.finish(summary);
  // A failed scheduled verification is a failed backup for the admin: the alert says so (once a
  // day). Off the machine the failure notice has just said it: the alert is not mailed again.
  const said = summary.exitCode === ExitCode.failed;
  if (values.scheduled) await notifyAlerts(app, config, out.lang, { ports, alreadySaid: (a) => said && a.kind === 'verifyFailed' }).catch(() => {});
  return summary.exitCode;
}

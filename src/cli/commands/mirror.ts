// `praxis-backup mirror [NAME…] [--on-mount]`: copy the backup directory onto the mirrors now.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { CommandNotify } from '../../alerting/command-notify';
import { loadConfig } from '../../config/load';
import { render } from '../../i18n';
import { runMirrorSession } from '../../mirror/mirror-session';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { lowPriority, notifyPorts, runReporter, withCancel } from './run-support';

export async function mirrorCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('mirror', argv, { 'on-mount': { type: 'boolean', default: false } }, 2);
  const config = await loadConfig(values.config ? resolve(values.config) : app.paths.configFile);
  const reporter = runReporter(app, out, 'mirror');
  await lowPriority(app, config, reporter);
  // A failed copy is said off the machine at once (issue 14); what is queued is retried.
  const notify = new CommandNotify(notifyPorts(app, config), config, 'mirror', reporter);
  const summary = await withCancel((signal) =>
    runMirrorSession(config, { ...app.mirrorDeps(config, out.lang), status: app.status, now: () => app.now() }, reporter, signal, {
      names: positionals,
      onMount: values['on-mount'],
    }),
  );
  if (!out.json && summary.error) out.text(render(out.lang, summary.error));
  await notify.finish(summary);
  return summary.exitCode;
}

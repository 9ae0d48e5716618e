// `praxis-backup run`: one backup now (and the mirrors after it). Thin: load the config, wire
// the sinks, call the engine.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { render } from '../../i18n';
import { runBackup } from '../../services/backup-run';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { runReporter, withCancel } from './run-support';

export async function runCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values } = parseCommand('run', argv, {});
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  const reporter = runReporter(app, out, 'run');
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
  return summary.exitCode;
}

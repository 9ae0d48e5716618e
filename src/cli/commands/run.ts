// `praxis-backup run`: one backup now. Thin: load the config, wire the sinks, call the engine.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { render } from '../../i18n';
import { runBackup } from '../../services/backup-run';
import { eventText, Reporter, type EventSink } from '../../services/events';
import { fileSink, logFileName, pruneLogs } from '../../services/run-log';
import { parseCommand } from '../args';
import { messageJson, summaryJson, type Out } from '../output';

export async function runCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values } = parseCommand('run', argv, {});
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);

  const started = new Date();
  const sinks: EventSink[] = [fileSink(app.paths.logDir, logFileName(started, process.pid))];
  sinks.push((e) => {
    const line = eventText(out.lang, e);
    if (line) out.text(line);
  });
  if (out.json) {
    sinks.push((e) => {
      if (e.type === 'log' || e.type === 'warning') out.data({ ...e, message: messageJson(out.lang, e.message) });
      else if (e.type === 'finished') out.data({ ...e, summary: summaryJson(out.lang, e.summary) });
      else out.data(e);
    });
  }
  const reporter = new Reporter(sinks);

  // Ctrl-C, the tray's "Abbrechen" and launchd's stop all arrive as signals: cancel cleanly.
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);

  const summary = await runBackup(
    config,
    { platform: app.platform, tools: app.tools, secrets: app.secretsFor(config), status: app.status, toolVersion: app.version },
    reporter,
    abort.signal,
  );
  pruneLogs(app.paths.logDir);
  if (summary.result === 'failed' && summary.details?.length) {
    for (const d of summary.details) out.text(`  ${d}`);
  }
  if (!out.json && summary.error) {
    // The reason was already printed as an event; repeat it last so it is what the admin sees.
    out.text(render(out.lang, summary.error));
  }
  return summary.exitCode;
}

// `praxis-backup report --month YYYY-MM [--out FILE.pdf] [--json]`: the month's Datensicherungsprotokoll
// as a PDF, made from the run logs, the status file and the manifests (src/report/). Thin: parse,
// call writeMonthlyReport, say where the file is. --json prints the collected facts as one object
// (with `path`), each message also as text in the CLI's language.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { de } from '../../i18n/de';
import { t, type Lang, type Message } from '../../i18n';
import { ExitCode, PraxisError } from '../../core/errors';
import { writeMonthlyReport } from '../../report/protocol';
import { parseCommand } from '../args';
import { messageJson, type Out } from '../output';

const isMessage = (v: unknown): v is Message => !!v && typeof v === 'object' && typeof (v as Message).key === 'string' && Object.hasOwn(de, (v as Message).key);

/** Every message inside `value` with its text added (a script or the tray need not render keys). */
export function withTexts(value: unknown, lang: Lang): unknown {
  if (Array.isArray(value)) return value.map((v) => withTexts(v, lang));
  if (isMessage(value)) return messageJson(lang, value);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withTexts(v, lang)]));
  return value;
}

export async function reportCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values } = parseCommand('report', argv, { month: { type: 'string' }, out: { type: 'string' } });
  if (values.month === undefined) throw new PraxisError('report.monthMissing', {}, ExitCode.invalidInput);
  const config = await loadConfig(values.config ? resolve(values.config) : app.paths.configFile);
  const { path, data } = await writeMonthlyReport({
    config,
    month: values.month,
    lang: out.lang,
    out: values.out,
    now: app.now(),
    version: app.version,
    logDir: app.paths.logDir,
    stateDir: app.paths.stateDir,
  });
  if (out.json) out.data(withTexts({ path, ...data }, out.lang));
  else out.print(t(out.lang, data.runs.length ? 'report.written' : 'report.writtenEmpty', { path, runs: data.runs.length, findings: data.findings.length }));
  // A log that could not be read leaves a gap in the record: written, but with a warning.
  return data.unreadableLogs.length ? ExitCode.warnings : ExitCode.ok;
}

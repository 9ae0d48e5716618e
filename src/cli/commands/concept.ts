// `praxis-backup concept [--out FILE.pdf]`: the practice's Datensicherungskonzept from the config,
// as a PDF to print, fill in and hand to an auditor. Reads no secret and no status: only the config.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { t } from '../../i18n';
import { writeConcept } from '../../report/concept';
import { ExitCode, PraxisError } from '../../services/errors';
import { parseCommand } from '../args';
import type { Out } from '../output';

/** The file name an auditor asks for; in the current directory unless --out says otherwise. */
export const CONCEPT_FILE = 'Datensicherungskonzept.pdf';

export async function conceptCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values } = parseCommand('concept', argv, { out: { type: 'string' } });
  const file = resolve(values.out ?? CONCEPT_FILE);
  if (!/\.pdf$/i.test(file)) throw new PraxisError('concept.cli.notPdf', { file }, ExitCode.invalidInput);
  const dir = dirname(file);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* missing: said below */
  }
  if (!isDir) throw new PraxisError('error.dirMissing', { dir }, ExitCode.invalidInput);
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  await writeConcept(file, { config, configFile, lang: out.lang, now: app.now(), platform: app.platform, version: app.version });
  if (out.json) out.data({ type: 'concept', file });
  else out.print(file);
  out.text(t(out.lang, 'concept.cli.written', { file }));
  return ExitCode.ok;
}

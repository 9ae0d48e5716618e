// `praxis-backup concept [--out FILE.pdf|DIR]`: the practice's Datensicherungskonzept from the config,
// as a PDF to print, fill in and hand to an auditor. Reads no secret and no status: only the config,
// and the newest backup's manifest for its sizes (the disk the retention policy needs once full).
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { App } from '../../app/compose';
import { readCatalog } from '../../backup-directory/catalog';
import { loadConfig } from '../../config/load';
import { sizesOf } from '../../retention/retention-preview';
import { t } from '../../i18n';
import { writeConcept } from '../../report/concept';
import { ExitCode, PraxisError } from '../../core/errors';
import { parseCommand } from '../args';
import type { Out } from '../output';

/** The file name an auditor asks for; in the current directory unless --out says otherwise. */
export const CONCEPT_FILE = 'Datensicherungskonzept.pdf';

export async function conceptCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values } = parseCommand('concept', argv, { out: { type: 'string' } });
  // A folder (like report's --out) gets the usual name inside.
  const target = resolve(values.out ?? CONCEPT_FILE);
  const file = isDirectory(target) ? join(target, CONCEPT_FILE) : target;
  if (!/\.pdf$/i.test(file)) throw new PraxisError('concept.cli.notPdf', { file }, ExitCode.invalidInput);
  const dir = dirname(file);
  if (!isDirectory(dir)) throw new PraxisError('error.dirMissing', { dir }, ExitCode.invalidInput);
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  const now = app.now();
  const newest = (await readCatalog(config.backupDir, { now })).complete[0];
  await writeConcept(file, { config, configFile, lang: out.lang, now, platform: app.platform, version: app.version, sizes: newest ? sizesOf(newest) : undefined });
  if (out.json) out.data({ type: 'concept', file });
  else out.print(file);
  out.text(t(out.lang, 'concept.cli.written', { file }));
  return ExitCode.ok;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

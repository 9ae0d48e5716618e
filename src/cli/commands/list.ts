// `praxis-backup list [--dir DIR]`: complete backups, newest first. Works on any folder, e.g. a
// USB disk from another practice computer, without a config.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { formatBytes, t } from '../../i18n';
import { idToDate, readCatalog } from '../../services/backup-catalog';
import { ExitCode, PraxisError } from '../../services/errors';
import { parseCommand } from '../args';
import type { Out } from '../output';

export async function listCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values } = parseCommand('list', argv, { dir: { type: 'string' } });
  const dir = values.dir
    ? resolve(values.dir)
    : (await loadConfig(values.config ? resolve(values.config) : app.paths.configFile)).backupDir;
  if (values.dir && !existsSync(dir)) throw new PraxisError('error.dirMissing', { dir }, ExitCode.invalidInput);
  const catalog = await readCatalog(dir);
  if (out.json) {
    out.data({
      dir,
      backups: catalog.complete.map((b) => ({
        id: b.id,
        path: b.path,
        startedAt: b.manifest.startedAt,
        finishedAt: b.manifest.finishedAt,
        bytes: b.bytes,
        host: b.manifest.host,
        components: b.manifest.components.map((c) => ({ name: c.name, type: c.type, bytes: c.bytes, files: c.files })),
        warnings: b.manifest.warnings,
      })),
      incomplete: [...catalog.partial, ...catalog.invalid],
    });
    return 0;
  }
  if (catalog.complete.length === 0) out.print(t(out.lang, 'list.empty', { dir }));
  else {
    out.print(t(out.lang, 'list.header', { dir }));
    const locale = out.lang === 'de' ? 'de-DE' : 'en-GB';
    for (const b of catalog.complete) {
      const when = idToDate(b.id).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
      const comps = b.manifest.components.map((c) => c.name).join(', ');
      const warn = b.manifest.warnings.length ? '  ⚠' : '';
      out.print(`  ${b.id}  ${when.padEnd(22)} ${formatBytes(b.bytes, out.lang).padStart(9)}  ${comps}${warn}`);
    }
  }
  const incomplete = catalog.partial.length + catalog.invalid.length;
  if (incomplete) out.print(t(out.lang, 'list.incomplete', { count: incomplete }));
  return 0;
}

// `praxis-backup list [--dir DIR | --mirror NAME [--passphrase-stdin]]`: complete backups, newest
// first. --dir works on any folder, e.g. a USB disk from another practice computer, without a
// config. --mirror reaches a configured mirror as the engine does — mounted, an encrypted one
// unlocked with the stored passphrase, the one piped in, or one typed at the prompt (a new machine,
// from the emergency sheet) — and closes it again.
// Each backup says which retention rules keep it, and a quarter's last state kept by the quarterly
// rule is marked „Quartalssicherung Q3/2026“ (issue 18), by the policy of the place listed: the
// config's, a mirror's own, or for --dir the config's if there is one (else the default policy).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import type { RetentionConfig } from '../../config/schema';
import { formatBytes, t } from '../../i18n';
import { idToDate, readCatalog, type Catalog } from '../../backup-directory/catalog';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { eventText, Reporter } from '../../run/events';
import { readMirror } from '../../mirror/mirror-session';
import { DEFAULT_RETENTION } from '../../retention/policy';
import { planRetention } from '../../retention/retention-plan';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { mirrorPassphraseAsker, readPassphraseStdin } from '../terminal';

/** The backups of a configured mirror, read through readMirror (lock, mount, unlock, close). */
async function mirrorCatalog(app: App, configFile: string, name: string, passphraseStdin: boolean, out: Out): Promise<{ dir: string; catalog: Catalog; retention: RetentionConfig }> {
  const config = await loadConfig(configFile);
  // A mirror's own generations where its kind has them (volume, smb, path), else the local policy.
  const mirror = config.mirrors.find((m) => m.name === name);
  const retention = (mirror && 'retention' in mirror && mirror.retention) || config.retention;
  const passphrase = passphraseStdin ? await readPassphraseStdin(name) : undefined;
  const deps = { ...app.mirrorDeps(config, out.lang), askPassphrase: mirrorPassphraseAsker(out.lang, !out.json) };
  // The mirror's decrypted view is closed when this returns: the paths shown are where it was.
  // Its messages (a lock taken over, an unmount that failed) go to stderr only, no log file.
  const reporter = new Reporter([
    (e) => {
      const line = eventText(out.lang, e);
      if (line) out.text(line);
    },
  ]);
  return readMirror(config, name, deps, reporter, { passphrase }, async (d) => ({ dir: d.dir, catalog: await d.catalog(), retention }));
}

export async function listCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values } = parseCommand('list', argv, { dir: { type: 'string' }, mirror: { type: 'string' }, 'passphrase-stdin': { type: 'boolean', default: false } });
  if (values.dir && values.mirror) throw new UsageError('--dir and --mirror cannot be used together', 'list');
  if (values['passphrase-stdin'] && !values.mirror) throw new UsageError('--passphrase-stdin goes with --mirror', 'list');
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  let dir: string;
  let catalog: Catalog;
  let retention: RetentionConfig;
  if (values.mirror) {
    ({ dir, catalog, retention } = await mirrorCatalog(app, configFile, values.mirror, values['passphrase-stdin'], out));
  } else if (values.dir) {
    dir = resolve(values.dir);
    if (!existsSync(dir)) throw new PraxisError('error.dirMissing', { dir }, ExitCode.invalidInput);
    // Any folder, without a config: a broken or absent one only changes which policy marks the list.
    retention = (existsSync(configFile) ? (await loadConfig(configFile).catch(() => null))?.retention : undefined) ?? { ...DEFAULT_RETENTION };
    catalog = await readCatalog(dir);
  } else {
    const config = await loadConfig(configFile);
    dir = config.backupDir;
    retention = config.retention;
    catalog = await readCatalog(dir);
  }
  const plan = new Map(planRetention(catalog.complete, retention, app.now()).decisions.map((d) => [d.entry.id, d]));
  const quarter = (id: string) => plan.get(id)?.quarterArchive ?? null;
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
        /** The rules (and promises: newest, safety) that keep it; empty: the next run's retention removes it. */
        keptBy: plan.get(b.id)?.reasons ?? [],
        quarterArchive: quarter(b.id),
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
      const q = quarter(b.id);
      const mark = q ? `  ${t(out.lang, 'retention.quarterArchive', { quarter: q.quarter, year: q.year })}` : '';
      out.print(`  ${b.id}  ${when.padEnd(22)} ${formatBytes(b.bytes, out.lang).padStart(9)}  ${comps}${warn}${mark}`);
    }
  }
  const incomplete = catalog.partial.length + catalog.invalid.length;
  if (incomplete) out.print(t(out.lang, 'list.incomplete', { count: incomplete }));
  return 0;
}

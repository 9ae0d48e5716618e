// `praxis-backup emergency-sheet <mirror> [--out DIR]`: writes the emergency sheet (Notfallblatt)
// of an encrypted mirror again, e.g. when the printed one is lost or the disk was replaced. The
// passphrase comes from the credential store and goes only into the 0600 file: never to
// stdout/stderr, a log or argv, so a terminal scrollback or a support screenshot cannot leak it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { t } from '../../i18n';
import { storeName } from '../../credentials/credentials';
import { destinationKind } from '../../destinations/registry';
import { sheetComponents, writeEmergencySheet } from '../../encryption/emergency-sheet';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { encryptionCredentialId } from '../../encryption/passphrase';
import { parseCommand } from '../args';
import type { Out } from '../output';

/**
 * The user's Desktop: macOS ~/Desktop; Linux the XDG desktop dir (on a German desktop
 * ~/Schreibtisch, named in ~/.config/user-dirs.dirs), else ~/Desktop. Null when none exists (a
 * server without a desktop): then the state dir, which the CLI names in its output.
 */
/** Where a sheet goes: --out (must exist), else the Desktop, else the state dir (created 0700). */
export async function sheetDir(app: App, outOption: string | undefined): Promise<string> {
  const dir = outOption ? resolve(outOption) : (desktopDir(process.env.HOME || '', process.env) ?? app.paths.stateDir);
  if (outOption && !existsSync(dir)) throw new PraxisError('error.dirMissing', { dir }, ExitCode.invalidInput);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export function desktopDir(home: string, env: NodeJS.ProcessEnv): string | null {
  const candidates: string[] = [];
  try {
    const dirs = readFileSync(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'user-dirs.dirs'), 'utf8');
    const m = /^XDG_DESKTOP_DIR="([^"]+)"/m.exec(dirs);
    if (m) candidates.push(m[1]!.replace(/^\$HOME/, home));
  } catch {
    /* no user-dirs.dirs: not an XDG desktop */
  }
  candidates.push(join(home, 'Desktop'));
  for (const c of candidates) {
    try {
      if (statSync(c).isDirectory() && c !== home) return c;
    } catch {
      /* not there */
    }
  }
  return null;
}

export async function emergencySheetCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('emergency-sheet', argv, { out: { type: 'string' } }, 1);
  const name = positionals[0];
  if (!name) throw new UsageError('missing <mirror>', 'emergency-sheet');
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  const mirror = config.mirrors.find((m) => m.name === name);
  if (!mirror) {
    throw new PraxisError('sheet.cli.unknownMirror', { name, known: config.mirrors.map((m) => m.name).join(', ') || '–' }, ExitCode.invalidInput);
  }
  if (!mirror.encrypt) throw new PraxisError('sheet.cli.notEncrypted', { name, file: configFile }, ExitCode.invalidInput);

  const secrets = app.secretsFor(config);
  const id = encryptionCredentialId(mirror.name);
  const passphrase = await secrets.get(id);
  if (passphrase === null) throw new PraxisError('sheet.cli.noPassphrase', { name, id, store: storeName(secrets) }, ExitCode.failed);

  // The other half of the disk's identity (config names label or UUID) if the disk is attached;
  // the sheet is still right without it, so a failing lookup is not an error.
  const kind = destinationKind(mirror);
  const found = kind.identify ? await kind.identify(mirror, app.volumes()).catch(() => null) : null;

  const dir = await sheetDir(app, values.out);
  const file = await writeEmergencySheet(dir, {
    practiceName: config.practiceName,
    mirror: kind.sheet(mirror, found),
    passphrase,
    createdAt: new Date(),
    lang: out.lang,
    platform: app.platform,
    components: sheetComponents(config),
  });
  if (out.json) out.data({ type: 'emergencySheet', mirror: mirror.name, file });
  else out.print(file);
  out.text(t(out.lang, 'sheet.cli.written', { file }));
  return ExitCode.ok;
}

// `praxis-backup encryption setup <mirror> [--yes] [--out DIR]`: makes an encrypted mirror usable.
//
// Order matters, because a lost passphrase is a lost backup: (1) the target must be there and not
// yet set up, (2) the passphrase is generated (or the one a previous, unconfirmed setup stored is
// reused, so a sheet printed then stays valid) and stored in the Keychain / Secret Service,
// (3) the emergency sheet is written, (4) the admin confirms it was printed or saved elsewhere,
// (5) only then the cipher folder is created. Without confirmation nothing is on the disk and the
// mirror keeps failing with "not set up" — it never copies in the clear.
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { render, t, type Message } from '../../i18n';
import { ExitCode, PraxisError, UsageError } from '../../services/errors';
import { CIPHER_FOLDER, initCipherDir, isInitialised } from '../../services/gocryptfs';
import { releaseTarget, resolveDeps, selectMirrors } from '../../services/mirror-run';
import { resolveTarget } from '../../services/mirror-target';
import { encryptionCredentialId, normalisePassphrase, generatePassphrase } from '../../services/passphrase';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { emergencySheetCommand } from './emergency-sheet';
import { runReporter } from './run-support';

async function confirmed(out: Out, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${t(out.lang, 'encryption.setup.confirm')} `)).trim().toLowerCase();
    return ['j', 'ja', 'y', 'yes'].includes(answer);
  } finally {
    rl.close();
  }
}

/**
 * A new server (or a reinstalled credential store): the passphrase typed from the Notfallblatt,
 * read from stdin only (never an argument), stored as encryption://<mirror>. Whether it is right
 * shows at the next mirror run, which fails with "wrong passphrase" and writes nothing otherwise.
 */
async function setPassphrase(app: App, name: string, out: Out): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const passphrase = normalisePassphrase(Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '');
  if (!passphrase) throw new PraxisError('encryption.emptyPassphrase', { name }, ExitCode.invalidInput);
  await app.keyring().set(encryptionCredentialId(name), passphrase);
  out.text(t(out.lang, 'encryption.passphraseStored', { name }));
  return ExitCode.ok;
}

export async function encryptionCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('encryption', argv, { yes: { type: 'boolean', default: false }, out: { type: 'string' } }, 2);
  const [sub, name] = positionals;
  if ((sub !== 'setup' && sub !== 'set-passphrase') || !name) throw new UsageError('usage: encryption setup <mirror> [--yes] [--out DIR] | encryption set-passphrase <mirror> (passphrase on stdin)', 'encryption');
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  const m = selectMirrors(config, [name])[0]!;
  if (!m.encrypt) throw new PraxisError('encryption.notEncrypted', { name }, ExitCode.invalidInput);
  if (sub === 'set-passphrase') return setPassphrase(app, name, out);

  const deps = app.mirrorDeps(config, out.lang);
  const reporter = runReporter(app, out, 'mirror');
  const resolved = await resolveTarget(m, config.backupDir, resolveDeps(deps));
  if (resolved.kind === 'absent') throw new PraxisError('encryption.absent', { name, reason: render(out.lang, resolved.reason) });
  const target = resolved.target;
  const r: { warnings: Message[] } = { warnings: [] };
  try {
    const cipherDir = join(target.root, CIPHER_FOLDER);
    if (await isInitialised(cipherDir)) throw new PraxisError('mirror.crypt.alreadyInitialised', { name, dir: cipherDir });
    const id = encryptionCredentialId(name);
    const keyring = app.keyring();
    let passphrase = await keyring.get(id);
    if (!passphrase) {
      passphrase = generatePassphrase();
      // Stored before anything is encrypted with it: a cipher folder whose passphrase was never
      // stored anywhere would be lost at once.
      await keyring.set(id, passphrase);
    }
    // The sheet, through the emergency-sheet command (same file, same place, prints only the path).
    const sheetArgs = [name, '--config', configFile, ...(values.out ? ['--out', values.out] : [])];
    const sheetCode = await emergencySheetCommand(app, sheetArgs, out);
    if (sheetCode !== ExitCode.ok) return sheetCode;
    if (!(await confirmed(out, values.yes))) {
      out.text(t(out.lang, 'encryption.setup.notConfirmed', { name }));
      return ExitCode.failed;
    }
    await initCipherDir({ name, credentialId: id, cipherDir, passphrase });
    out.text(t(out.lang, 'encryption.setup.done', { name, dir: cipherDir, store: keyring.description }));
    if (out.json) out.data({ type: 'encryptionSetup', mirror: name, cipherDir, credentialId: id });
    return ExitCode.ok;
  } finally {
    await releaseTarget(m, target, deps, reporter, r);
  }
}

// `praxis-backup encryption setup <mirror> [--yes] [--out DIR]` and `encryption set-passphrase <mirror>`.
// Thin: the setup's order and safety are in src/encryption/encryption-setup.ts.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { t } from '../../i18n';
import { storeName } from '../../credentials/credentials';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { setupEncryption } from '../../encryption/encryption-setup';
import { selectMirrors } from '../../mirror/mirror-run';
import { encryptionCredentialId, normalisePassphrase } from '../../encryption/passphrase';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { ask, readHidden, readPassphraseStdin } from '../terminal';
import { emergencySheetCommand } from './emergency-sheet';
import { runReporter } from './run-support';

async function confirmed(out: Out, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) return false;
  const answer = (await ask(`${t(out.lang, 'encryption.setup.confirm')} `)).trim().toLowerCase();
  return ['j', 'ja', 'y', 'yes'].includes(answer);
}

/**
 * A new server (or a reinstalled credential store): the passphrase typed from the Notfallblatt,
 * read from stdin only (never an argument), stored as encryption://<mirror>. Whether it is right
 * shows at the next mirror run, which fails with "wrong passphrase" and writes nothing otherwise.
 */
async function setPassphrase(app: App, name: string, out: Out): Promise<number> {
  let passphrase: string;
  if (process.stdin.isTTY) {
    // Typed from the sheet at a terminal, hidden; the engine's form (spaces, case) forgiven.
    const typed = await readHidden(`${t(out.lang, 'encryption.passphrasePrompt', { name })} `);
    passphrase = normalisePassphrase(typed ?? '');
    if (!passphrase) throw new PraxisError('encryption.emptyPassphrase', { name }, ExitCode.invalidInput);
  } else passphrase = await readPassphraseStdin(name);
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

  const keyring = app.keyring();
  const result = await setupEncryption(
    config,
    name,
    { mirrorDeps: app.mirrorDeps(config, out.lang), keyring },
    {
      // The sheet through the emergency-sheet command: same file, same place, prints only the path.
      writeSheet: async () => (await emergencySheetCommand(app, [name, '--config', configFile, ...(values.out ? ['--out', values.out] : [])], out)) === ExitCode.ok,
      confirm: () => confirmed(out, values.yes),
    },
    runReporter(app, out, 'mirror'),
  );
  if (!result.done) {
    if (result.reason === 'notConfirmed') out.text(t(out.lang, 'encryption.setup.notConfirmed', { name }));
    return ExitCode.failed;
  }
  out.text(t(out.lang, 'encryption.setup.done', { name, dir: result.cipherDir, store: storeName(keyring) }));
  if (out.json) out.data({ type: 'encryptionSetup', mirror: name, cipherDir: result.cipherDir, credentialId: result.credentialId });
  return ExitCode.ok;
}

// `praxis-backup offsite init <mirror> [--yes] [--existing] [--passphrase-stdin] [--out DIR]`: makes
// an off-site restic repository usable — creates it (after asking) or connects to an existing one —
// and keeps its password in the keyring. Thin: the order and its safety are in
// src/destinations/restic/repository-setup.ts. The password never reaches stdout, stderr or --json:
// only the Notfallblatt (a 0600 file) holds it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { sshDir } from '../../destinations/open-destination';
import { setupRepository } from '../../destinations/restic/repository-setup';
import { normalisePassphrase } from '../../encryption/passphrase';
import { t } from '../../i18n';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { ask, readHidden, readPassphraseStdin } from '../terminal';
import { emergencySheetCommand } from './emergency-sheet';
import { runReporter } from './run-support';

const USAGE = 'usage: offsite init <mirror> [--yes] [--existing] [--passphrase-stdin] [--out DIR]';

export async function offsiteCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand(
    'offsite',
    argv,
    { yes: { type: 'boolean', default: false }, existing: { type: 'boolean', default: false }, 'passphrase-stdin': { type: 'boolean', default: false }, out: { type: 'string' } },
    2,
  );
  const [sub, name] = positionals;
  if (sub !== 'init' || !name) throw new UsageError(USAGE, 'offsite');
  // Checked before anything is created: the sheet must have its place once the repository exists.
  if (values.out && !existsSync(resolve(values.out))) throw new PraxisError('error.dirMissing', { dir: resolve(values.out) }, ExitCode.invalidInput);
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  const interactive = !!process.stdin.isTTY && !values.json;
  const mirrorDeps = app.mirrorDeps(config, out.lang);

  const result = await setupRepository(
    config,
    name,
    {
      tools: app.tools,
      secrets: app.secretsFor(config),
      keyring: process.env.PRAXIS_BACKUP_KEYRING === 'off' ? null : app.keyring(),
      sshDir: sshDir(mirrorDeps),
    },
    {
      existingOnly: values.existing,
      passwordGiven: values['passphrase-stdin'],
      password: async (repository) => {
        if (values['passphrase-stdin']) return readPassphraseStdin(name);
        if (!interactive) throw new PraxisError('offsite.init.passwordNeeded', { repository }, ExitCode.invalidInput);
        const typed = await readHidden(`${t(out.lang, 'offsite.init.passwordPrompt', { name })} `);
        const password = normalisePassphrase(typed ?? '');
        if (!password) throw new PraxisError('encryption.emptyPassphrase', { name }, ExitCode.invalidInput);
        return password;
      },
      confirmCreate: async (repository) => {
        if (values.yes) return true;
        if (!interactive) throw new PraxisError('offsite.init.confirmNeeded', { name, repository }, ExitCode.invalidInput);
        const answer = (await ask(`${t(out.lang, 'offsite.init.confirm', { name, repository })} `)).trim().toLowerCase();
        return ['j', 'ja', 'y', 'yes'].includes(answer);
      },
    },
    runReporter(app, out, 'mirror'),
  );

  if (result.outcome === 'notConfirmed') {
    out.text(t(out.lang, 'offsite.init.notConfirmed', { name }));
    return ExitCode.failed;
  }
  if (result.hostKey) out.text(t(out.lang, 'offsite.init.hostKey', result.hostKey));
  if (result.outcome === 'alreadyConnected') out.text(t(out.lang, 'offsite.init.alreadyConnected', { name, repository: result.mirror.repository }));
  if (result.outcome === 'created') {
    // The sheet through the emergency-sheet command: same file, same place (Desktop or --out), prints its path.
    const sheet = await emergencySheetCommand(app, [name, '--config', configFile, ...(values.out ? ['--out', values.out] : []), ...(values.json ? ['--json'] : [])], out);
    if (sheet !== ExitCode.ok) return sheet;
    out.text(t(out.lang, 'offsite.init.nextCreated', { name }));
  } else out.text(t(out.lang, 'offsite.init.nextConnected', { name }));
  if (out.json) {
    out.data({
      type: 'offsiteInit',
      mirror: name,
      outcome: result.outcome,
      repository: result.mirror.repository,
      credentialId: result.credentialId,
      restic: { path: result.tool.path, version: result.tool.version },
      hostKey: result.hostKey,
    });
  }
  return ExitCode.ok;
}

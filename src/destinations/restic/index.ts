// An off-site restic repository (config `type: "restic"`): SFTP, a REST server, S3-compatible
// storage, B2, … or a local path — whatever restic reaches. Not a folder: the kind opens its own
// Destination (restic-destination.ts) instead of being located and mounted. Always encrypted by
// restic itself; the repository password is the mirror's passphrase (encryption://<name>).
import { join } from 'node:path';
import { PraxisError } from '../../core/errors';
import type { DestinationKind, RecipeSheetSteps } from '../contract';
import { backendCredentialId, networkEndpoint, parseSftp, REST_PASSWORD, SNAPSHOT_TAG, type ResticMirror } from './restic-command';
import { ResticDestination } from './restic-destination';

/** Our own known_hosts for SFTP repositories, in the state folder's ssh/ (never the admin's ~/.ssh). */
export const KNOWN_HOSTS = 'known_hosts';

function resticSheet(): RecipeSheetSteps {
  return {
  rows: (t, w) => [[w.tx('sheet.repository'), t.url ?? '']],
  recipe(t, w, restore) {
    const repo = t.url ?? '';
    const sftp = parseSftp(repo);
    const id = w.tx('sheet.restic.idPlaceholder');
    const steps = [
      { text: w.tx('sheet.restic.install'), code: 'sudo apt install restic        # macOS: brew install restic' },
      {
        text: w.tx(networkEndpoint(repo) ? 'sheet.restic.envNetwork' : 'sheet.restic.env'),
        code: `export RESTIC_REPOSITORY=${w.sq(repo)}\nread -rs RESTIC_PASSWORD && export RESTIC_PASSWORD`,
      },
      ...(sftp ? [{ text: w.tx('sheet.restic.sftpKey', { host: sftp.host }) }] : []),
      { text: w.tx('sheet.restic.list'), code: `restic snapshots --tag ${SNAPSHOT_TAG}` },
      { text: w.tx('sheet.restic.restore'), code: `B_ID=${id}\nrestic restore latest --tag ${SNAPSHOT_TAG},$B_ID --target ~/praxis-restore/$B_ID` },
      ...restore('~/praxis-restore'),
      { text: w.tx('sheet.restic.withPraxisBackup', { name: t.name }), code: `praxis-backup encryption set-passphrase ${t.name}\npraxis-backup list --mirror ${t.name}\npraxis-backup restore ${id} --from-mirror ${t.name}` },
    ];
    return { title: 'sheet.restic.title', steps };
  },
  };
}

export const resticKind: DestinationKind<ResticMirror> = {
  type: 'restic',
  form: { where: 'repository', appendOnly: true, alwaysEncrypted: true, nextStep: 'tray.settings.next.resticInit' },
  wholeVolume: false,
  portable: false,

  async open(m, backupDir, env) {
    return { kind: 'ready', destination: new ResticDestination(m, backupDir, { tools: env.tools, secrets: env.secrets, askPassphrase: env.askPassphrase, knownHosts: join(env.sshDir, KNOWN_HOSTS) }) };
  },

  // Not a folder: open() above is its way in; the folder path never asks a repository.
  async locate(m) {
    throw new PraxisError('error.unexpected', { message: `restic mirror ${m.name} is not a folder` });
  },

  ejects: () => false,
  unmount: async () => undefined,
  describe: (m) => m.repository,
  where: (m) => ({ dir: m.repository, url: m.repository }),

  concept: (m, tx) => [
    tx('concept.where.restic', { repository: m.repository }),
    tx(m.appendOnly ? 'concept.where.resticAppendOnly' : 'concept.where.resticPrune', { days: m.pruneEveryDays }),
  ],

  sheet: (m) => ({ name: m.name, type: 'restic', url: m.repository }),

  // A REST login's password is optional (a server without a login), so it counts only for a rest: address.
  secretIds: (m) => [...m.backendEnv, ...(m.repository.startsWith('rest:') ? [REST_PASSWORD] : [])].map((v) => backendCredentialId(m.name, v)),

  sheetSteps: resticSheet(),
};

// A network share (config `type: "smb"`), mounted by us at <smbMountBase>/<mirror name> with the
// login from the credential store (smb://user@host/share), unmounted again afterwards. Encrypted,
// it holds a gocryptfs folder (Linux) or an encrypted sparse bundle (macOS).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mirror } from '../../config/schema';
import { PraxisError } from '../../core/errors';
import { parseSmbUrl, smbCredentialId } from '../../diskutil/smb-mount';
import { isMountPoint } from '../../platform/mount-point';
import { SPARSEBUNDLE_NAME, SPARSEBUNDLE_VOLNAME } from '../../core/mirror-crypt';
import type { DestinationKind } from '../contract';

type ShareMirror = Extract<Mirror, { type: 'smb' }>;

export const shareKind: DestinationKind<ShareMirror> = {
  type: 'smb',
  wholeVolume: false,
  portable: false,
  form: { where: 'url', user: true },

  async locate(m, _backupDir, deps) {
    const { subPath } = parseSmbUrl(m.url);
    const mp = join(deps.smbMountBase, m.name);
    await mkdir(mp, { recursive: true, mode: 0o700 });
    let mountedByUs: string | undefined;
    if (!(await isMountPoint(mp))) {
      await deps.shares.mount(m.url, m.user, await deps.password(smbCredentialId(m.url, m.user)), mp);
      mountedByUs = mp;
    }
    if (!(await isMountPoint(mp))) throw new PraxisError('mirror.guard', { name: m.name, volume: m.url, path: mp });
    const dir = subPath ? join(mp, subPath) : mp;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return { kind: 'ready', target: { dir, root: dir, mountedByUs, warnings: [] } };
  },

  ejects: () => false,

  async unmount(_m, target, env) {
    if (target.mountedByUs) await env.shares.unmount(target.mountedByUs);
  },

  describe: (m) => m.url,

  concept: (m, tx) => [tx('concept.where.smb', { url: m.url, user: m.user })],

  where: (m, target) => ({ dir: target.dir, url: m.url }),

  credential(m) {
    const { host, share } = parseSmbUrl(m.url);
    return { id: smbCredentialId(m.url, m.user), user: m.user, host, place: share, none: m.password === 'none' };
  },

  sheet: (m) => ({ name: m.name, type: 'smb', url: m.url }),

  sheetSteps: {
    label: (t) => t.label || '',
    linuxOpen: (t, _label, w) => ({
      text: w.tx('sheet.linux.smb', { url: t.url ?? '' }),
      code: `sudo apt install cifs-utils\nsudo mkdir -p /mnt/nas\nsudo mount -t cifs ${w.sq((t.url ?? 'smb://server/share').replace(/^smb:/, ''))} /mnt/nas -o user=${w.user}`,
    }),
    linuxWhere: () => '/mnt/nas',
    macOpen: (t, _label, w) => [{ text: w.tx('sheet.mac.smb', { url: t.url ?? '', image: SPARSEBUNDLE_NAME }) }],
    macBase: () => `/Volumes/${SPARSEBUNDLE_VOLNAME}`,
    macTitle: 'sheet.mac.titleImage',
    rows: (t, _label, w) => [[w.tx('sheet.share'), t.url ?? '']],
  },
};

// A folder on another disk (config `type: "path"`), mounted by the admin or the system: we never
// mount, create or eject it, only refuse it when it is missing or on the backup directory's own
// disk. Encrypted, it holds a gocryptfs folder (Linux) or an encrypted sparse bundle (macOS).
import { stat } from 'node:fs/promises';
import type { Mirror } from '../../config/schema';
import { SPARSEBUNDLE_NAME, SPARSEBUNDLE_VOLNAME } from '../../core/mirror-crypt';
import type { DestinationKind } from '../contract';

type PathMirror = Extract<Mirror, { type: 'path' }>;

export const pathKind: DestinationKind<PathMirror> = {
  type: 'path',
  wholeVolume: false,
  portable: false,
  form: { where: 'path' },

  async locate(m, backupDir) {
    const st = await stat(m.path).catch(() => null);
    // The admin creates the folder once; we never create it, so an unmounted disk's empty
    // mount point cannot be mistaken for the target.
    if (!st?.isDirectory()) return { kind: 'absent', reason: { key: 'mirror.pathMissing', params: { name: m.name, path: m.path } } };
    // A path mirror is meant to be another disk. On the backup directory's own disk it is most
    // likely the empty mount-point folder of a disk that is not mounted: refuse, write nothing.
    const local = await stat(backupDir).catch(() => null);
    if (local && local.dev === st.dev) return { kind: 'absent', reason: { key: 'mirror.sameDisk', params: { name: m.name, path: m.path } } };
    return { kind: 'ready', target: { dir: m.path, root: m.path, warnings: [] } };
  },

  ejects: () => false,

  // Nothing to give back: locate never mounts.
  unmount: async () => undefined,

  describe: (m) => m.path,

  concept: (m, tx) => [tx('concept.where.path', { path: m.path })],

  where: (_m, target) => ({ dir: target.dir }),

  sheet: (m) => ({ name: m.name, type: 'path', path: m.path }),

  sheetSteps: {
    label: (t) => t.label || '',
    linuxOpen: (t, _label, w) => ({ text: w.tx('sheet.linux.path', { path: t.path ?? '' }) }),
    linuxWhere: (t, _label, w) => w.dq(t.path ?? '/media/…'),
    macOpen: (t, _label, w) => [{ text: w.tx('sheet.mac.path', { path: t.path ?? '', image: SPARSEBUNDLE_NAME }) }],
    macBase: () => `/Volumes/${SPARSEBUNDLE_VOLNAME}`,
    macTitle: 'sheet.mac.titleImage',
    rows: (t, _label, w) => [[w.tx('sheet.folder'), t.path ?? '']],
  },
};

// A USB disk (config `type: "volume"`), found by its label or UUID through the Volumes port
// (diskutil on macOS, lsblk/blkid + mount on Linux), mounted when it is not, ejected after the
// copy when the mirror says so. Encrypted, it is an APFS volume of its own on macOS (unlocked
// while it is located) and holds a gocryptfs folder on Linux.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { volumeSet, type Mirror, type VolumeMirror as SchemaVolumeMirror } from '../../config/schema';
import { PraxisError } from '../../core/errors';
import { describeRef, type Volume, type VolumeRef } from '../../core/volumes';
import { isMountPoint } from '../../platform/mount-point';
import { MIRROR_FOLDER, type DestinationKind } from '../contract';
import { CIPHER_FOLDER } from '../encrypted/gocryptfs';

type VolumeMirror = SchemaVolumeMirror;

/**
 * The disk this mirror is reached on now: its one `volume`, or of a rotating set (`volumes`) the
 * first one in the config's order that is attached (reading — restore, verify, list — needs any
 * one of them; the nightly copy goes to each attached one: src/mirror/rotation.ts).
 */
export async function currentDisk(m: VolumeMirror, volumes: { find(ref: VolumeRef): Promise<Volume | null> }): Promise<{ ref: VolumeRef; volume: Volume } | null> {
  for (const d of volumeSet(m)) {
    const v = await volumes.find(d.ref);
    if (v) return { ref: d.ref, volume: v };
  }
  return null;
}

/** How the config names this mirror's disk(s), for messages: "label PRAXIS" or the set's labels. */
export function describeDisks(m: VolumeMirror): string {
  return volumeSet(m)
    .map((d) => (m.volumes ? (d.label ? `${d.label} (${describeRef(d.ref)})` : describeRef(d.ref)) : describeRef(d.ref)))
    .join(', ');
}

export const volumeKind: DestinationKind<VolumeMirror> = {
  type: 'volume',
  wholeVolume: true,
  portable: true,
  form: { where: 'volume', eject: true },

  async locate(m, _backupDir, deps) {
    const found = await currentDisk(m, deps.volumes);
    if (!found) return { kind: 'absent', reason: { key: 'mirror.volumeAbsent', params: { name: m.name, volume: describeDisks(m) } } };
    const ref = found.ref;
    let v = found.volume;
    let mountedByUs: string | undefined;
    const encryptedVolume = !!(m.encrypt && deps.unlockVolume);
    const wasMounted = !!v.mountPoint;
    if (encryptedVolume) v = await deps.unlockVolume!(v);
    else if (!wasMounted) v = await deps.volumes.mount(v);
    // Unmounting what we mounted (or unlocked) also locks an encrypted volume again.
    if (!wasMounted) mountedByUs = v.mountPoint ?? undefined;
    const mp = v.mountPoint;
    // Guard: the adapter's answer must agree with the file system itself — and an encrypted
    // volume must still say so in a fresh listing.
    const refuse = async (e: PraxisError): Promise<never> => {
      // Leave the disk as we found it (an unlocked volume locked again by the unmount).
      if (mountedByUs) await deps.volumes.unmount(v).catch(() => undefined);
      throw e;
    };
    const again = await deps.volumes.find(ref);
    if (!mp || !again || again.mountPoint !== mp || !(await isMountPoint(mp))) {
      await refuse(new PraxisError('mirror.guard', { name: m.name, volume: describeRef(ref), path: mp ?? '?' }));
    }
    if (encryptedVolume && again!.encrypted !== true) await refuse(new PraxisError('mirror.crypt.guard', { name: m.name, path: mp! }));
    const dir = join(mp!, MIRROR_FOLDER);
    // An encrypted mirror on a plain disk gets no plain folder at all: only its cipher folder.
    if (!m.encrypt || encryptedVolume) await mkdir(dir, { recursive: true, mode: 0o700 });
    return { kind: 'ready', target: { dir, root: mp!, volume: v, mountedByUs, warnings: [], encryptedVolume } };
  },

  ejects: (m) => m.eject,

  async eject(m, target, env) {
    const label = target.volume!.label ?? describeDisks(m);
    await env.volumes.eject(target.volume!);
    return label;
  },

  async unmount(_m, target, env) {
    if (target.volume) await env.volumes.unmount(target.volume);
  },

  describe(m) {
    if (m.volumes) return m.volumes.map((d) => [d.label, `UUID ${d.uuid}`].filter(Boolean).join(' ')).join(', ');
    const v = (m.volume ?? {}) as { label?: string; uuid?: string };
    return [v.label && `label ${v.label}`, v.uuid && `UUID ${v.uuid}`].filter(Boolean).join(', ');
  },

  concept(m, tx) {
    const ref = (m.volume ?? { uuid: volumeSet(m).map((d) => d.label ?? describeRef(d.ref)).join(', ') }) as { label?: string; uuid?: string };
    const lines = [ref.label ? tx('concept.where.volumeLabel', { label: ref.label }) : tx('concept.where.volumeUuid', { uuid: ref.uuid ?? '?' })];
    if (m.eject) lines.push(tx('concept.where.eject'));
    return lines;
  },

  where: (_m, target) => ({ dir: target.dir, ...(target.volume ? { label: target.volume.label, uuid: target.volume.uuid } : {}) }),

  sheet(m, found) {
    // A rotating set: the sheet names the disk this sheet was made with (found), or the set's first.
    const ref = (m.volume ?? (found?.uuid ? { uuid: found.uuid } : volumeSet(m)[0]?.ref ?? {})) as { label?: string; uuid?: string };
    return { name: m.name, type: 'volume', label: ref.label ?? found?.label ?? null, uuid: ref.uuid ?? found?.uuid ?? null };
  },

  sheetSteps: {
    label: (t, w) => t.label || w.tx('sheet.unknown'),
    linuxOpen: (_t, label, w) => ({ text: w.tx('sheet.linux.plug', { label, cipher: CIPHER_FOLDER }) }),
    linuxWhere: (_t, label, w) => `/media/$USER/${w.dq(label || '…')}`,
    macOpen: (_t, label, w) => [{ text: w.tx('sheet.mac.volume', { label }) }],
    macBase: (_t, label, w) => `/Volumes/${w.sq(label || '…')}/${MIRROR_FOLDER}`,
    macTitle: 'sheet.mac.titleVolume',
    rows: (t, label, w) => [
      [w.tx('sheet.label'), label],
      [w.tx('sheet.uuid'), t.uuid || w.tx('sheet.unknown')],
    ],
  },

  identify: async (m, volumes) => (await currentDisk(m, volumes))?.volume ?? null,
};

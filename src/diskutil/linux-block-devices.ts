// Pure parsers for the Linux Volumes adapter (linux-volumes.ts): what lsblk, blkid, findmnt,
// udisksctl and fuser print, and how block devices plus the mount table become Volumes.
import { basename } from 'node:path';
import type { Volume } from '../core/volumes';

export interface BlockDevice {
  name: string;
  kname: string;
  path: string;
  pkname: string | null;
  type: string;
  sizeBytes: number;
  label: string | null;
  uuid: string | null;
  fstype: string | null;
  majMin: string;
  rm: boolean;
  hotplug: boolean;
  ro: boolean;
  tran: string | null;
}

// util-linux before 2.33 printed every JSON value as a string ("rm": "0"); newer ones use types.
const str = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));
const bool = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 'true';

/** `lsblk --json --bytes --list --output …` → flat list of devices. */
export function parseLsblk(json: string): BlockDevice[] {
  const doc = JSON.parse(json) as { blockdevices?: Record<string, unknown>[] };
  const out: BlockDevice[] = [];
  const seen = new Set<string>();
  const walk = (list: Record<string, unknown>[] | undefined) => {
    for (const d of list ?? []) {
      const path = str(d.path) ?? `/dev/${str(d.name)}`;
      if (!seen.has(path)) {
        seen.add(path);
        out.push({
          name: str(d.name) ?? basename(path),
          kname: str(d.kname) ?? str(d.name) ?? basename(path),
          path,
          pkname: str(d.pkname),
          type: str(d.type) ?? 'unknown',
          sizeBytes: Number(d.size ?? 0) || 0,
          label: str(d.label),
          uuid: str(d.uuid),
          fstype: str(d.fstype),
          majMin: str(d['maj:min']) ?? '',
          rm: bool(d.rm),
          hotplug: bool(d.hotplug),
          ro: bool(d.ro),
          tran: str(d.tran),
        });
      }
      walk(d.children as Record<string, unknown>[] | undefined);
    }
  };
  walk(doc.blockdevices);
  return out;
}

/** udev's \xNN encoding (ID_FS_LABEL_ENC): bytes, the rest already UTF-8. */
function decodeUdevEnc(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    const m = /^\\x([0-9a-fA-F]{2})/.exec(s.slice(i, i + 4));
    if (m) {
      bytes.push(parseInt(m[1]!, 16));
      i += 4;
    } else {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `blkid -o udev <one device>` → label, UUID, file-system type (null where absent). */
export function parseBlkidUdev(lines: string[]): { label: string | null; uuid: string | null; fstype: string | null } {
  const kv = new Map<string, string>();
  for (const line of lines) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  const enc = (k: string) => (kv.has(`${k}_ENC`) ? decodeUdevEnc(kv.get(`${k}_ENC`)!) : (kv.get(k) ?? null));
  return { label: enc('ID_FS_LABEL') || null, uuid: enc('ID_FS_UUID') || null, fstype: kv.get('ID_FS_TYPE') || null };
}

export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
  majMin: string;
  fsroot: string;
}

/** `findmnt --json --list --nofsroot --output SOURCE,TARGET,FSTYPE,MAJ:MIN,FSROOT`. */
export function parseFindmnt(json: string): MountEntry[] {
  const doc = JSON.parse(json) as { filesystems?: Record<string, unknown>[] };
  return (doc.filesystems ?? []).map((f) => ({
    source: str(f.source) ?? '',
    target: str(f.target) ?? '',
    fstype: str(f.fstype) ?? '',
    majMin: str(f['maj:min']) ?? '',
    fsroot: str(f.fsroot) ?? '/',
  }));
}

/** udisksctl's answer to `mount`. udisks before 2.9.0 ended it with a period ("Mounted /dev/sdb1
 * at /media/anna/PRAXIS."), later ones do not (storaged-project/udisks commit 6842123, 2019,
 * tools/udisksctl.c: `g_print ("Mounted %s at %s\n", …)`). A label may itself end in ".", so both
 * readings are returned and the mount table decides. */
export function parseUdisksMounted(line: string): string[] {
  const m = /^Mounted (\S+) at (.+)$/.exec(line.trim());
  if (!m) return [];
  const path = m[2]!;
  return path.endsWith('.') ? [path.slice(0, -1), path] : [path];
}

/** `fuser -m <dir>` prints the PIDs on stdout (the access letters go to stderr); "kernel" is a mount. */
export function parseFuserPids(lines: string[]): number[] {
  return lines
    .join(' ')
    .split(/\s+/)
    .map((w) => /^(\d+)[a-zA-Z]*$/.exec(w)?.[1])
    .filter((p): p is string => !!p)
    .map(Number);
}

const NOT_MOUNTABLE = /^(swap|LVM2_member|crypto_LUKS|BitLocker)$|_member$/;

/** Pure: block devices + mount table → volumes (free space filled in later). */
export function toVolumes(devices: BlockDevice[], mounts: MountEntry[]): Volume[] {
  const byKname = new Map(devices.map((d) => [d.kname, d]));
  const chain = (d: BlockDevice): BlockDevice[] => {
    const out = [d];
    for (let p = d.pkname; p && out.length < 16; ) {
      const parent = byKname.get(p);
      if (!parent) break;
      out.push(parent);
      p = parent.pkname;
    }
    return out;
  };
  const volumes: Volume[] = [];
  for (const d of devices) {
    const mine = mounts.filter((m) => (m.majMin && m.majMin === d.majMin) || m.source === d.path);
    const mount = mine.find((m) => m.fsroot === '/') ?? mine[0];
    if (!mount && (!d.fstype || NOT_MOUNTABLE.test(d.fstype))) continue;
    const ancestors = chain(d);
    // Loop devices count as external: in the tests they stand in for USB disks. Read-only ones
    // (snap packages' squashfs images) are no backup target and stay internal.
    const external = ancestors.some((a) => a.rm || a.hotplug || a.tran === 'usb' || (a.type === 'loop' && !a.ro));
    volumes.push({
      id: d.path,
      label: d.label,
      uuid: d.uuid,
      device: d.path,
      wholeDisk: ancestors[ancestors.length - 1]!.path,
      fileSystem: d.fstype ?? mount?.fstype ?? null,
      mountPoint: mount?.target ?? null,
      sizeBytes: d.sizeBytes,
      freeBytes: null,
      external,
    });
  }
  return volumes;
}

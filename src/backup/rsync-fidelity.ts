// What the rsync in use can keep of a file besides its content, permissions, owner and times, and
// the flags that ask for it: one answer for the backup, the mirror and the restore, so a snapshot
// never holds less than a restore can put back. Read from `rsync --version`, not from the version
// number: a rsync 3 may be built without ACL or xattr support, and says so in its Capabilities.
//   rsync 3:         "rsync  version 3.5.0  protocol version 32" + "Capabilities: … ACLs, … xattrs, … no crtimes"
//   Apple openrsync: "openrsync: protocol version 29" / "rsync version 2.6.9 compatible" — -E (Apple's
//                    copyfile: xattrs, resource forks and ACLs), no -X/-A, no --crtimes (its main.c)
//   rsync 2.6.9:     "rsync  version 2.6.9  protocol version 29", no Capabilities block
import type { ToolInfo } from '../process/tool-locator';

/** What a snapshot can keep beyond `-a`, by name as the log says it. */
export type Keepable = 'hardLinks' | 'xattrs' | 'acls' | 'sparse' | 'numericIds' | 'crtimes';

export interface RsyncFidelity {
  variant: 'rsync' | 'openrsync';
  /** What this rsync keeps, in the order of `args`. */
  keeps: Keepable[];
  /** What it cannot keep of what the platform has (a Linux rsync's "no crtimes" is not a loss: ext4 gives rsync none). */
  cannotKeep: Keepable[];
  /** The flags that ask for what it keeps ("-H", "-A", "-X", "-S", "--numeric-ids"; openrsync: "-E"). */
  args: string[];
}

/** The words of rsync 3's Capabilities block ("ACLs", "xattrs", "no crtimes"), or null when it has none. */
export function capabilityWords(lines: readonly string[]): Set<string> | null {
  const start = lines.findIndex((l) => /^Capabilities:/.test(l.trim()));
  if (start < 0) return null;
  const words = new Set<string>();
  // rsync 2.6.9 starts the list on the heading's own line; rsync 3 on the next.
  for (const line of [lines[start]!.replace(/^\s*Capabilities:/, ' '), ...lines.slice(start + 1)]) {
    if (!/^\s/.test(line)) break; // the next heading ("Optimizations:") ends the block
    for (const w of line.split(',')) if (w.trim()) words.add(w.trim());
  }
  return words;
}

export function rsyncFidelity(rsync: ToolInfo): RsyncFidelity {
  const lines = rsync.versionLines ?? [rsync.version];
  if (/^openrsync/.test(rsync.version)) {
    // -E is Apple's copyfile(PACK|ACL|XATTR): xattrs, resource forks and ACLs in one flag.
    return { variant: 'openrsync', keeps: ['hardLinks', 'xattrs', 'acls', 'sparse', 'numericIds'], cannotKeep: ['crtimes'], args: ['-H', '-E', '-S', '--numeric-ids'] };
  }
  const words = capabilityWords(lines);
  // A ToolInfo without its --version text (made by hand) is judged by its version: rsync 3 as built by
  // Debian and Homebrew has ACLs and xattrs; 2.6.9 has neither (Apple's -E is not asked of it here).
  const has = (w: string) => (words ? words.has(w) : rsync.major >= 3 && w !== 'crtimes');
  const keeps: Keepable[] = ['hardLinks'];
  const cannotKeep: Keepable[] = [];
  const args = ['-H'];
  if (has('ACLs')) keeps.push('acls'), args.push('-A');
  else cannotKeep.push('acls');
  if (has('xattrs')) keeps.push('xattrs'), args.push('-X');
  else cannotKeep.push('xattrs');
  keeps.push('sparse', 'numericIds');
  args.push('-S', '--numeric-ids');
  // Creation dates exist on macOS: Homebrew's rsync 3 lists "crtimes". A Linux rsync says "no crtimes"
  // and loses nothing there, so that is not reported as lost.
  if (has('crtimes')) keeps.push('crtimes'), args.push('--crtimes');
  return { variant: 'rsync', keeps, cannotKeep, args };
}

/**
 * Which attribute an rsync error line says it could not keep, or null when the line is about
 * something else. On a target without xattrs/ACLs (ramfs, FAT, some NAS shares) rsync says
 *   rsync: [receiver] rsync_xal_set: fsetxattr("…/.x.iVpywe","user.big8k") failed: Operation not supported (95)
 *   rsync: [generator] set_acl: xacl_set(acl-dir, ACL_TYPE_ACCESS): Operation not supported (95)
 * and exits 23 with every file there. An xattr larger than the target's ext4 can hold (over ~4 KiB
 * without ea_inode) fails with "No space left on device (28)" on a disk that has room.
 */
export function attributeNotKept(line: string): 'xattrs' | 'acls' | null {
  if (!/^rsync: /.test(line)) return null;
  if (/\b(set_acl|get_acl|xacl_set|xacl_get|default_perms_for_dir|sys_acl_\w+)\b/.test(line)) return 'acls';
  if (/\b(rsync_xal_set|rsync_xal_get|get_xattr_names|[lf]?setxattr|[lf]?getxattr|[lf]?listxattr)\b/.test(line)) return 'xattrs';
  return null;
}

// A process's descendants, from /proc's parent links (Linux). For processes that leave their
// parent's process group (sshd's per-connection children call setsid()) and overwrite their
// environment (sshd's process title), where neither a group kill nor an environment marker works.
import { readdirSync, readFileSync } from 'node:fs';

/** Every process below `root`: its children first, then theirs. Empty without /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) S ppid …": comm may hold spaces and parens; the fields follow the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      /* gone meanwhile */
    }
  }
  const out: number[] = [];
  for (let i = -1; i < out.length; i++) out.push(...(children.get(i < 0 ? root : out[i]!) ?? []));
  return out;
}

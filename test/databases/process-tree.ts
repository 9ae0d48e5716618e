// A process and everything it started, frozen and killed as a power cut would: the contract suite
// kills a restore "mid-load" this way. Killing only the Node process would leave its children
// (the runner starts each in its own process group) loading on as orphans, which is not a killed
// restore at all. Linux only: the tree is read from /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { waitForExit } from '../helpers/temp';

/** Parent pid of every process now running. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) S ppid …": comm may hold spaces and parentheses, the fields follow the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(name), ppid);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

function descendants(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) byParent.set(ppid, [...(byParent.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    for (const child of byParent.get(todo.pop()!) ?? []) {
      out.push(child);
      todo.push(child);
    }
  }
  return out;
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
};

/**
 * SIGSTOP to `root` first (it can start nothing new then), then to its descendants, again until no
 * new one shows up (a child may have been forking while we looked). Returns every frozen pid.
 */
export function freezeTree(root: number): number[] {
  const frozen = new Set<number>([root]);
  signal(root, 'SIGSTOP');
  for (;;) {
    const fresh = descendants(root).filter((p) => !frozen.has(p));
    if (!fresh.length) return [...frozen];
    for (const p of fresh) {
      frozen.add(p);
      signal(p, 'SIGSTOP');
    }
  }
}

/** SIGKILL to every pid, then wait until all are gone (a stopped process dies of SIGKILL too). */
export async function killAll(pids: number[], timeoutMs = 30_000): Promise<boolean> {
  for (const p of pids) signal(p, 'SIGKILL');
  for (const p of pids) if (!(await waitForExit(p, timeoutMs))) return false;
  return true;
}

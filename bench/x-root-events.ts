// What the X server tells about the root window's children, as it happens: `xev -root -event
// substructure -event property` (x11-utils, installed with the test display's tools) read line by
// line. A tray icon is embedded when the tray host (trayer) reparents the icon's window out of the
// root into its panel: the ReparentNotify says when, to the millisecond of reading it, without
// polling the window tree (a poller costs CPU on the machine it measures and rounds up to its period).
import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';

export interface XEvent {
  /** "CreateNotify", "ReparentNotify", "PropertyNotify", … */
  type: string;
  /** performance.now() when its first line was read. */
  at: number;
  /** The event's lines as xev printed them. */
  text: string;
}

/** Window ids as xev prints them ("window 0x60000a, parent 0x400026"). */
export function field(e: XEvent, name: string): string | undefined {
  return new RegExp(`\\b${name} (0x[0-9a-f]+)`).exec(e.text.split('\n').slice(1).join('\n'))?.[1];
}

export class RootEvents {
  private readonly xev: ChildProcess;
  private readonly events: XEvent[] = [];
  private current: XEvent | null = null;
  private rest = '';
  private waiters: (() => void)[] = [];
  private marks = 0;

  constructor(private readonly display: string) {
    // stdbuf: xev writes through stdio, which a pipe would buffer in 4 KiB blocks.
    this.xev = spawn('stdbuf', ['-oL', 'xev', '-root', '-event', 'substructure', '-event', 'property'], { env: { ...process.env, DISPLAY: display }, stdio: ['ignore', 'pipe', 'ignore'] });
    this.xev.stdout!.setEncoding('utf8');
    this.xev.stdout!.on('data', (chunk: string) => this.read(chunk));
  }

  private read(chunk: string): void {
    const at = performance.now();
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop()!;
    for (const line of lines) {
      const head = /^(\w+) event, serial/.exec(line);
      if (head) {
        this.current = { type: head[1]!, at, text: line };
        this.events.push(this.current);
      } else if (this.current && line.trim()) this.current.text += `\n${line}`;
    }
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Sets a root property and waits until its PropertyNotify is read: from then on every event the
   * server sends is after this moment. Returns the index to look for later events from. Set again
   * until seen: right after xev starts, its event selection may not be in place yet.
   */
  async mark(): Promise<number> {
    const end = performance.now() + 30_000;
    for (;;) {
      const before = this.seenMarks();
      await execa('xprop', ['-root', '-f', '_PRAXIS_BENCH', '32c', '-set', '_PRAXIS_BENCH', String(++this.marks)], { env: { ...process.env, DISPLAY: this.display } });
      const found = await this.until((e) => e.type === 'PropertyNotify' && e.text.includes('(_PRAXIS_BENCH)'), 0, 1000, before).catch(() => null);
      if (found) return this.events.indexOf(found) + 1;
      if (performance.now() > end) throw new Error(`xev on ${this.display} reported no PropertyNotify for _PRAXIS_BENCH within 30 s`);
    }
  }

  private seenMarks(): number {
    return this.events.filter((e) => e.type === 'PropertyNotify' && e.text.includes('(_PRAXIS_BENCH)')).length;
  }

  /**
   * The first event from index `from` on matching `pred` (after skipping `skip` earlier matches):
   * waits for it, reading xev's output as it comes.
   */
  async until(pred: (e: XEvent) => boolean, from: number, timeoutMs: number, skip = 0): Promise<XEvent> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).filter(pred)[skip];
      if (found) return found;
      if (this.xev.exitCode !== null) throw new Error(`xev ended (${this.xev.exitCode}) on ${this.display}`);
      const left = end - performance.now();
      if (left <= 0) throw new Error(`no such X event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * After mark `from`: the first top-level window created (Qt's first window), and when the first of
   * those windows left the root for another parent (the tray host embedding the icon).
   */
  async embedded(from: number, timeoutMs = 30_000): Promise<{ firstWindow: XEvent; reparent: XEvent }> {
    const created = (e: XEvent) => e.type === 'CreateNotify';
    const reparent = await this.until((e) => {
      if (e.type !== 'ReparentNotify') return false;
      const w = field(e, 'window');
      // Only windows created since the mark: the process under test made them.
      return this.events.slice(from).some((c) => created(c) && field(c, 'window') === w);
    }, from, timeoutMs);
    const firstWindow = this.events.slice(from).find(created)!;
    return { firstWindow, reparent };
  }

  stop(): void {
    this.xev.kill('SIGTERM');
  }
}

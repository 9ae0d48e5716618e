// Keeps the tray's picture of the engine current: the status file (written by every run, also
// those launchd starts) and the config (the settings window or an editor may change it). fs.watch
// on the folders gives changes at once; a slow poll catches what a watch can miss (network home
// folders, a folder created later) and moves relative times ("vor 2 Stunden") forward. Qt-free.
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import type { Message } from '../i18n';
import { ConfigError, PraxisError } from '../core/errors';
import type { Status, StatusStore } from '../run/status-store';

export interface Snapshot {
  status: Status & { interrupted?: boolean };
  config: Config | null;
  configProblem?: Message;
}

export interface StatusWatcherOptions {
  status: StatusStore;
  configFile: string;
  onChange(s: Snapshot): void;
  pollMs?: number;
}

export class StatusWatcher {
  private watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private configMtime = -1;
  private config: Config | null = null;
  private configProblem: Message | undefined;
  private last: Snapshot | null = null;

  constructor(private readonly opts: StatusWatcherOptions) {}

  get snapshot(): Snapshot | null {
    return this.last;
  }

  async start(): Promise<Snapshot> {
    const stateDir = dirname(this.opts.status.path);
    await mkdir(stateDir, { recursive: true, mode: 0o700 }).catch(() => {});
    this.watchDir(stateDir, basename(this.opts.status.path));
    this.watchDir(dirname(this.opts.configFile), basename(this.opts.configFile));
    this.poll = setInterval(() => this.changed(), this.opts.pollMs ?? 5000);
    return this.refresh();
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
  }

  /** Re-read now (after a run ended, the settings were saved). */
  async refresh(): Promise<Snapshot> {
    await this.reloadConfig();
    const snap: Snapshot = { status: await this.opts.status.current(), config: this.config, configProblem: this.configProblem };
    this.last = snap;
    this.opts.onChange(snap);
    return snap;
  }

  private watchDir(dir: string, file: string): void {
    try {
      // Renames (the status store writes a temp file and renames it) arrive as 'rename' events.
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (!name || name === file) this.changed();
      });
      w.on('error', () => {});
      this.watchers.push(w);
    } catch {
      /* folder missing (no config yet): the poll covers it */
    }
  }

  /** Progress writes come in bursts: one re-read per 150 ms is plenty for a menu. */
  private changed(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.refresh().catch(() => {});
    }, 150);
  }

  private async reloadConfig(): Promise<void> {
    let mtime: number;
    try {
      mtime = (await stat(this.opts.configFile)).mtimeMs;
    } catch {
      mtime = 0;
    }
    if (mtime === this.configMtime) return;
    this.configMtime = mtime;
    try {
      this.config = await loadConfig(this.opts.configFile);
      this.configProblem = undefined;
    } catch (e) {
      this.config = null;
      if (e instanceof ConfigError) {
        this.configProblem =
          e.kind === 'notFound'
            ? undefined // the model says "not set up yet: open Einstellungen…"
            : e.kind === 'badJson'
              ? { key: 'config.badJson', params: { file: e.file, message: e.reasons.join(' ') } }
              : { key: 'tray.state.configInvalid', params: { file: e.file, count: e.problems.length } };
      } else if (e instanceof PraxisError) this.configProblem = e.message_;
      else this.configProblem = { key: 'error.unexpected', params: { message: String((e as Error)?.message ?? e) } };
    }
  }
}

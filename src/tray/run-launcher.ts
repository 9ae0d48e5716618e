// "Backup jetzt": the tray never runs the engine in its own process. It starts the CLI
// (`praxis-backup run --json`) through the one process runner and follows its JSON-lines events,
// so a crash of a run (or of a database tool) never takes the menu bar down, and a run looks the
// same whether the tray or launchd started it. Qt-free.
import type { Lang } from '../i18n';
import { CommandError, killGroup, run } from '../process/runner';
import { parseCliLine, type CliEvent, type JsonSummary } from './model/run-events';

export interface RunExit {
  exitCode: number | null;
  signal: string | null;
  /** The CLI's last event, when it got that far. */
  summary: JsonSummary | null;
  /** The CLI's last lines on stderr (readable text), for a crash. */
  stderrTail: string[];
  /** The CLI could not be started at all. */
  startError?: string;
}

export interface RunLauncherOptions {
  /** The Node binary to run the CLI with (this process's: qode on macOS is a Node too). */
  node: string;
  cli: string;
  configFile: string;
  lang: Lang;
  /** Extra environment for the CLI (tests: HOME, PATH, passwords). */
  env?: Record<string, string>;
}

export interface RunHandlers {
  onEvent(e: CliEvent): void;
  onExit(exit: RunExit): void;
}

// Every exit code the CLI documents: the summary line says what happened, not the code alone.
const CLI_EXIT_CODES = [0, 1, 2, 3, 75];
// Cancelling lets the CLI stop rsync/pg_dump and clean up its .partial folder before it is killed.
const CANCEL_GRACE_MS = 60_000;

// Found beside the bundle; lives in install-files.ts, which the app reads before it loads this module.
export { findCli } from './install-files';

export class RunLauncher {
  private abort: AbortController | null = null;

  constructor(private readonly opts: RunLauncherOptions) {}

  get running(): boolean {
    return this.abort !== null;
  }

  /**
   * Starts the CLI (`run` unless told otherwise, e.g. `['restore', id, '--yes']`) with --json;
   * false when this launcher already follows one (the engine's lock guards the rest).
   */
  start(handlers: RunHandlers, command: string[] = ['run']): boolean {
    if (this.abort) return false;
    const abort = new AbortController();
    this.abort = abort;
    let summary: JsonSummary | null = null;
    const plan = {
      label: `praxis-backup ${command[0]}`,
      file: this.opts.node,
      args: [this.opts.cli, ...command, '--json', '--config', this.opts.configFile],
      // The tray shows the notifications itself (from these events); the language follows the tray's.
      env: { ...this.opts.env, PRAXIS_BACKUP_NOTIFY: 'none', PRAXIS_BACKUP_LANG: this.opts.lang },
      inheritSecrets: true, // our own CLI: it reads PRAXIS_BACKUP_PASSWORD_* as the tray would
      okExitCodes: CLI_EXIT_CODES,
    };
    const onLine = (line: string) => {
      const e = parseCliLine(line);
      if (!e) return;
      if (e.type === 'finished') summary = e.summary;
      try {
        handlers.onEvent(e);
      } catch {
        /* a rendering problem must not stop following the run */
      }
    };
    run(plan, { onStdoutLine: onLine, signal: abort.signal, graceMs: CANCEL_GRACE_MS, outlivesUs: true }).then(
      (r) => this.finish(handlers, { exitCode: r.exitCode, signal: null, summary, stderrTail: r.stderrTail }),
      (e: unknown) => {
        if (e instanceof CommandError) {
          const startError = e.reason === 'spawn' ? e.message : undefined;
          this.finish(handlers, { exitCode: e.exitCode ?? null, signal: e.signal ?? null, summary, stderrTail: e.stderrTail, startError });
        } else {
          this.finish(handlers, { exitCode: null, signal: null, summary, stderrTail: [], startError: String((e as Error)?.message ?? e) });
        }
      },
    );
    return true;
  }

  /** Asks the run to stop (SIGTERM: the CLI cancels cleanly; SIGKILL only after a long grace). */
  cancel(): boolean {
    if (!this.abort) return false;
    this.abort.abort();
    return true;
  }

  /** A run this tray did not start (launchd, a terminal): ask it to stop the same way. */
  static cancelOther(pid: number): void {
    killGroup(pid, 'SIGTERM');
  }

  private finish(handlers: RunHandlers, exit: RunExit): void {
    this.abort = null;
    handlers.onExit(exit);
  }
}

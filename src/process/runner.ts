// The one process seam: every child process of Praxis-Backup (rsync, pg_dump, mariadb-dump, du,
// diskutil, launchctl, mount, …) is started here and nowhere else.
//
// Why one place: exit codes, secret redaction, line streaming and cancellation are easy to get
// subtly wrong in each caller. Callers describe a call as a CommandPlan (built first, so tests can
// assert the exact argv without spawning), then hand it to run().
import { execa, type ResultPromise } from 'execa';
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { inheritedSecret, isSecretEnvName } from './secret-env';

export interface CommandPlan {
  /** What the user would call this step, used in errors and logs ("pg_dump of tomedo"). */
  label: string;
  /** Absolute path of the program (resolved by the tool locator), or a bare name found in PATH. */
  file: string;
  args: string[];
  /**
   * Extra environment for the child only, e.g. PGPASSWORD. Never logged. The child starts from our
   * environment WITHOUT its secrets (childEnv): what it needs must be given here.
   */
  env?: Record<string, string>;
  /**
   * The child is Praxis-Backup itself (the tray starting `run`): it looks its passwords up in the
   * environment as we do, so it inherits them. Nothing else does.
   */
  inheritSecrets?: boolean;
  cwd?: string;
  /** Exit codes that mean success. Default [0]. */
  okExitCodes?: number[];
  /** Exit codes that mean "done, but tell the admin" (rsync 24: files vanished). */
  warnExitCodes?: number[];
  /** Strings that must never leave this module: replaced by *** in lines, errors and logs. */
  secrets?: string[];
  /** Text written to the child's stdin (e.g. a passphrase); stdin is closed otherwise. */
  input?: string;
  /** Kill the child (its whole process group) after this long. */
  timeoutMs?: number;
}

export interface RunOptions {
  /** Each stdout line (split on \n and \r, so rsync's progress lines arrive as they are drawn). */
  onStdoutLine?: (line: string) => void;
  /**
   * The child's stdout goes into this file (created here, 0600, removed after the run) instead of a
   * pipe, and is read back every `followMs` (default 250) for onStdoutLine. For a child that writes
   * a line per file: rsync's -ii listing of 50 000 files cost its run 0.25 s through a pipe to `cat`
   * and 0.5 s through one to Node (a wake-up per write on 2 cores), and nothing into a file.
   */
  stdoutFile?: { path: string; followMs?: number };
  onStderrLine?: (line: string) => void;
  /**
   * Take over stdout as a byte stream instead of lines (a dump streamed to a file). The promise
   * must settle when the consumer is done; if it rejects (e.g. disk full) the child is killed.
   */
  consumeStdout?: (stdout: Readable) => Promise<void>;
  /**
   * Feed this byte stream to the child's stdin (a gunzipped dump into `mariadb`), instead of
   * plan.input. Not part of the plan: a stream is not data a test could compare. If the stream
   * fails (corrupt gzip, a refused statement), the child is killed and run() throws with reason
   * 'stdin-producer' and the stream's error as cause. The child closing stdin early (it stopped at
   * an SQL error) is not an error of ours: its exit code and stderr say what happened.
   */
  stdin?: Readable;
  /** Aborting kills the child's process group: SIGTERM, then SIGKILL after graceMs. */
  signal?: AbortSignal;
  graceMs?: number;
  /**
   * Let the child go on when this process ends (the tray starts a backup and the admin quits the
   * tray: the backup must finish). Otherwise every child is killed when we exit.
   */
  outlivesUs?: boolean;
}

export interface RunResult {
  exitCode: number;
  /** True when the exit code is one of plan.warnExitCodes. */
  warning: boolean;
  stdoutTail: string[];
  stderrTail: string[];
  durationMs: number;
}

const TAIL_LINES = 60;
const MAX_LINE = 64 * 1024;

// Children run detached (own process group), so execa's own cleanup does not reach them when we
// exit. Kill what is still running if this process ends unexpectedly (crash, process.exit).
const liveGroups = new Map<number, string>();
process.on('exit', () => {
  for (const pid of liveGroups.keys()) killGroup(pid, 'SIGTERM');
});

/** A child process group that is running now: its leader's pid and program name. */
export interface LiveGroup {
  pid: number;
  program: string;
}
type GroupListener = (groups: LiveGroup[]) => void;
const groupListeners = new Set<GroupListener>();

/**
 * Tells the listener every time the set of running children changes. A run records them next to
 * its lock, so that after a kill -9 the next run can stop what the dead one left running (an
 * orphaned rsync still writing into the folder that is about to be cleaned up).
 */
export function onChildGroups(listener: GroupListener): () => void {
  groupListeners.add(listener);
  return () => groupListeners.delete(listener);
}

function groupsChanged(): void {
  const groups = [...liveGroups].map(([pid, program]) => ({ pid, program }));
  for (const l of groupListeners) l(groups);
}

export class CommandError extends Error {
  constructor(
    readonly label: string,
    readonly argv: string[],
    readonly exitCode: number | undefined,
    readonly signal: string | undefined,
    readonly stderrTail: string[],
    readonly stdoutTail: string[],
    readonly reason: 'exit' | 'spawn' | 'timeout' | 'cancelled' | 'stdout-consumer' | 'stdin-producer',
    override readonly cause?: unknown,
  ) {
    super(
      `${label} failed (${reason === 'exit' ? `exit ${exitCode}` : signal ? `${reason}, ${signal}` : reason}): ` +
        (stderrTail.slice(-5).join(' | ') || argv.join(' ')),
    );
    this.name = 'CommandError';
  }
}

export function redact(text: string, secrets: readonly string[] | undefined): string {
  if (!secrets) return text;
  let out = text;
  for (const s of secrets) {
    if (s && s.length > 0) out = out.split(s).join('***');
  }
  return out;
}

/** The argv as it may be shown in logs: secrets replaced. */
export function displayArgv(plan: CommandPlan): string[] {
  return [plan.file, ...plan.args].map((a) => redact(a, plan.secrets));
}

/**
 * The environment a child starts with: ours minus every variable that carries a secret
 * (PRAXIS_BACKUP_PASSWORD_*, PGPASSWORD, MYSQL_PWD, PASSWD, …), plus the plan's own env.
 *
 * Why: a child's environment is readable in /proc/<pid>/environ by its owner and root, is passed
 * on to every grandchild, and rsync, du, mount or a hook script (the admin's own, it may log its
 * environment) never needs a database password. So each child gets exactly the secret its plan
 * names. One exception keeps the tools' own means working (README: PRAXIS_BACKUP_KEYRING=off and
 * a PGPASSWORD / MYSQL_PWD the admin exported for them): such a variable still reaches the client
 * it is meant for (libpq tools, mariadb/mysql clients) when the plan does not set its own.
 */
export function childEnv(plan: Pick<CommandPlan, 'file' | 'env' | 'inheritSecrets'>, parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  const program = plan.file.split('/').pop() ?? plan.file;
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (plan.inheritSecrets || !isSecretEnvName(name) || inheritedSecret(program, name)) out[name] = value;
  }
  return { ...out, ...plan.env };
}

function pushTail(tail: string[], line: string): void {
  tail.push(line);
  if (tail.length > TAIL_LINES) tail.shift();
}

/** Splits text as it arrives into lines on \n and \r (rsync redraws its progress line with \r). */
function lineSplitter(each: (line: string) => void): { push(chunk: string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      const parts = pending.split(/\r\n|\r|\n/);
      pending = parts.pop() ?? '';
      for (const p of parts) if (p.length) each(p);
      // Output without line breaks (binary by mistake) must not grow without bound.
      if (pending.length > MAX_LINE) {
        each(pending.slice(0, MAX_LINE));
        pending = '';
      }
    },
    end() {
      if (pending.length) each(pending);
      pending = '';
    },
  };
}

function streamLines(stream: Readable, each: (line: string) => void): Promise<void> {
  // Split on \r as well: readline alone would buffer a whole run's progress into one giant "line".
  return new Promise((resolve) => {
    const lines = lineSplitter(each);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => lines.push(chunk));
    stream.on('end', () => {
      lines.end();
      resolve();
    });
    stream.on('error', () => resolve());
  });
}

/** Reads what a child appends to its stdout file, as lines, until stop() (which reads the rest). */
function followFile(path: string, everyMs: number, each: (line: string) => void): { stop(): void } {
  const fd = openSync(path, 'r');
  const lines = lineSplitter(each);
  const decoder = new StringDecoder('utf8');
  const buf = Buffer.alloc(256 * 1024);
  const drain = () => {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) lines.push(decoder.write(buf.subarray(0, n)));
  };
  const timer = setInterval(drain, everyMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        drain();
        lines.push(decoder.end());
        lines.end();
      } finally {
        closeSync(fd);
      }
    },
  };
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal); // the child leads its own process group (detached: true)
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export async function run(plan: CommandPlan, opts: RunOptions = {}): Promise<RunResult> {
  const ok = plan.okExitCodes ?? [0];
  const warn = plan.warnExitCodes ?? [];
  const secrets = plan.secrets;
  const stdoutTail: string[] = [];
  const stderrTail: string[] = [];
  const started = Date.now();
  const graceMs = opts.graceMs ?? 5000;

  // Cancelled before it started: do not start it at all. (Starting and killing at once raced with
  // the child's own setsid: a SIGTERM sent before the child led its group could be lost, and the
  // child then lived until the SIGKILL after graceMs — seen once in CI.)
  if (opts.signal?.aborted) throw new CommandError(plan.label, displayArgv(plan), undefined, undefined, [], [], 'cancelled');
  // stdoutFile: the child writes straight into a new file of ours (never one that was there: 'wx',
  // 0600). Its descriptor is handed to the child as its fd 1; execa's `{ file }` would pipe through us.
  let outFd: number | undefined;
  if (opts.stdoutFile) {
    try {
      outFd = openSync(opts.stdoutFile.path, 'wx', 0o600);
    } catch (e) {
      throw new CommandError(plan.label, displayArgv(plan), undefined, undefined, [], [], 'spawn', e);
    }
  }
  let child: ResultPromise;
  try {
    child = execa(plan.file, plan.args, {
      env: childEnv(plan),
      extendEnv: false,
      cwd: plan.cwd,
      input: plan.input,
      stdin: plan.input !== undefined ? undefined : opts.stdin ? 'pipe' : 'ignore',
      // execa passes a descriptor number on as it is (its types list only 1–9 for stdout).
      stdout: outFd !== undefined ? (outFd as 1) : 'pipe',
      stderr: 'pipe',
      buffer: false, // never hold rsync's or pg_dump's output in memory
      reject: false,
      detached: true, // own process group, so cancel reaches rsync's helper processes too
      cleanup: !opts.outlivesUs,
      windowsHide: true,
    });
  } catch (e) {
    if (outFd !== undefined) {
      closeSync(outFd);
      rmSync(opts.stdoutFile!.path, { force: true });
    }
    throw new CommandError(plan.label, displayArgv(plan), undefined, undefined, [], [], 'spawn', e);
  }
  if (outFd !== undefined) closeSync(outFd); // the child has its own copy

  if (child.pid && !opts.outlivesUs) {
    liveGroups.set(child.pid, plan.file.split('/').pop() ?? plan.file);
    groupsChanged();
  }
  let reason: CommandError['reason'] | undefined;
  let consumerError: unknown;
  let killTimer: NodeJS.Timeout | undefined;
  const terminate = (why: CommandError['reason']) => {
    if (reason) return;
    reason = why;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
    killTimer.unref();
  };
  const onAbort = () => terminate('cancelled');
  if (opts.signal) {
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
  }
  const timeout = plan.timeoutMs ? setTimeout(() => terminate('timeout'), plan.timeoutMs) : undefined;

  const readers: Promise<void>[] = [];
  let follower: { stop(): void } | undefined;
  const feed = opts.stdin;
  if (feed && child.stdin) {
    feed.on('error', (e) => {
      consumerError = e;
      terminate('stdin-producer');
    });
    child.stdin.on('error', () => {}); // EPIPE when the child stops reading: its exit code tells why
    feed.pipe(child.stdin);
  }
  if (opts.consumeStdout) {
    readers.push(
      opts.consumeStdout(child.stdout!).catch((e) => {
        consumerError = e;
        terminate('stdout-consumer');
      }),
    );
  } else {
    const each = (raw: string) => {
      const line = redact(raw, secrets);
      pushTail(stdoutTail, line);
      opts.onStdoutLine?.(line);
    };
    if (opts.stdoutFile) follower = followFile(opts.stdoutFile.path, opts.stdoutFile.followMs ?? 250, each);
    else readers.push(streamLines(child.stdout!, each));
  }
  readers.push(
    streamLines(child.stderr!, (raw) => {
      const line = redact(raw, secrets);
      pushTail(stderrTail, line);
      opts.onStderrLine?.(line);
    }),
  );

  const result = await child;
  await Promise.all(readers);
  if (opts.stdoutFile) {
    try {
      follower?.stop(); // the rest of what the child wrote, then the last line
    } finally {
      rmSync(opts.stdoutFile.path, { force: true });
    }
  }
  if (feed && !feed.readableEnded) feed.destroy(); // the child is gone: stop reading the source
  if (child.pid && liveGroups.delete(child.pid)) groupsChanged();
  if (timeout) clearTimeout(timeout);
  if (killTimer) clearTimeout(killTimer);
  opts.signal?.removeEventListener('abort', onAbort);

  const argv = displayArgv(plan);
  if (result.failed && result.exitCode === undefined && !result.signal && !reason) {
    // execa could not start the program at all (ENOENT, EACCES).
    throw new CommandError(plan.label, argv, undefined, undefined, stderrTail, stdoutTail, 'spawn', result.cause);
  }
  if (reason) {
    throw new CommandError(plan.label, argv, result.exitCode, result.signal, stderrTail, stdoutTail, reason, consumerError);
  }
  const exitCode = result.exitCode ?? -1;
  if (result.signal || (!ok.includes(exitCode) && !warn.includes(exitCode))) {
    throw new CommandError(plan.label, argv, result.exitCode, result.signal, stderrTail, stdoutTail, 'exit');
  }
  return { exitCode, warning: warn.includes(exitCode), stdoutTail, stderrTail, durationMs: Date.now() - started };
}

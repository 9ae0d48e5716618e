// Temp directories and cleanup for tests that start real servers and mount real file systems.
//
// Cleanups run last-registered-first (a server registered after its temp dir is stopped before the
// dir is removed), exactly once each, from whichever comes first:
//   - runCleanups() (call it from a suite's `after` hook),
//   - 'beforeExit' (the event loop ran dry: uvu finished, even if a test failed before stop()),
//   - SIGINT / SIGTERM / SIGHUP (async cleanups, then exit 130 / 143 / 129),
//   - 'exit' (process.exit() or an uncaught exception: only synchronous fallbacks can run there,
//     so every cleanup may carry a `sync` variant that kills / unmounts / removes without awaiting).
import { mkdtemp, chmod, rm } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CleanupOptions {
  /** Synchronous fallback used when the process exits without a chance to await (process.exit, crash). */
  sync?: () => void;
  /** Shown when the cleanup fails. */
  label?: string;
}

interface Entry {
  fn: () => Promise<void> | void;
  sync?: () => void;
  label: string;
  done: boolean;
}

const entries: Entry[] = [];
let running: Promise<void> | null = null;
let hooksInstalled = false;

/** Register a cleanup; returns a function that unregisters it (e.g. after an explicit stop()). */
export function registerCleanup(fn: () => Promise<void> | void, opts: CleanupOptions = {}): () => void {
  installHooks();
  const entry: Entry = { fn, sync: opts.sync, label: opts.label ?? 'cleanup', done: false };
  entries.push(entry);
  return () => {
    entry.done = true;
    const i = entries.indexOf(entry);
    if (i >= 0) entries.splice(i, 1);
  };
}

/** Run all pending cleanups, newest first. Errors are reported on stderr, never thrown, so one
 * failing cleanup cannot keep the others from running. Concurrent calls share one run. */
export async function runCleanups(): Promise<void> {
  if (running) return running;
  running = (async () => {
    while (entries.length) {
      const entry = entries.pop()!;
      if (entry.done) continue;
      entry.done = true;
      try {
        await entry.fn();
      } catch (err) {
        process.stderr.write(`[test cleanup] ${entry.label} failed: ${(err as Error)?.message ?? err}\n`);
      }
    }
  })();
  try {
    await running;
  } finally {
    running = null;
  }
}

function runCleanupsSync(): void {
  while (entries.length) {
    const entry = entries.pop()!;
    if (entry.done) continue;
    entry.done = true;
    if (!entry.sync) continue;
    try {
      entry.sync();
    } catch (err) {
      process.stderr.write(`[test cleanup] ${entry.label} (sync) failed: ${(err as Error)?.message ?? err}\n`);
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('beforeExit', () => {
    if (entries.length && !running) void runCleanups();
  });
  process.on('exit', runCleanupsSync);
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    process.stderr.write(`\n[cleanup] ${signal}: stopping servers, removing temp dirs …\n`);
    // A second signal while cleaning up: do the quick synchronous part and go.
    process.once(signal, () => process.exit(code));
    runCleanups().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  process.once('SIGHUP', () => onSignal('SIGHUP', 129));
}

export interface TempDirOptions {
  /** Keep the directory after the test run (default: removed by the cleanups). */
  keep?: boolean;
}

/** A fresh directory under os.tmpdir(), mode 0755 (so the postgres / mysql system users can
 * traverse it), removed with everything in it by the cleanups unless `keep` is set. */
export async function makeTempDir(prefix: string, opts: TempDirOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix.endsWith('-') ? prefix : `${prefix}-`));
  await chmod(dir, 0o755);
  if (!opts.keep) {
    registerCleanup(() => rm(dir, { recursive: true, force: true, maxRetries: 3 }), {
      sync: () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }),
      label: `remove ${dir}`,
    });
  }
  return dir;
}

// ---- small shared helpers for the server helpers (not part of the brief's API) ----

/** Is a process alive? A zombie (exited, not yet reaped) counts as dead. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …" — comm may contain spaces/parens, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): kill(0) said alive
  }
}

/** Block the thread for `ms` (only for synchronous exit-time cleanup). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Synchronously: signal a process and wait up to `timeoutMs` for it to die, then SIGKILL. */
export function killAndWaitSync(pid: number, signal: NodeJS.Signals, timeoutMs = 5000): void {
  if (!pidAlive(pid)) return;
  try { process.kill(pid, signal); } catch { return; }
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid) && Date.now() < deadline) sleepSync(25);
  if (pidAlive(pid)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    const hard = Date.now() + 2000;
    while (pidAlive(pid) && Date.now() < hard) sleepSync(25);
  }
}

/** Asynchronously wait until a process is gone (polling, so it keeps the event loop alive). */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** A free TCP port on 127.0.0.1, found by letting the kernel pick one (bind to port 0). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** Poll `check` until it returns true or the timeout passes. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * uvu prints nothing when a before/after hook throws (its runner returns from a `finally`): the
 * file just shows "(0 / N)". Wrapped hooks print their error first, then fail as before.
 */
export function visibly(fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (e) {
      console.error('[test hook failed]', e);
      throw e;
    }
  };
}

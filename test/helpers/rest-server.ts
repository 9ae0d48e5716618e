// A real restic REST repository server for tests: `rclone serve restic` (Debian's rclone 1.60) on
// 127.0.0.1 at a free port, serving one folder (a fresh temp dir, a given one, or a size-limited
// tmpfs so a test can fill the repository's disk).
//
// Measured with restic 0.14.0 and rclone 1.60.1 (Debian 12), see restic-servers.test.ts:
// - Repository address: `rest:http://127.0.0.1:PORT/` (the served folder is the repository; a
//   sub-path `rest:http://127.0.0.1:PORT/name/` would be another repository inside it).
//   With a login: `rest:http://USER:PASSWORD@127.0.0.1:PORT/`, both percent-encoded
//   (encodeURIComponent: `p@ss w:rd/x` works). restic 0.14 knows no RESTIC_REST_USERNAME /
//   RESTIC_REST_PASSWORD (ignored: 401), so the password can only travel inside the address —
//   in RESTIC_REPOSITORY (environment), never in argv. restic prints it as `rest:http://USER:***@…`.
//   Without or with a wrong login: exit 1, "server response unexpected: 401 Unauthorized (401)"
//   (init) / "unable to open config file: unexpected HTTP response (401): 401 Unauthorized" (others).
// - --append-only: restic may still remove LOCK files (its own at the end of every command, and
//   stale ones via `restic unlock` without --remove-all). Any other removal gets 403: `restic forget
//   <snapshot>` retries 10 times with backoff (~45 s), then exits 1 with
//   "unable to remove <snapshot/…> from the repository\nblob not removed, server response: 403
//   Forbidden (403)"; the snapshot is still listed.
// - A restic killed with -9 mid-upload leaves its lock (locks/<id>). A second `restic backup` still
//   succeeds (backup's lock is shared, so the stale lock does not block it), but `restic check`
//   (exclusive lock) exits 1 with "repository is already locked by PID … the `unlock` command can
//   be used to remove stale locks". `restic unlock` (no --remove-all: it removes only locks of dead
//   processes on this host, or older than 30 min) clears it through --append-only; `restic check` is
//   then clean (exit 0), at most with the note "pack …: not referenced in any index / 1 additional
//   files were found in the repo … This is non-critical" for a pack the killed run had finished
//   uploading (one still uploading is dropped by rclone: "Removing partially written file on error").
// - Port closed (connection refused) before a command: restic fails at once (< 0.1 s), exit 1,
//   "Fatal: unable to open config file: client.Head: Head \"http://127.0.0.1:PORT/config\": dial tcp
//   127.0.0.1:PORT: connect: connection refused\nIs there a repository at the following location?"
//   (note: the "Is there a repository" line comes with EVERY failure to open the config — a
//   refused connection and a 401 too, not only a missing repository).
// - Server gone DURING a backup: each request is retried 10 times with backoff, then the lock's
//   removal 10 times, then once more in the cleanup handler: restic gave up 149 s after the server
//   was killed (exit 1, "Fatal: unable to save snapshot: client.Post: … connection refused", "error
//   while unlocking: …"), leaving its lock behind. So the product checks reachability first.
// - Server restarted mid-upload (restart()): rclone, killed, leaves the half-written pack; with
//   --append-only restic's retry of that pack gets 403 ("file already exists, refusing to overwrite
//   in append-only mode" in rclone's log) until it gives up: exit 1 after ~58 s, "Fatal: unable to
//   save snapshot: server response unexpected: 403 Forbidden (403)". The next run (new packs)
//   succeeds and `restic check` is clean. Without --append-only the retry overwrites: exit 0.
// - Repository disk full (tmpfs): rclone answers 500 ("preallocate: file too big for remaining disk
//   space" in its log); after ~49 s of retries restic exits 1 with "Fatal: unable to save snapshot:
//   server response unexpected: 500 Internal Server Error (500)". With --append-only the retries of
//   the same pack then get 403 (rclone keeps the empty file and refuses to overwrite it), so the
//   final line says "403 Forbidden" — a full disk must not be read as "deletion refused" from the
//   status code alone (look at Save(<data/…>) vs Remove(…) lines, and the 500 before the 403).
//
// The test's own server takes its login from the environment (RCLONE_USER / RCLONE_PASS, which
// rclone reads for --user / --pass), not argv, so a test that samples every process's argv for
// secrets finds none here either. The PRODUCT must never put a secret in any child's argv.
import { execa, type ResultPromise } from 'execa';
import { request } from 'node:http';
import { mountTmpfs } from './tmpfs';
import { freePort, killAndWaitSync, makeTempDir, registerCleanup, waitForExit, waitUntil } from './temp';

export interface RestServerOptions {
  /** The folder to serve (default: a fresh temp dir, or the tmpfs with `tmpfsMiB`). */
  dir?: string;
  /** rclone's --append-only: the server refuses to delete or overwrite anything but locks. */
  appendOnly?: boolean;
  /** HTTP basic auth login (both or neither). */
  user?: string;
  password?: string;
  /** Serve a fresh tmpfs of this many MiB (a repository disk a test can fill). */
  tmpfsMiB?: number;
}

export interface RestServer {
  host: string;
  port: number;
  /** The served folder: the repository's files (config, data/, index/, keys/, locks/, snapshots/). */
  dir: string;
  appendOnly: boolean;
  user?: string;
  password?: string;
  /** What restic 0.14 takes in RESTIC_REPOSITORY, the login (percent-encoded) inside it. */
  url: string;
  /** The same without the password (`rest:http://USER@…` or no login): what a config stores. */
  urlWithoutPassword: string;
  /** rclone's current process id (changes with restart()); 0 while stopped. */
  pid(): number;
  /** rclone's stderr since the last (re)start (errors such as ENOSPC are logged there). */
  log(): string;
  running(): boolean;
  /** Stop the server (SIGTERM, then SIGKILL); the folder stays. restart() brings it back. */
  stop(): Promise<void>;
  /** (Re)start on the same port and folder, waiting until it accepts connections. */
  restart(): Promise<void>;
}

/** Any HTTP answer (404 for a missing repository's config, 401 without the login) means rclone serves. */
function answersHttp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'HEAD', path: '/config', timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

export async function startRestServer(opts: RestServerOptions = {}): Promise<RestServer> {
  if ((opts.user === undefined) !== (opts.password === undefined)) throw new Error('startRestServer: give both user and password, or neither');
  if (opts.dir && opts.tmpfsMiB !== undefined) throw new Error('startRestServer: dir and tmpfsMiB exclude each other');
  const dir = opts.dir ?? (opts.tmpfsMiB !== undefined ? (await mountTmpfs(opts.tmpfsMiB)).path : await makeTempDir('praxis-restic-rest'));
  const appendOnly = opts.appendOnly ?? false;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    // No rclone.conf is read or written (and no "config file not found" notice).
    RCLONE_CONFIG: '/dev/null',
  };
  if (opts.user !== undefined) {
    env.RCLONE_USER = opts.user;
    env.RCLONE_PASS = opts.password!;
  }

  let child: ResultPromise | null = null;
  let exited = true;
  let stderr = '';
  let port = 0;

  const spawnOn = async (p: number): Promise<boolean> => {
    const args = ['serve', 'restic', '--addr', `127.0.0.1:${p}`, ...(appendOnly ? ['--append-only'] : []), dir];
    stderr = '';
    exited = false;
    const c = execa('rclone', args, { env, extendEnv: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false, reject: false });
    c.stderr!.setEncoding('utf8');
    c.stderr!.on('data', (s: string) => { stderr += s; });
    void c.then(() => { exited = true; });
    child = c;
    const up = await waitUntil(async () => exited || (await answersHttp(p)), 15_000, 20);
    if (up && !exited) return true;
    c.kill('SIGKILL');
    await c;
    child = null;
    return false;
  };

  const stop = async () => {
    const c = child;
    if (!c) return;
    child = null;
    c.kill('SIGTERM');
    if (!(await waitForExit(c.pid!, 5000))) c.kill('SIGKILL');
    await c;
  };

  // A just-probed port can be taken before rclone binds it: try another (only on the first start;
  // restart() must come back on the same port).
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    if (await spawnOn(port)) break;
    if (attempt >= 3) throw new Error(`rclone serve restic did not start on 127.0.0.1:${port}: ${stderr.trim()}`);
  }
  registerCleanup(stop, {
    sync: () => { if (child?.pid) killAndWaitSync(child.pid, 'SIGTERM', 3000); },
    label: `stop rclone serve restic on port ${port}`,
  });

  const login = opts.user !== undefined ? `${encodeURIComponent(opts.user)}:${encodeURIComponent(opts.password!)}@` : '';
  const userOnly = opts.user !== undefined ? `${encodeURIComponent(opts.user)}@` : '';
  return {
    host: '127.0.0.1',
    port,
    dir,
    appendOnly,
    user: opts.user,
    password: opts.password,
    url: `rest:http://${login}127.0.0.1:${port}/`,
    urlWithoutPassword: `rest:http://${userOnly}127.0.0.1:${port}/`,
    pid: () => (child ? child.pid ?? 0 : 0),
    log: () => stderr,
    running: () => child !== null && !exited,
    stop,
    async restart() {
      await stop();
      // The port was ours a moment ago; another process could take it meanwhile (then say so).
      if (!(await waitUntil(async () => spawnOn(port), 10_000, 200))) {
        throw new Error(`rclone serve restic could not come back on 127.0.0.1:${port}: ${stderr.trim()}`);
      }
    },
  };
}

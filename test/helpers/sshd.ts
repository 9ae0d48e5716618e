// A real OpenSSH server for tests: `/usr/sbin/sshd -D -e -f <generated config>` on 127.0.0.1 at a
// free port, as the current user (root in CI), key login only, with SFTP (internal-sftp): restic's
// SFTP repositories. Host key, client key pair, authorized_keys, config and pid file live in a temp
// dir; nothing of the machine's own /etc/ssh is read or changed. sshd needs its privilege
// separation directory /run/sshd: created here (0755) when missing.
//
// Measured with restic 0.14.0 and OpenSSH 9.2p1 (Debian 12), see restic-servers.test.ts:
// - Repository address for a non-default port: `sftp://USER@127.0.0.1:PORT//ABS/PATH` (repoUrl()).
//   The double slash makes the path absolute; `sftp://USER@host:PORT/ABS/PATH` is relative to the
//   user's home ("Lstat: file does not exist"). The short form `sftp:USER@host:/ABS/PATH` has no
//   port (restic runs `ssh HOST -l USER -s sftp`, port 22). For the URL form restic itself runs
//   `ssh 127.0.0.1 -p PORT -l USER -s sftp` — with the user's ~/.ssh keys, config and known_hosts.
// - Our own key and known_hosts only: restic 0.14 has no `sftp.args` ("option sftp.args is not
//   known"), so the whole command goes into `-o sftp.command=…` (sftpCommand() below):
//     ssh -F /dev/null -i KEY -o IdentitiesOnly=yes -o UserKnownHostsFile=KNOWN_HOSTS
//         -o StrictHostKeyChecking=yes -o BatchMode=yes -p PORT -l USER 127.0.0.1 -s sftp
//   With sftp.command, restic takes only the path from the repository address (host, user and
//   port come from the command). restic splits the command itself (no shell): single quotes
//   protect spaces ('/a b/key' works); a double quote anywhere breaks restic's own `-o` parsing
//   ("bare \" in non-quoted-field", exit 1), and so does a comma (the -o value is read as CSV:
//   "single-quoted string not terminated") — unless the whole value is CSV-quoted:
//   `-o "\"sftp.command=…\""` with inner double quotes doubled. `-F /dev/null` keeps the user's
//   ~/.ssh/config out. The key file must be mode 0600 (ssh refuses a readable private key).
// - restic relays ssh's stderr (prefixed "subprocess ssh: ") from a goroutine and may exit before it
//   ran: in 6 of 40 runs restic printed NONE of ssh's lines below, only its own last line, whose tail
//   varies: "unable to start the sftp session, error: EOF" | "…error: read |0: file already closed" |
//   "…error: failed to send packet: write |1: file already closed". So restic's output can say "no
//   SFTP session", never reliably why. To tell host key / refused / login apart, run the SAME ssh
//   command line alone with stdin from /dev/null (what the tests' sshProbe does): exit 0 = a session
//   opened; exit 255 with ssh's own message on stderr otherwise (~0.3–0.5 s here).
// - Host key changed (known_hosts holds the old one): restic exits 1 at once (~0.2 s), stderr (mostly):
//     subprocess ssh: @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
//     … subprocess ssh: Host key for [127.0.0.1]:PORT has changed and you have requested strict checking.
//     subprocess ssh: Host key verification failed.
//     Fatal: unable to open repository at sftp://…: unable to start the sftp session, error: EOF
//   (init: "Fatal: create repository at … failed: unable to start the sftp session, error: EOF").
//   ssh alone: exit 255, the same lines without the "subprocess ssh: " prefix.
// - Host unknown (empty known_hosts, StrictHostKeyChecking=yes): exit 1, "subprocess ssh: No
//   ED25519 host key is known for [127.0.0.1]:PORT and you have requested strict checking." and
//   "Host key verification failed."; with StrictHostKeyChecking=accept-new the line is recorded.
// - Port closed: restic exits 1 at once (< 0.3 s): "subprocess ssh: ssh: connect to host 127.0.0.1
//   port PORT: Connection refused" then "Fatal: unable to open repository at …: unable to start the
//   sftp session, error: EOF".
// - Server gone DURING a backup (sshd and its sessions killed): restic notices at once ("Save(<data/
//   …>) returned error, retrying after …: OpenFile: connection lost"), does not wait out its backoff
//   and exits 1 within a second: "Fatal: unable to save snapshot: ssh command exited: exit status
//   255", "error while unlocking: ssh command exited: exit status 255" — its lock stays behind.
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { descendants } from './process-tree';
import { freePort, killAndWaitSync, makeTempDir, pidAlive, registerCleanup, waitForExit, waitUntil } from './temp';

export interface SshServer {
  host: string;
  port: number;
  /** The login: the user running the tests. */
  user: string;
  /** The client's private key (0600); its public half is the only authorized key. */
  clientKey: string;
  /** The server's temp dir (config, keys, pid file). */
  dir: string;
  /** The current host key as a known_hosts line: `[127.0.0.1]:PORT ssh-ed25519 AAAA…`. */
  knownHostsLine(): Promise<string>;
  /** restic's address of an absolute path on this server: `sftp://USER@127.0.0.1:PORT//ABS/PATH`. */
  repoUrl(path: string): string;
  /** The ssh command line for restic's `-o sftp.command=…`: this key and `knownHostsFile` only, no prompt. */
  sftpCommand(knownHostsFile: string): string;
  /** sshd's listener pid (changes with restart()); 0 while stopped. */
  pid(): number;
  /** sshd's stderr (-e: its log) since the last (re)start. */
  log(): string;
  /** A new host key; a running server is restarted so it presents the new one. */
  regenerateHostKey(): Promise<void>;
  /** Stop and start on the same port (existing sessions are ended). */
  restart(): Promise<void>;
  /** Stop the listener and every session it started. */
  stop(): Promise<void>;
  /** The listener's live descendants: the sessions (sshd's per-connection processes). */
  sessions(): number[];
}

function sshdConfig(dir: string, port: number, user: string): string {
  return `ListenAddress 127.0.0.1:${port}
HostKey ${join(dir, 'host_key')}
PidFile ${join(dir, 'sshd.pid')}
AuthorizedKeysFile ${join(dir, 'authorized_keys')}
AllowUsers ${user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
# The temp dir sits under the world-writable /tmp: StrictModes would refuse its authorized_keys.
StrictModes no
Subsystem sftp internal-sftp
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
`;
}

/** Connect and read the server's banner: only then is sshd really answering. */
function answersSsh(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(2000, () => done(false));
    s.once('data', (b) => done(b.toString('latin1').startsWith('SSH-2.0-')));
    s.once('error', () => done(false));
  });
}

function sq(s: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function keygen(path: string, comment: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.pub`, { force: true });
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

export async function startSshd(): Promise<SshServer> {
  // The privilege separation dir sshd insists on (Debian's package makes it at boot via tmpfiles;
  // containers often lack it). Owned by root, not group/world-writable.
  if (!existsSync('/run/sshd')) {
    if (process.getuid?.() !== 0) throw new Error('startSshd: /run/sshd is missing and only root can create it (mkdir -m 0755 /run/sshd)');
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }
  const user = userInfo().username;
  const dir = await makeTempDir('praxis-sshd');
  const hostKey = join(dir, 'host_key');
  const clientKey = join(dir, 'client_key');
  await keygen(hostKey, 'praxis-test-host');
  await keygen(clientKey, 'praxis-test-client');
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKey}.pub`), { mode: 0o600 });
  const conf = join(dir, 'sshd_config');
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

  let child: ResultPromise | null = null;
  let exited = true;
  let stderr = '';
  let port = 0;

  const spawnOn = async (p: number): Promise<boolean> => {
    await writeFile(conf, sshdConfig(dir, p, user));
    stderr = '';
    exited = false;
    // sshd re-executes itself per connection, which needs its absolute path.
    const c = execa('/usr/sbin/sshd', ['-D', '-e', '-f', conf], { env, extendEnv: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false, reject: false });
    c.stderr!.setEncoding('utf8');
    c.stderr!.on('data', (s: string) => { stderr += s; });
    void c.then(() => { exited = true; });
    child = c;
    const up = await waitUntil(async () => exited || (await answersSsh(p)), 15_000, 20);
    if (up && !exited) return true;
    c.kill('SIGKILL');
    await c;
    child = null;
    return false;
  };

  // The per-connection sshd processes call setsid() (a process group kill misses them) and
  // overwrite their environment with the process title (no marker survives there), so they are
  // found as the listener's descendants — while it lives: once it is gone they are orphans.
  // Sessions first, then the listener.
  const killTree = (pid: number) => {
    for (const p of descendants(pid).reverse()) {
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c) return;
    const sessions = descendants(c.pid!);
    killTree(c.pid!);
    c.kill('SIGTERM');
    if (!(await waitForExit(c.pid!, 5000))) c.kill('SIGKILL');
    await c;
    for (const p of sessions) await waitForExit(p, 3000);
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    if (await spawnOn(port)) break;
    if (attempt >= 3) throw new Error(`sshd did not start on 127.0.0.1:${port}: ${stderr.trim()}`);
  }
  registerCleanup(stop, {
    sync: () => {
      if (!child?.pid) return;
      killTree(child.pid);
      killAndWaitSync(child.pid, 'SIGTERM', 3000);
    },
    label: `stop sshd on port ${port}`,
  });

  const restart = async () => {
    await stop();
    if (!(await waitUntil(async () => spawnOn(port), 10_000, 200))) {
      throw new Error(`sshd could not come back on 127.0.0.1:${port}: ${stderr.trim()}`);
    }
  };

  return {
    host: '127.0.0.1',
    port,
    user,
    clientKey,
    dir,
    async knownHostsLine() {
      const [type, key] = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
      return `[127.0.0.1]:${port} ${type} ${key}`;
    },
    repoUrl(path: string) {
      if (!path.startsWith('/')) throw new Error(`repoUrl: an absolute path, got ${path}`);
      return `sftp://${user}@127.0.0.1:${port}/${path}`;
    },
    sftpCommand(knownHostsFile: string) {
      return ['ssh', '-F', '/dev/null', '-i', clientKey, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHostsFile}`,
        '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(port), '-l', user, '127.0.0.1', '-s', 'sftp'].map(sq).join(' ');
    },
    pid: () => (child ? child.pid ?? 0 : 0),
    sessions: () => (child ? descendants(child.pid!).filter(pidAlive) : []),
    log: () => stderr,
    async regenerateHostKey() {
      await keygen(hostKey, 'praxis-test-host');
      if (child) await restart();
    },
    restart,
    stop,
  };
}

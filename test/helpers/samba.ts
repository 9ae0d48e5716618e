// A real Samba server for tests: smbd on 127.0.0.1 at a free unprivileged port, with its config,
// passdb, locks, state and logs in a temp dir, one share and one user with a password.
//
// smbd maps every SMB user to a Unix account. As root, the helper creates the system user
// `praxis-smbtest` (no home, no login shell) the first time and leaves it in place: removing it
// while another test file's smbd still serves it would break that one. The SMB password lives
// only in this server's own passdb (tdbsam in the temp dir), so nothing of the machine's own
// Samba setup is read or changed.
import { execa, type ResultPromise } from 'execa';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { processesMarked } from './keyring';
import { freePort, killAndWaitSync, makeTempDir, pidAlive, registerCleanup, waitForExit, waitUntil } from './temp';

export interface SambaServer {
  host: string;
  port: number;
  share: string;
  user: string;
  password: string;
  /** The shared folder on disk. */
  shareDir: string;
  dir: string;
  /** smb://<host>:<port>/<share> */
  url: string;
  /** Milliseconds from spawning smbd to the port accepting connections. */
  startMs: number;
  pid: number;
  /** Processes that carry this server's marker in their environment (smbd and its helpers). */
  processes(): number[];
  stop(): Promise<void>;
}

export interface StartSambaOptions {
  user?: string;
  password?: string;
  share?: string;
}

const DEFAULT_USER = 'praxis-smbtest';

async function ensureUnixUser(user: string): Promise<{ uid: number; gid: number }> {
  const probe = await execa('id', ['-u', user], { reject: false });
  if (probe.exitCode !== 0) {
    if (process.getuid?.() !== 0) throw new Error(`startSamba: the Unix user '${user}' does not exist, and only root can create it (useradd --system ${user})`);
    const r = await execa('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user], { reject: false });
    // Two test files racing to create it: the loser finds it there.
    if (r.exitCode !== 0 && (await execa('id', ['-u', user], { reject: false })).exitCode !== 0) throw new Error(`useradd ${user} failed: ${r.stderr}`);
  }
  return { uid: Number((await execa('id', ['-u', user])).stdout), gid: Number((await execa('id', ['-g', user])).stdout) };
}

function smbConf(dir: string, port: number, share: string, shareDir: string, user: string): string {
  return `[global]
  server role = standalone server
  workgroup = PRAXISTEST
  netbios name = PRAXISTEST
  smb ports = ${port}
  interfaces = lo
  bind interfaces only = yes
  disable netbios = yes
  private dir = ${join(dir, 'private')}
  lock directory = ${join(dir, 'lock')}
  state directory = ${join(dir, 'state')}
  cache directory = ${join(dir, 'cache')}
  pid directory = ${join(dir, 'pid')}
  ncalrpc dir = ${join(dir, 'ncalrpc')}
  passdb backend = tdbsam:${join(dir, 'private', 'passdb.tdb')}
  log file = ${join(dir, 'log', 'log.%m')}
  max log size = 1000
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  map to guest = Never
  restrict anonymous = 2
  server min protocol = SMB2_10

[${share}]
  path = ${shareDir}
  read only = no
  valid users = ${user}
`;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export async function startSamba(opts: StartSambaOptions = {}): Promise<SambaServer> {
  const user = opts.user ?? DEFAULT_USER;
  const password = opts.password ?? 'Smb-Test-Passwort 1';
  const share = opts.share ?? 'backup';
  if (/[\r\n]/.test(password)) throw new Error('startSamba: the password must not contain a line break');
  const { uid, gid } = await ensureUnixUser(user);

  const dir = await makeTempDir('praxis-samba');
  for (const d of ['private', 'lock', 'state', 'cache', 'pid', 'log', 'ncalrpc']) await mkdir(join(dir, d), { recursive: true });
  const shareDir = join(dir, 'share');
  await mkdir(shareDir);
  await writeFile(join(shareDir, 'liesmich.txt'), 'Testfreigabe von Praxis-Backup\n');
  await chown(shareDir, uid, gid);
  const conf = join(dir, 'smb.conf');
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', PRAXIS_TEST_SAMBA: dir };

  // A just-probed port can be taken before smbd binds it: retry with a new one.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    await writeFile(conf, smbConf(dir, port, share, shareDir, user));
    if (attempt === 0) {
      const r = await execa('smbpasswd', ['-c', conf, '-a', '-s', user], { env, extendEnv: false, input: `${password}\n${password}\n`, reject: false });
      if (r.exitCode !== 0) throw new Error(`smbpasswd -a failed: ${r.stderr || r.stdout}`);
    }
    const started = Date.now();
    // Its own process group (detached), so stop() reaches smbd's helper processes as well.
    const child: ResultPromise = execa('smbd', ['--foreground', '--no-process-group', '--debug-stdout', '-s', conf], {
      env, extendEnv: false, detached: true, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', reject: false,
    });
    const pid = child.pid!;
    let exited = false;
    void child.then(() => { exited = true; });
    const up = await waitUntil(async () => exited || (await portOpen(port)), 15_000, 20);
    const startMs = Date.now() - started;
    if (!up || exited) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      await child;
      if (attempt < 3) continue;
      throw new Error(`smbd did not start on port ${port}; see ${join(dir, 'log')}`);
    }

    let stopped = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try { process.kill(-pid, signal); } catch { /* gone */ }
    };
    const stopSync = () => {
      if (stopped) return;
      stopped = true;
      killGroup('SIGTERM');
      killAndWaitSync(pid, 'SIGTERM', 5000);
      for (const p of processesMarked('PRAXIS_TEST_SAMBA', dir)) killAndWaitSync(p, 'SIGKILL', 2000);
    };
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      unregister();
      killGroup('SIGTERM');
      if (!(await waitForExit(pid, 10_000))) killGroup('SIGKILL');
      await child;
      for (const p of processesMarked('PRAXIS_TEST_SAMBA', dir)) {
        try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
        await waitForExit(p, 3000);
      }
    };
    const unregister = registerCleanup(stop, { sync: stopSync, label: `stop smbd on port ${port}` });
    return {
      host: '127.0.0.1', port, share, user, password, shareDir, dir, startMs, pid,
      url: `smb://127.0.0.1:${port}/${share}`,
      processes: () => processesMarked('PRAXIS_TEST_SAMBA', dir).filter(pidAlive),
      stop,
    };
  }
}

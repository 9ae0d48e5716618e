// `credentials test smb://user@host/share`: a real login to the share with the stored password.
//
// Linux: `smbclient //host/share -m SMB3 -U user -c ls` — connects, logs in, opens the share and
// lists it. The password goes in the environment variable PASSWD (smbclient(1), "--password"):
// never argv; never on disk either. The alternatives measured with smbclient 4.17: an
// authentication file (-A) trims the password, so one with a leading or trailing space fails;
// PASSWD_FD reads at most 127 bytes and prints a spurious "empty password" error even on success.
//
// macOS has no smbclient: mount the share with mount_smbfs into a private folder and unmount it
// again, through SmbShares (the very code a mirror run uses).
import { access, constants, mkdir, mkdtemp, rmdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { SmbShares } from '../diskutil/smb-mount';
import { CommandError, type CommandPlan, type RunResult } from '../process/runner';
import type { ShareLogin, ShareLoginTester } from './credentials-service';
import { PraxisError } from '../core/errors';

type Runner = (plan: CommandPlan) => Promise<RunResult>;

export function planSmbclientList(smbclient: string, login: ShareLogin): CommandPlan {
  const host = login.host;
  return {
    label: `smbclient //${host}/${login.share}`,
    file: smbclient,
    args: [
      `//${host}/${login.share}`,
      ...(login.port ? ['-p', String(login.port)] : []),
      // SMB3 only as the highest protocol: what mount.cifs (vers=3.0) and macOS use as well.
      '-m', 'SMB3',
      '-U', login.user,
      '-c', 'ls',
    ],
    env: { PASSWD: login.password },
    secrets: [login.password],
    timeoutMs: 60_000,
  };
}

const UNREACHABLE = new Set([
  'NT_STATUS_CONNECTION_REFUSED', 'NT_STATUS_HOST_UNREACHABLE', 'NT_STATUS_NETWORK_UNREACHABLE',
  'NT_STATUS_IO_TIMEOUT', 'NT_STATUS_UNSUCCESSFUL', // "Connection to nas failed": also an unknown host name
  'NT_STATUS_BAD_NETWORK_PATH', 'NT_STATUS_CONNECTION_RESET', 'NT_STATUS_CONNECTION_DISCONNECTED',
  'NT_STATUS_INVALID_NETWORK_RESPONSE', 'NT_STATUS_PORT_UNREACHABLE', 'NT_STATUS_NOT_FOUND',
]);

/**
 * What smbclient's failure means. Its messages (measured against smbd 4.17 here):
 * "session setup failed: NT_STATUS_LOGON_FAILURE" (wrong user or password),
 * "tree connect failed: NT_STATUS_BAD_NETWORK_NAME" (no such share),
 * "do_connect: Connection to 127.0.0.1 failed (Error NT_STATUS_CONNECTION_REFUSED)",
 * "do_connect: Connection to nas.invalid failed (Error NT_STATUS_UNSUCCESSFUL)" (unknown host).
 */
export function mapSmbclientFailure(e: CommandError, login: ShareLogin): PraxisError {
  const lines = [...e.stderrTail, ...e.stdoutTail].filter((l) => l.trim());
  const detail = lines.slice(-2).join(' | ') || e.message;
  const status = /NT_STATUS_[A-Z0-9_]+/.exec(lines.join('\n'))?.[0];
  const host = login.hostPort;
  const share = `//${host}/${login.share}`;
  if (e.reason === 'timeout' || (status && UNREACHABLE.has(status))) {
    return new PraxisError('error.smbUnreachable', { share, host, shareName: login.share, detail });
  }
  if (status === 'NT_STATUS_LOGON_FAILURE' || status === 'NT_STATUS_WRONG_PASSWORD') {
    return new PraxisError('credentials.test.wrongPassword', { user: login.user, target: share, detail: status, id: login.id });
  }
  if (status === 'NT_STATUS_BAD_NETWORK_NAME') return new PraxisError('credentials.test.shareMissing', { shareName: login.share, host, detail: status });
  if (status === 'NT_STATUS_ACCESS_DENIED') return new PraxisError('credentials.test.shareDenied', { user: login.user, host, shareName: login.share, detail: status });
  return new PraxisError('credentials.test.smbFailed', { target: share, detail });
}

/** Linux: smbclient. */
export class SmbclientLoginTester implements ShareLoginTester {
  constructor(
    private readonly run: Runner,
    private readonly env: NodeJS.ProcessEnv,
    private readonly smbclient?: string,
    /** Searched after PATH: a scheduled run's PATH may be short. */
    private readonly extraDirs = ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin'],
  ) {}

  private async find(): Promise<string> {
    if (this.smbclient) return this.smbclient;
    const dirs = [...(this.env.PATH ?? '').split(delimiter).filter(Boolean), ...this.extraDirs];
    for (const d of [...new Set(dirs)]) {
      const p = join(d, 'smbclient');
      if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
    }
    throw new PraxisError('error.toolMissing', { tool: 'smbclient', searched: [...new Set(dirs)].join(':'), hint: 'Debian/Ubuntu: apt install smbclient' });
  }

  async test(login: ShareLogin): Promise<void> {
    // smbclient reads "user%password" from -U: a "%" in the name would be taken for a password.
    if (login.user.includes('%')) throw new PraxisError('credentials.test.badSmbUser', { user: login.user });
    const smbclient = await this.find();
    try {
      await this.run(planSmbclientList(smbclient, login));
    } catch (e) {
      if (e instanceof CommandError) throw mapSmbclientFailure(e, login);
      throw e;
    }
  }
}

/** macOS: mount and unmount the share in a private folder. */
export class MountLoginTester implements ShareLoginTester {
  constructor(
    private readonly shares: Pick<SmbShares, 'mount' | 'unmount'>,
    private readonly mountBase: string,
  ) {}

  async test(login: ShareLogin): Promise<void> {
    await mkdir(this.mountBase, { recursive: true, mode: 0o700 });
    const mountPoint = await mkdtemp(join(this.mountBase, 'credentials-test-'));
    const url = `smb://${login.hostPort}/${encodeURIComponent(login.share)}`;
    try {
      await this.shares.mount(url, login.user, login.password, mountPoint);
      await this.shares.unmount(mountPoint);
    } catch (e) {
      // Same words as smbclient's wrong password on Linux.
      if (e instanceof PraxisError && e.message_.key === 'error.smbAuth') {
        throw new PraxisError('credentials.test.wrongPassword', { user: login.user, target: `//${login.hostPort}/${login.share}`, detail: 'mount_smbfs: server rejected the connection', id: login.id });
      }
      throw e;
    } finally {
      await rmdir(mountPoint).catch(() => {}); // only if empty, i.e. unmounted
    }
  }
}

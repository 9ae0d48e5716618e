// A private Secret Service for one test file: its own D-Bus session bus and gnome-keyring-daemon,
// unlocked with a test password, in a temp dir that is HOME, XDG_DATA_HOME (where the "login"
// keyring file lives), XDG_RUNTIME_DIR, XDG_CONFIG_HOME and XDG_CACHE_HOME at once.
//
// Why its own HOME every time (../shared/reference/linux-keyring.md): a login keyring left by an
// earlier run with another password is not unlocked by --unlock; the daemon then wants a graphical
// prompt, which fails without a display, and every store fails.
//
// The bus is started with a config of its own that has no service directories, so nothing is ever
// auto-started on it: no second keyring daemon, no prompter. Every process this helper starts
// carries PRAXIS_TEST_KEYRING=<dir> in its environment, so strays() finds anything left behind.
import { execa, type ResultPromise } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAndWaitSync, makeTempDir, pidAlive, registerCleanup, waitForExit, waitUntil } from './temp';

export interface TestKeyring {
  dir: string;
  home: string;
  /** Environment for a child that should use this keyring (also the isolated HOME and XDG dirs). No DISPLAY. */
  env: Record<string, string>;
  password: string;
  /** Milliseconds from spawning the bus to an unlocked keyring answering on it. */
  startMs: number;
  /** `secret-tool lookup service Praxis-Backup account <id>`: the stored secret, or null. */
  lookup(account: string, service?: string): Promise<string | null>;
  /** `secret-tool store` as keytar stores (with its schema attribute), the secret on stdin. */
  store(account: string, secret: string, service?: string): Promise<void>;
  /** Processes (pids) that carry this keyring's marker in their environment. */
  strays(): number[];
  /** For a failure message: whether the bus and the keyring daemon still run, or how they ended and what they printed last. */
  health(): string;
  stop(): Promise<void>;
}

export interface StartKeyringOptions {
  /** The keyring's own password (default 'test-keyring-pw'). */
  password?: string;
  /** Leave the keyring locked: start the daemon without --unlock, after creating the login keyring with `password`. */
  locked?: boolean;
}

/** Only what the tools need: a fixed PATH and the isolated dirs, nothing of the caller's session. */
function baseEnv(dir: string): Record<string, string> {
  const home = join(dir, 'home');
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    HOME: home,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    LANG: 'C.UTF-8',
    PRAXIS_TEST_KEYRING: dir,
  };
}

function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

/** Pids whose environment holds PRAXIS_TEST_KEYRING=<dir> (Linux /proc). */
export function processesMarked(marker: string, value: string): number[] {
  const needle = `${marker}=${value}\0`;
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if ((readFileSync(`/proc/${name}/environ`, 'latin1') + '\0').includes(needle) && pidAlive(Number(name))) out.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

async function nameHasOwner(env: Record<string, string>, name: string): Promise<boolean> {
  const r = await execa('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`], { env, extendEnv: false, reject: false });
  return /boolean true/.test(r.stdout);
}

export async function startKeyring(opts: StartKeyringOptions = {}): Promise<TestKeyring> {
  const password = opts.password ?? 'test-keyring-pw';
  const dir = await makeTempDir('praxis-keyring');
  const env0 = baseEnv(dir);
  for (const d of [env0.HOME, env0.XDG_DATA_HOME, env0.XDG_CONFIG_HOME, env0.XDG_CACHE_HOME]) await mkdir(d!, { recursive: true });
  await mkdir(env0.XDG_RUNTIME_DIR!, { mode: 0o700 });
  await chmod(env0.XDG_RUNTIME_DIR!, 0o700);
  const socket = join(env0.XDG_RUNTIME_DIR!, 'bus');
  await writeFile(join(dir, 'bus.conf'), busConfig(socket));

  const started = Date.now();
  const children: ResultPromise[] = [];
  // How each daemon ended (if it did) and the tail of what it printed: a failure then says whether
  // the keyring went away under the test, and why, instead of only what the product answered.
  const ends = new Map<string, string>();
  const tails = new Map<string, string>();
  const watch = (name: string, child: ResultPromise) => {
    child.stderr!.on('data', (d: Buffer) => tails.set(name, ((tails.get(name) ?? '') + d.toString()).slice(-1500)));
    void child.then((r) => ends.set(name, `exited (code ${r.exitCode ?? '-'}, signal ${r.signal ?? '-'})`));
  };
  const health = () =>
    ['dbus-daemon', 'gnome-keyring-daemon']
      .map((n) => `${n}: ${stopped ? 'stopped by the test' : (ends.get(n) ?? 'running')}${tails.get(n) ? `; stderr: ${tails.get(n)!.trim()}` : ''}`)
      .join(' | ');
  const stopSync = () => {
    for (const c of [...children].reverse()) if (c.pid) killAndWaitSync(c.pid, 'SIGTERM', 3000);
    for (const pid of processesMarked('PRAXIS_TEST_KEYRING', dir)) killAndWaitSync(pid, 'SIGKILL', 2000);
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    for (const c of [...children].reverse()) {
      if (!c.pid || !pidAlive(c.pid)) continue;
      c.kill('SIGTERM');
      if (!(await waitForExit(c.pid, 5000))) c.kill('SIGKILL');
      await c.catch(() => {});
    }
    // Anything else that carries our marker (nothing should): stop it too, and wait.
    for (const pid of processesMarked('PRAXIS_TEST_KEYRING', dir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitForExit(pid, 2000);
    }
  };
  // Registered after makeTempDir's removal, so it runs first: daemons stop before their dir goes.
  const unregister = registerCleanup(stop, { sync: stopSync, label: `stop keyring in ${dir}` });

  try {
    const bus = execa('dbus-daemon', [`--config-file=${join(dir, 'bus.conf')}`, '--nofork', '--print-address=1'], {
      env: env0, extendEnv: false, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false,
    });
    children.push(bus);
    const address = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error('dbus-daemon printed no address within 10 s')), 10_000);
      bus.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
        const line = text.split('\n')[0]!;
        if (text.includes('\n') && line.startsWith('unix:')) {
          clearTimeout(timer);
          resolve(line.trim());
        }
      });
      watch('dbus-daemon', bus); // "Failed to set fd limit": harmless in this sandbox
      void bus.then((r) => reject(new Error(`dbus-daemon exited (${r.exitCode})`)));
    });
    const env: Record<string, string> = { ...env0, DBUS_SESSION_BUS_ADDRESS: address };

    if (opts.locked) {
      // Create the login keyring with `password` first (an unlocked daemon), then restart without --unlock.
      const first = execa('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env, extendEnv: false, input: password, stdout: 'ignore', stderr: 'ignore', reject: false });
      if (!(await waitUntil(() => nameHasOwner(env, 'org.freedesktop.secrets'), 10_000, 10))) throw new Error('gnome-keyring-daemon did not register');
      await execa('secret-tool', ['store', '--label=init', 'service', 'praxis-test-init', 'account', 'init'], { env, extendEnv: false, input: 'x' });
      first.kill('SIGTERM');
      await first;
      await waitUntil(async () => !(await nameHasOwner(env, 'org.freedesktop.secrets')), 10_000, 10);
    }
    const args = opts.locked ? ['--foreground', '--components=secrets'] : ['--foreground', '--unlock', '--components=secrets'];
    const keyring = execa('gnome-keyring-daemon', args, {
      env, extendEnv: false, input: opts.locked ? undefined : password, stdin: opts.locked ? 'ignore' : undefined,
      stdout: 'ignore', stderr: 'pipe', reject: false, buffer: false,
    });
    children.push(keyring);
    watch('gnome-keyring-daemon', keyring);
    if (!(await waitUntil(() => nameHasOwner(env, 'org.freedesktop.secrets'), 10_000, 10))) {
      throw new Error('gnome-keyring-daemon did not register org.freedesktop.secrets within 10 s');
    }
    const startMs = Date.now() - started;

    const secretTool = (args: string[], input?: string) =>
      execa('secret-tool', args, { env, extendEnv: false, input, stdin: input === undefined ? 'ignore' : undefined, reject: false });

    return {
      dir,
      home: env.HOME!,
      env,
      password,
      startMs,
      async lookup(account, service = 'Praxis-Backup') {
        const r = await secretTool(['lookup', 'service', service, 'account', account]);
        if (r.exitCode !== 0) return null; // secret-tool lookup exits 1 when nothing matches
        return r.stdout;
      },
      async store(account, secret, service = 'Praxis-Backup') {
        // With the schema attribute, as keytar stores it: libsecret's lookup (keytar's) matches it
        // too, so an item stored without it would be invisible to the product (seen in the tray test).
        const r = await secretTool(['store', '--label=test', 'xdg:schema', 'org.freedesktop.Secret.Generic', 'service', service, 'account', account], secret);
        if (r.exitCode !== 0) throw new Error(`secret-tool store failed: ${r.stderr}`);
      },
      strays: () => processesMarked('PRAXIS_TEST_KEYRING', dir),
      health,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

// The adapters without a keyring or server: the keytar store's failure handling (with a stand-in
// keytar module), the Secret Service lock probe, smbclient's argv and error mapping, and the macOS
// mount-and-unmount login test by exact argv (no Mac here).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeytarSecretStore, SERVICE, type KeytarModule } from '../../src/credentials/keytar-secret-store';
import { defaultCollectionLocked, parseLockedReply, planDefaultCollectionLocked } from '../../src/credentials/secret-service-lock';
import { mapSmbclientFailure, MountLoginTester, planSmbclientList, SmbclientLoginTester } from '../../src/credentials/smb-login-test';
import { SmbShares, type MountEntry } from '../../src/diskutil/smb-mount';
import { render } from '../../src/i18n';
import { CommandError, displayArgv, type CommandPlan, type RunResult } from '../../src/process/runner';
import { ChainSecretStore, EnvSecretStore } from '../../src/credentials/credentials';
import type { ShareLogin } from '../../src/credentials/credentials-service';
import { PraxisError } from '../../src/core/errors';

const ok = (stdout: string[] = []): RunResult => ({ exitCode: 0, warning: false, stdoutTail: stdout, stderrTail: [], durationMs: 1 });

function memoryKeytar(): KeytarModule & { items: Map<string, string> } {
  const items = new Map<string, string>();
  const key = (s: string, a: string) => `${s}\0${a}`;
  return {
    items,
    getPassword: async (s, a) => items.get(key(s, a)) ?? null,
    setPassword: async (s, a, p) => void items.set(key(s, a), p),
    deletePassword: async (s, a) => items.delete(key(s, a)),
    findCredentials: async (s) => [...items].filter(([k]) => k.startsWith(`${s}\0`)).map(([k, password]) => ({ account: k.split('\0')[1]!, password })),
  };
}

async function failure(p: Promise<unknown>): Promise<PraxisError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PraxisError) return e;
    throw e;
  }
  throw new Error('expected a PraxisError');
}

// ---- KeytarSecretStore ---------------------------------------------------------------------

test('keytar store: service "Praxis-Backup", account = id; ids() hands out no passwords', async () => {
  const k = memoryKeytar();
  const store = new KeytarSecretStore({ platform: 'linux', load: async () => k });
  await store.set('smb://praxis@nas/backup', 'geheim');
  assert.is(k.items.get(`${SERVICE}\0smb://praxis@nas/backup`), 'geheim');
  assert.is(await store.get('smb://praxis@nas/backup'), 'geheim');
  assert.equal(await store.ids(), ['smb://praxis@nas/backup']);
  assert.is(await store.delete('smb://praxis@nas/backup'), true);
  assert.is(await store.delete('smb://praxis@nas/backup'), false);
  assert.is(await store.get('smb://praxis@nas/backup'), null);
  assert.is(store.description, 'Secret Service');
  assert.is(new KeytarSecretStore({ platform: 'darwin', load: async () => k }).description, 'Keychain');
});

test('keytar store: loaded on first use only, once', async () => {
  let loads = 0;
  const store = new KeytarSecretStore({ platform: 'linux', load: async () => (loads++, memoryKeytar()) });
  assert.is(loads, 0);
  await store.get('a');
  await store.ids();
  assert.is(loads, 1);
});

test('keytar store: no D-Bus / failing to load → error.secretStoreUnavailable with the reason and the fix, never the password', async () => {
  const noBus: KeytarModule = {
    ...memoryKeytar(),
    setPassword: async (_s, _a, p) => { throw new Error(`Cannot autolaunch D-Bus without X11 $DISPLAY (${p})`); },
    getPassword: async () => { throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY'); },
  };
  const store = new KeytarSecretStore({ platform: 'linux', load: async () => noBus });
  const set = await failure(store.set('smb://praxis@nas/backup', 'Top-Secret-1'));
  assert.is(set.message_.key, 'error.secretStoreUnavailable');
  assert.is(set.exitCode, 1);
  const text = render('de', set.message_);
  assert.match(text, 'Der Schlüsselbund (Secret Service) ist nicht erreichbar: Cannot autolaunch D-Bus');
  assert.match(text, 'dbus-run-session');
  assert.not.match(text, 'Top-Secret-1');
  assert.not.match(text, 'PRAXIS_BACKUP_KEYRING', 'the run hint belongs to reads only');
  const get = render('de', (await failure(store.get('postgres://p@h:5432/db'))).message_);
  assert.match(get, 'Gebraucht wurde das Passwort für postgres://p@h:5432/db');
  assert.match(get, 'PRAXIS_BACKUP_KEYRING=off');

  const mac = new KeytarSecretStore({ platform: 'darwin', load: async () => { throw new Error('dlopen failed'); } });
  const macText = render('de', (await failure(mac.ids())).message_);
  assert.match(macText, 'Der macOS-Schlüsselbund ist nicht erreichbar: das Modul keytar ließ sich nicht laden (dlopen failed)');
  assert.match(macText, 'security unlock-keychain');
});

test('keytar store: "nothing found" in a locked keyring is reported as locked; unlocked or unknown stays null', async () => {
  const k = memoryKeytar();
  let locked: boolean | null = true;
  const store = new KeytarSecretStore({ platform: 'linux', load: async () => k, isLocked: async () => locked });
  const e = await failure(store.get('smb://praxis@nas/backup'));
  assert.match(render('de', e.message_), 'der Schlüsselbund ist gesperrt');
  assert.match(render('de', (await failure(store.ids())).message_), 'gesperrt');
  locked = false;
  assert.is(await store.get('smb://praxis@nas/backup'), null);
  locked = null;
  assert.is(await store.get('smb://praxis@nas/backup'), null);
  // A found password is returned without asking.
  locked = true;
  await k.setPassword(SERVICE, 'x', 'y');
  assert.is(await store.get('x'), 'y');
});

test('keytar store: a call that hangs (a dialog nobody sees) fails after the timeout', async () => {
  const hanging: KeytarModule = { ...memoryKeytar(), getPassword: () => new Promise(() => {}) };
  const store = new KeytarSecretStore({ platform: 'darwin', load: async () => hanging, timeoutMs: 50 });
  // The call never answers: coming back at all, with the timeout's words, is the timeout (no
  // stopwatch, which a loaded machine could overrun).
  const e = await failure(store.get('smb://praxis@nas/backup'));
  assert.match(render('de', e.message_), 'keine Antwort nach 0 s');
});

test('chain: the environment answers first; the keyring is asked only for what the environment lacks', async () => {
  let asked = 0;
  const k = memoryKeytar();
  await k.setPassword(SERVICE, 'postgres://p@h:5432/db', 'from-keyring');
  const keyring = new KeytarSecretStore({ platform: 'linux', load: async () => (asked++, k) });
  const env = new EnvSecretStore({ PRAXIS_BACKUP_PASSWORD_DB: 'from-env' }, new Map([['postgres://p@h:5432/db', 'PRAXIS_BACKUP_PASSWORD_DB']]));
  const chain = new ChainSecretStore([env, keyring]);
  assert.is(await chain.get('postgres://p@h:5432/db'), 'from-env');
  assert.is(asked, 0, 'keytar loaded although the environment had the answer');
  const noEnv = new ChainSecretStore([new EnvSecretStore({}, new Map()), keyring]);
  assert.is(await noEnv.get('postgres://p@h:5432/db'), 'from-keyring');
});

// ---- Secret Service lock probe -------------------------------------------------------------

test('lock probe: dbus-send argv, and its reply read (recorded from gnome-keyring 42)', async () => {
  assert.equal(displayArgv(planDefaultCollectionLocked()), [
    'dbus-send', '--session', '--print-reply', '--reply-timeout=10000', '--dest=org.freedesktop.secrets',
    '/org/freedesktop/secrets/aliases/default', 'org.freedesktop.DBus.Properties.Get',
    'string:org.freedesktop.Secret.Collection', 'string:Locked',
  ]);
  const reply = (b: string) => ['method return time=1795542858.478988 sender=:1.1 -> destination=:1.3 serial=6 reply_serial=2', `   variant       boolean ${b}`];
  assert.is(parseLockedReply(reply('true')), true);
  assert.is(parseLockedReply(reply('false')), false);
  assert.is(parseLockedReply([]), null);
  assert.is(await defaultCollectionLocked(async () => ok(reply('true'))), true);
  // "Object does not exist at path …/collection/login" (no keyring yet), or no dbus-send: cannot tell.
  const fail = async (): Promise<RunResult> => {
    throw new CommandError('dbus-send', [], 1, undefined, ['Error org.freedesktop.DBus.Error.UnknownMethod: Object does not exist at path “/org/freedesktop/secrets/collection/login”'], [], 'exit');
  };
  assert.is(await defaultCollectionLocked(fail), null);
});

// ---- smbclient -----------------------------------------------------------------------------

const login: ShareLogin = { id: 'smb://praxis@nas.local:4455/Praxis%20Daten', host: 'nas.local', hostPort: 'nas.local:4455', port: 4455, share: 'Praxis Daten', user: 'praxis', password: 'Pw "mit" Leer zeichen' };

test('smbclient: exact argv, the password only in the environment (PASSWD) and in secrets', () => {
  const plan = planSmbclientList('/usr/bin/smbclient', login);
  assert.equal([plan.file, ...plan.args], ['/usr/bin/smbclient', '//nas.local/Praxis Daten', '-p', '4455', '-m', 'SMB3', '-U', 'praxis', '-c', 'ls']);
  assert.equal(plan.env, { PASSWD: login.password });
  assert.equal(plan.secrets, [login.password]);
  assert.not.ok([plan.file, ...plan.args].some((a) => a.includes('Pw')), 'password in argv');
  assert.not.ok(planSmbclientList('smbclient', { ...login, port: null }).args.includes('-p'));
});

test('smbclient: failures as recorded from smbd 4.17 map to their own messages', () => {
  const err = (lines: string[], reason: CommandError['reason'] = 'exit') => new CommandError('smbclient', [], 1, undefined, lines, [], reason);
  const key = (lines: string[], reason?: CommandError['reason']) => mapSmbclientFailure(err(lines, reason), login).message_;
  const wrong = key(['session setup failed: NT_STATUS_LOGON_FAILURE']);
  assert.is(wrong.key, 'credentials.test.wrongPassword');
  assert.is(render('de', wrong), 'Anmeldung als „praxis“ an //nas.local:4455/Praxis Daten fehlgeschlagen: Benutzername oder Passwort falsch (NT_STATUS_LOGON_FAILURE). Das richtige Passwort speichern mit: praxis-backup credentials set smb://praxis@nas.local:4455/Praxis%20Daten');
  assert.is(key(['tree connect failed: NT_STATUS_BAD_NETWORK_NAME']).key, 'credentials.test.shareMissing');
  assert.is(key(['tree connect failed: NT_STATUS_ACCESS_DENIED']).key, 'credentials.test.shareDenied');
  assert.is(key(['do_connect: Connection to 127.0.0.1 failed (Error NT_STATUS_CONNECTION_REFUSED)']).key, 'error.smbUnreachable');
  assert.is(key(['do_connect: Connection to nas.invalid failed (Error NT_STATUS_UNSUCCESSFUL)']).key, 'error.smbUnreachable');
  assert.is(key([], 'timeout').key, 'error.smbUnreachable');
  assert.is(key(['session setup failed: NT_STATUS_ACCOUNT_DISABLED']).key, 'credentials.test.smbFailed');
});

test('smbclient tester: a "%" in the user is refused before anything runs; a missing smbclient is error.toolMissing', async () => {
  let ran = 0;
  const tester = new SmbclientLoginTester(async () => (ran++, ok()), { PATH: '/nonexistent' }, '/usr/bin/smbclient');
  assert.is((await failure(tester.test({ ...login, user: 'pra%xis' }))).message_.key, 'credentials.test.badSmbUser');
  assert.is(ran, 0);
  await tester.test(login);
  assert.is(ran, 1);
  const missing = await failure(new SmbclientLoginTester(async () => ok(), { PATH: '/nonexistent' }, undefined, []).test(login));
  assert.is(missing.message_.key, 'error.toolMissing');
  assert.match(render('de', missing.message_), 'apt install smbclient');
});

// ---- macOS: mount and unmount --------------------------------------------------------------

test('macOS login test: mount_smbfs with the encoded password (redacted), then diskutil unmount, folder removed', async () => {
  const base = await mkdtemp(join(tmpdir(), 'praxis-mounttest-'));
  try {
    const plans: CommandPlan[] = [];
    const table: MountEntry[] = [];
    const run = async (plan: CommandPlan): Promise<RunResult> => {
      plans.push(plan);
      if (plan.file === '/sbin/mount_smbfs') table.push({ source: '//praxis@nas.local/Praxis%20Daten', mountPoint: plan.args.at(-1)!, fsType: 'smbfs' });
      if (plan.file === '/usr/sbin/diskutil') table.pop();
      return ok();
    };
    const shares = new SmbShares({ platform: 'darwin', run, mountTable: async () => [...table] });
    await new MountLoginTester(shares, base).test({ ...login, hostPort: 'nas.local', port: null, password: 'p@ss wort' });
    assert.is(plans.length, 2);
    const mountPoint = plans[0]!.args.at(-1)!;
    assert.ok(mountPoint.startsWith(join(base, 'credentials-test-')));
    assert.equal(displayArgv(plans[0]!), ['/sbin/mount_smbfs', '-N', '-o', 'nobrowse', '//praxis:***@nas.local/Praxis%20Daten', mountPoint]);
    assert.equal([plans[1]!.file, ...plans[1]!.args], ['/usr/sbin/diskutil', 'unmount', mountPoint]);
    assert.equal(await readdir(base), [], 'the mount point folder is left behind');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('macOS login test: mount_smbfs exit 77 (server rejected the connection) → the same "wrong password" message as on Linux', async () => {
  const base = await mkdtemp(join(tmpdir(), 'praxis-mounttest-'));
  try {
    const run = async (plan: CommandPlan): Promise<RunResult> => {
      throw new CommandError(plan.label, displayArgv(plan), 77, undefined, ['mount_smbfs: server rejected the connection: Authentication error'], [], 'exit');
    };
    const shares = new SmbShares({ platform: 'darwin', run, mountTable: async () => [] });
    const e = await failure(new MountLoginTester(shares, base).test({ ...login, hostPort: 'nas.local', port: null }));
    assert.is(e.message_.key, 'credentials.test.wrongPassword');
    assert.match(render('de', e.message_), 'Benutzername oder Passwort falsch');
    assert.equal(await readdir(base), []);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test.run();

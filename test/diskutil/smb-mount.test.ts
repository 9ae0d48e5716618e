// SMB mounting: exact argv, percent-encoding, error mapping and — the point — the password never
// leaving the process runner in clear. mount_smbfs (macOS) and mount.cifs (no cifs in this kernel)
// cannot run here, so the plans run through the REAL runner against stand-in executables written
// by this test: shell scripts that record their argv, print it to stderr the way mount_smbfs echoes
// its URL, and exit like the real tools (77/68/64; 32 with mount.cifs's recorded messages). That is
// a stand-in for the tool, not for the runner: it proves redaction on real child-process output.
// Linux unmounting runs for real against a tmpfs (as root).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cifsCredentials,
  isSameShare,
  parseMacMountOutput,
  parseMountinfo,
  parseSmbUrl,
  planLinuxCifsMount,
  planMacSmbMount,
  smbCredentialId,
  SmbShares,
  type MountEntry,
} from '../../src/diskutil/smb-mount';
import type { Runner } from '../../src/diskutil/diskutil-volumes';
import { render } from '../../src/i18n';
import { CommandError, displayArgv, run } from '../../src/process/runner';
import { PraxisError } from '../../src/core/errors';
import { EnvSecretStore } from '../../src/credentials/credentials';
import type { Shares } from '../../src/core/shares';
import { makeTempDir, runCleanups, registerCleanup } from '../helpers/temp';
import { isMounted, mountTmpfsAt, unmountPath } from '../helpers/tmpfs';

const test = suite('SMB shares');
test.after(runCleanups);

const PW = 'p@ss:w/rd %?#;&=+ä"\'\\';
// Written out by hand (not computed with encodeURIComponent) so a wrong encoding fails the test.
const PW_ENC = 'p%40ss%3Aw%2Frd%20%25%3F%23%3B%26%3D%2B%C3%A4%22\'%5C';
const URL_ = 'smb://nas.local/Praxis%20Daten/backup/tomedo';
const USER = 'praxis.admin';
const ID = 'smb://praxis.admin@nas.local/Praxis%20Daten';

const isRoot = process.getuid?.() === 0;

/** The real runner, with every line, tail, error text and argv it hands out collected in `seen`. */
function spyRunner() {
  const seen: string[] = [];
  const spy: Runner = async (plan, opts = {}) => {
    try {
      const r = await run(plan, {
        ...opts,
        onStdoutLine: (l) => (seen.push(l), opts.onStdoutLine?.(l)),
        onStderrLine: (l) => (seen.push(l), opts.onStderrLine?.(l)),
      });
      seen.push(...r.stdoutTail, ...r.stderrTail);
      return r;
    } catch (e) {
      if (e instanceof CommandError) seen.push(e.message, ...e.argv, ...e.stderrTail, ...e.stdoutTail);
      throw e;
    }
  };
  return { spy, seen };
}

async function rejects(p: Promise<unknown>): Promise<PraxisError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PraxisError) return e;
    throw new Error(`expected a PraxisError, got ${String(e)}`);
  }
  throw new Error('expected a PraxisError, the call resolved');
}

/** Everything an admin or a log could ever see of an error. */
function everythingOf(e: PraxisError): string {
  return [e.message, JSON.stringify(e.message_), render('de', e.message_), render('en', e.message_), ...e.toolOutput].join('\n');
}

function assertNoPassword(texts: string[], where: string) {
  for (const s of texts) {
    assert.not.ok(s.includes(PW), `${where}: raw password in ${JSON.stringify(s)}`);
    assert.not.ok(s.includes(PW_ENC), `${where}: encoded password in ${JSON.stringify(s)}`);
    assert.not.ok(s.includes('p%40ss'), `${where}: part of the encoded password in ${JSON.stringify(s)}`);
  }
}

// Stand-in for /sbin/mount_smbfs. The messages are mount_smbfs's own (DISKUTIL-MESSAGES.md,
// "mount_smbfs" section): it echoes the URL — with the password — in "mount error:" lines.
const MOUNT_SMBFS_STANDIN = `#!/bin/sh
dir=$(dirname "$0")
printf '%s\\n' "$@" > "$dir/argv"
echo "called as: $*" >&2
case $(cat "$dir/mode") in
  auth) echo "mount_smbfs: server rejected the connection: Authentication error" >&2; exit 77;;
  unreachable) echo "mount_smbfs: server connection failed: No route to host" >&2; exit 68;;
  exists) echo "mount_smbfs: mount error: $4: File exists" >&2; exit 64;;
  denied) echo "mount_smbfs: mount error: $5: Operation not permitted" >&2; exit 64;;
  ok) exit 0;;
esac
exit 99
`;

// Stand-in for /bin/mount (-t cifs). It checks the credentials file while it exists, keeps a copy
// for the test, and answers with mount.cifs's recorded messages (sources in smb-mount.ts).
const MOUNT_CIFS_STANDIN = `#!/bin/sh
dir=$(dirname "$0")
printf '%s\\n' "$@" > "$dir/argv"
cred=$(printf '%s' "$6" | sed -n 's/^credentials=\\([^,]*\\),.*/\\1/p')
stat -c '%a' "$cred" > "$dir/cred-mode"
stat -c '%a' "$(dirname "$cred")" > "$dir/cred-dir-mode"
cp "$cred" "$dir/cred-copy"
echo "credentials file $cred has mode $(stat -c %a "$cred")"
case $(cat "$dir/mode") in
  auth) echo "mount error(13): Permission denied" >&2; echo "Refer to the mount.cifs(8) manual page (e.g. man mount.cifs)" >&2; exit 32;;
  noshare) echo "mount error(2): No such file or directory" >&2; echo "Refer to the mount.cifs(8) manual page (e.g. man mount.cifs)" >&2; exit 32;;
  down) echo "mount error(112): Host is down" >&2; echo "Refer to the mount.cifs(8) manual page (e.g. man mount.cifs)" >&2; exit 32;;
  resolve) echo "mount error: could not resolve address for MY-SERVER: Unknown error" >&2; exit 1;;
  ok) exit 0;;
esac
exit 99
`;

async function standIn(script: string): Promise<{ dir: string; exe: string; mode(m: string): Promise<void>; argv(): string[] }> {
  const dir = await makeTempDir('praxis-smb-standin');
  const exe = join(dir, 'tool');
  await writeFile(exe, script);
  await chmod(exe, 0o755);
  return {
    dir,
    exe,
    mode: (m) => writeFile(join(dir, 'mode'), m),
    argv: () => (existsSync(join(dir, 'argv')) ? readFileSync(join(dir, 'argv'), 'utf8').split('\n').slice(0, -1) : []),
  };
}

// The mirror engine's port, checked by the compiler: SmbShares is what it will be handed.
const _contract: Shares = new SmbShares({ platform: 'linux', run });
void _contract;

// ---- URLs, ids, plans ----------------------------------------------------------------------------

test('parseSmbUrl: host, decoded share, sub-path; user in the URL; bad URLs are mirror.smbUrl', () => {
  assert.equal(parseSmbUrl('smb://nas.local/backup'), { user: null, host: 'nas.local', hostname: 'nas.local', port: null, share: 'backup', subPath: '' });
  assert.equal(parseSmbUrl('smb://praxis@nas.local/Praxis%20Daten/backup/tomedo/'), {
    user: 'praxis',
    host: 'nas.local',
    hostname: 'nas.local',
    port: null,
    share: 'Praxis Daten',
    subPath: 'backup/tomedo',
  });
  // A port (a test server, an NAS behind a port forward); `host` keeps it, `hostname` does not.
  assert.equal(parseSmbUrl('smb://127.0.0.1:4455/backup'), { user: null, host: '127.0.0.1:4455', hostname: '127.0.0.1', port: 4455, share: 'backup', subPath: '' });
  assert.equal(parseSmbUrl('smb://[::1]:4455/backup').hostname, '::1');
  for (const bad of ['http://nas/backup', 'smb://nas.local', 'smb://nas.local/', 'smb:/nas/backup', 'smb://nas:0/b', 'smb://nas:70000/b', 'smb://nas:/b']) {
    let key: string | undefined;
    try {
      parseSmbUrl(bad);
    } catch (e) {
      key = (e as PraxisError).message_?.key;
    }
    assert.is(key, 'mirror.smbUrl', bad);
  }
});

test('credential id smb://<user>@<host>/<share>; the env store finds a mirror password under it', async () => {
  assert.is(smbCredentialId(URL_, USER), ID);
  assert.is(smbCredentialId('smb://nas.local/backup', 'praxis'), 'smb://praxis@nas.local/backup');
  assert.is(smbCredentialId('smb://other@nas.local/backup/x', 'praxis'), 'smb://praxis@nas.local/backup');
  const store = EnvSecretStore.forComponents({ PRAXIS_BACKUP_PASSWORD_NAS: 'geheim' }, [], [
    { name: 'nas', type: 'smb', url: 'smb://nas.local/backup/praxis', user: 'praxis', mode: 'all', required: false },
  ]);
  assert.is(await store.get('smb://praxis@nas.local/backup'), 'geheim');
  assert.is(await store.get('smb://anna@nas.local/backup'), null);
});

test('macOS plan: exact argv, percent-encoded password, both forms in secrets, redacted displayArgv', () => {
  const plan = planMacSmbMount({ host: 'nas.local', share: 'Praxis Daten', user: 'praxis admin@x', password: PW }, '/Users/Shared/mnt/nas');
  assert.equal([plan.file, ...plan.args], [
    '/sbin/mount_smbfs',
    '-N',
    '-o',
    'nobrowse',
    `//praxis%20admin%40x:${PW_ENC}@nas.local/Praxis%20Daten`,
    '/Users/Shared/mnt/nas',
  ]);
  assert.equal(plan.secrets, [PW_ENC, PW]);
  const shown = displayArgv(plan);
  assertNoPassword(shown, 'displayArgv');
  assert.is(shown[4], '//praxis%20admin%40x:***@nas.local/Praxis%20Daten');
  // Without a password: no ":" at all, nothing to redact.
  const guest = planMacSmbMount({ host: 'nas.local', share: 'backup', user: 'praxis', password: null }, '/mnt');
  assert.is(guest.args[3], '//praxis@nas.local/backup');
  assert.equal(guest.secrets, []);
});

test('Linux plan: exact argv, credentials file option, never the password', () => {
  const plan = planLinuxCifsMount({ host: 'nas.local', share: 'Praxis Daten', password: PW }, '/mnt/nas', '/tmp/praxis-smb-x/credentials', 1000, 1001);
  assert.equal([plan.file, ...plan.args], [
    '/bin/mount',
    '-t',
    'cifs',
    '//nas.local/Praxis Daten',
    '/mnt/nas',
    '-o',
    'credentials=/tmp/praxis-smb-x/credentials,uid=1000,gid=1001,iocharset=utf8,vers=3.0',
  ]);
  assertNoPassword([plan.file, ...plan.args], 'linux argv');
  assert.is(cifsCredentials('praxis', PW), `username=praxis\npassword=${PW}\n`);
  assert.throws(() => cifsCredentials('praxis', 'a\nb'), /line break/);
});

// ---- macOS: the real runner against a mount_smbfs stand-in --------------------------------------

async function macSetup(table: () => Promise<MountEntry[]> = async () => []) {
  const tool = await standIn(MOUNT_SMBFS_STANDIN);
  const { spy, seen } = spyRunner();
  const mp = join(tool.dir, 'mnt');
  await mkdir(mp);
  const shares = new SmbShares({ platform: 'darwin', run: spy, mountTable: table, tools: { mountSmbfs: tool.exe }, sleep: async () => {} });
  return { tool, seen, mp, shares };
}

test('macOS ok: the stand-in got the encoded password; no line the runner handed out shows it', async () => {
  const s = await macSetup();
  await s.tool.mode('ok');
  await s.shares.mount(URL_, USER, PW, s.mp);
  assert.equal(s.tool.argv(), ['-N', '-o', 'nobrowse', `//praxis.admin:${PW_ENC}@nas.local/Praxis%20Daten`, s.mp]);
  assert.ok(s.seen.some((l) => l.startsWith('called as: -N -o nobrowse //praxis.admin:***@nas.local/Praxis%20Daten')), s.seen.join('\n'));
  assertNoPassword(s.seen, 'runner lines');
});

test('macOS exit 77 → error.smbAuth telling to run `credentials set <id>`; password nowhere', async () => {
  const s = await macSetup();
  await s.tool.mode('auth');
  const e = await rejects(s.shares.mount(URL_, USER, PW, s.mp));
  assert.is(e.message_.key, 'error.smbAuth');
  assert.match(render('de', e.message_), `praxis-backup credentials set ${ID}`);
  assert.match(render('de', e.message_), 'Passwort');
  assert.match(render('en', e.message_), `praxis-backup credentials set ${ID}`);
  assert.ok(s.tool.argv()[3]!.includes(PW_ENC)); // the password really went through
  assertNoPassword([...s.seen, everythingOf(e)], 'auth');
});

test('macOS exit 68 → error.smbUnreachable: network, NAS switched on, share name', async () => {
  const s = await macSetup();
  await s.tool.mode('unreachable');
  const e = await rejects(s.shares.mount(URL_, USER, PW, s.mp));
  assert.is(e.message_.key, 'error.smbUnreachable');
  const text = render('de', e.message_);
  assert.match(text, 'Netzwerk');
  assert.match(text, 'NAS „nas.local“ eingeschaltet');
  assert.match(text, '„Praxis Daten“');
  assert.match(text, 'No route to host');
  assertNoPassword([...s.seen, everythingOf(e)], 'unreachable');
});

test('macOS exit 64 "File exists" and the share is mounted right there → done', async () => {
  let reads = 0;
  // First look: nothing there (so mount_smbfs runs); afterwards the share is there (mounted meanwhile).
  const s = await macSetup(async () => (reads++ === 0 ? [] : [{ source: '//praxis.admin@nas.local/Praxis%20Daten', mountPoint: s.mp, fsType: 'smbfs' }]));
  await s.tool.mode('exists');
  await s.shares.mount(URL_, USER, PW, s.mp);
  assert.is(reads, 2);
  assert.is(s.tool.argv().length, 5);
  assertNoPassword(s.seen, 'exists/here');
});

test('macOS exit 64 "File exists" with the share mounted elsewhere (Finder) → smbMountFailed naming where', async () => {
  const s = await macSetup(async () => [{ source: '//praxis.admin@nas.local/Praxis%20Daten', mountPoint: '/Volumes/Praxis Daten', fsType: 'smbfs' }]);
  await s.tool.mode('exists');
  const e = await rejects(s.shares.mount(URL_, USER, PW, s.mp));
  assert.is(e.message_.key, 'error.smbMountFailed');
  assert.match(render('de', e.message_), 'bereits unter /Volumes/Praxis Daten eingebunden');
  assertNoPassword([...s.seen, everythingOf(e)], 'exists/elsewhere');
});

test('macOS exit 64 "File exists", share not found anywhere → smbMountFailed with the redacted message', async () => {
  const s = await macSetup();
  await s.tool.mode('exists');
  const e = await rejects(s.shares.mount(URL_, USER, PW, s.mp));
  assert.is(e.message_.key, 'error.smbMountFailed');
  const text = render('de', e.message_);
  assert.match(text, 'mount_smbfs: mount error: //praxis.admin:***@nas.local/Praxis%20Daten: File exists');
  assertNoPassword([...s.seen, everythingOf(e)], 'exists/unknown');
});

test('macOS other exit (64 without "File exists") → smbMountFailed with mount_smbfs’s words', async () => {
  const s = await macSetup();
  await s.tool.mode('denied');
  const e = await rejects(s.shares.mount(URL_, USER, PW, s.mp));
  assert.is(e.message_.key, 'error.smbMountFailed');
  assert.match(render('de', e.message_), 'Operation not permitted');
  assertNoPassword([...s.seen, everythingOf(e)], 'denied');
});

test('already mounted before we start: no mount_smbfs call; something else there: refused', async () => {
  const here = await macSetup(async () => [{ source: '//other@NAS.LOCAL/praxis%20daten', mountPoint: `${here.mp}/`, fsType: 'smbfs' }]);
  await here.tool.mode('ok');
  await here.shares.mount(URL_, USER, PW, here.mp);
  assert.equal(here.tool.argv(), []);
  // Asked through a symlink (macOS: /tmp → /private/tmp): the table holds the resolved path.
  const link = join(here.tool.dir, 'link');
  await symlink(here.mp, link);
  await here.shares.mount(URL_, USER, PW, link);
  assert.equal(here.tool.argv(), []);

  const other = await macSetup(async () => [{ source: '/dev/disk4s1', mountPoint: other.mp, fsType: 'hfs' }]);
  await other.tool.mode('ok');
  const e = await rejects(other.shares.mount(URL_, USER, PW, other.mp));
  assert.is(e.message_.key, 'error.smbMountFailed');
  assert.match(render('de', e.message_), 'dort ist bereits /dev/disk4s1 (hfs) eingebunden');
  assert.equal(other.tool.argv(), []);
});

// ---- Linux: the real runner against a mount stand-in ---------------------------------------------

async function linuxSetup() {
  const tool = await standIn(MOUNT_CIFS_STANDIN);
  const { spy, seen } = spyRunner();
  const mp = join(tool.dir, 'mnt');
  await mkdir(mp);
  const credBase = join(tool.dir, 'tmp');
  await mkdir(credBase);
  const shares = new SmbShares({ platform: 'linux', run: spy, mountTable: async () => [], tools: { mount: tool.exe }, uid: 1000, gid: 1001, tempDir: credBase });
  return { tool, seen, mp, shares, credBase };
}

test('Linux ok: argv without the password; credentials file 0600 in a 0700 dir during the call, gone after', async () => {
  const s = await linuxSetup();
  await s.tool.mode('ok');
  await s.shares.mount(URL_, USER, PW, s.mp);
  const argv = s.tool.argv();
  const cred = /^credentials=([^,]+),/.exec(argv[5] ?? '')?.[1];
  assert.ok(cred, argv.join(' '));
  assert.equal(argv, ['-t', 'cifs', '//nas.local/Praxis Daten', s.mp, '-o', `credentials=${cred},uid=1000,gid=1001,iocharset=utf8,vers=3.0`]);
  assert.match(cred!, new RegExp(`^${s.credBase}/praxis-smb-[^/]+/credentials$`));
  assert.is(readFileSync(join(s.tool.dir, 'cred-mode'), 'utf8').trim(), '600');
  assert.is(readFileSync(join(s.tool.dir, 'cred-dir-mode'), 'utf8').trim(), '700');
  assert.is(readFileSync(join(s.tool.dir, 'cred-copy'), 'utf8'), `username=praxis.admin\npassword=${PW}\n`);
  assert.not.ok(existsSync(cred!), 'credentials file left behind');
  assert.not.ok(existsSync(join(cred!, '..')), 'credentials dir left behind');
  assertNoPassword([...argv, ...s.seen], 'linux ok');
});

test('Linux mount.cifs errors: 13 → smbAuth, 2 / 112 / unresolvable → smbUnreachable; file gone each time', async () => {
  const cases: [string, string, string][] = [
    ['auth', 'error.smbAuth', `praxis-backup credentials set ${ID}`],
    ['noshare', 'error.smbUnreachable', 'mount error(2): No such file or directory'],
    ['down', 'error.smbUnreachable', 'mount error(112): Host is down'],
    ['resolve', 'error.smbUnreachable', 'could not resolve address for MY-SERVER'],
  ];
  for (const [mode, key, text] of cases) {
    const s = await linuxSetup();
    await s.tool.mode(mode);
    const e = await rejects(s.shares.mount(URL_, USER, PW, s.mp));
    assert.is(e.message_.key, key, mode);
    assert.match(render('de', e.message_), text);
    const cred = /^credentials=([^,]+),/.exec(s.tool.argv()[5] ?? '')?.[1];
    assert.ok(cred && !existsSync(cred), `${mode}: credentials file left behind`);
    assertNoPassword([...s.seen, everythingOf(e)], mode);
  }
});

test('Linux for real: this kernel has no cifs → the real mount’s message maps to error.smbCifsMissing', async () => {
  const filesystems = readFileSync('/proc/filesystems', 'utf8');
  if (!isRoot || /\bcifs\b/.test(filesystems) || existsSync('/sbin/mount.cifs') || existsSync('/usr/sbin/mount.cifs')) {
    console.log('  (skipped: needs root and a machine without cifs support)');
    return;
  }
  const dir = await makeTempDir('praxis-smb-real');
  const mp = join(dir, 'mnt');
  await mkdir(mp);
  const { spy, seen } = spyRunner();
  const shares = new SmbShares({ platform: 'linux', run: spy, tempDir: dir });
  const e = await rejects(shares.mount('smb://127.0.0.1/backup', 'praxis', PW, mp));
  // util-linux 2.38.1 here: "mount: <dir>: unknown filesystem type 'cifs'." (exit 32)
  assert.is(e.message_.key, 'error.smbCifsMissing');
  assert.match(render('de', e.message_), 'cifs-utils');
  assert.ok(seen.some((l) => l.includes("unknown filesystem type 'cifs'")), seen.join('\n'));
  assert.not.ok(isMounted(mp));
  assert.equal((await import('node:fs')).readdirSync(dir).sort(), ['mnt']); // no credentials dir left
  assertNoPassword([...seen, everythingOf(e)], 'real mount');
});

// ---- mount tables --------------------------------------------------------------------------------

test('parseMountinfo on this machine’s real /proc/self/mountinfo; octal escapes decoded (real tmpfs with a space)', async () => {
  const entries = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  assert.ok(entries.some((m) => m.mountPoint === '/'));
  assert.ok(entries.some((m) => m.mountPoint === '/proc' && m.fsType === 'proc'));
  if (!isRoot) return;
  const dir = await makeTempDir('praxis-smb-mi');
  const spaced = join(dir, 'Praxis Daten');
  await mkdir(spaced);
  await mountTmpfsAt(spaced, { sizeMiB: 1 });
  registerCleanup(() => unmountPath(spaced));
  const m = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8')).find((x) => x.mountPoint === spaced);
  assert.equal(m, { source: 'praxis-test', mountPoint: spaced, fsType: 'tmpfs' });
});

test('parseMacMountOutput: the line form FACTS §2 gives for `mount` (documented form, not a capture)', () => {
  assert.equal(parseMacMountOutput('//user@host/share on /Volumes/x (smbfs, …)'), [{ source: '//user@host/share', mountPoint: '/Volumes/x', fsType: 'smbfs' }]);
  assert.equal(parseMacMountOutput('no mount line here\n'), []);
});

test('isSameShare: any user, host and share case-insensitive, percent-decoded; nothing else', () => {
  assert.ok(isSameShare('//praxis.admin@nas.local/Praxis%20Daten', 'NAS.local', 'praxis daten'));
  assert.ok(isSameShare('//nas.local/backup', 'nas.local', 'backup'));
  assert.ok(isSameShare('//nas.local/backup/', 'nas.local', 'backup'));
  assert.not.ok(isSameShare('//nas.local/backup2', 'nas.local', 'backup'));
  assert.not.ok(isSameShare('//other/backup', 'nas.local', 'backup'));
  assert.not.ok(isSameShare('/dev/disk4s1', 'nas.local', 'backup'));
});

// ---- unmount -------------------------------------------------------------------------------------

test('macOS unmount: `diskutil unmount <mount point>`; nothing mounted there: no call', async () => {
  const calls: string[][] = [];
  const fake: Runner = async (plan) => {
    calls.push([plan.file, ...plan.args]);
    // The recorded success line of a diskutil unmount (DISKUTIL-MESSAGES.md); only logged.
    return run({ ...plan, file: '/bin/sh', args: ['-c', 'echo "Volume Untitled on disk2s2 unmounted"'] });
  };
  const table: MountEntry[] = [{ source: '//praxis.admin@nas.local/Praxis%20Daten', mountPoint: '/Users/Shared/mnt/nas', fsType: 'smbfs' }];
  const shares = new SmbShares({ platform: 'darwin', run: fake, mountTable: async () => table });
  await shares.unmount('/Users/Shared/mnt/nas');
  assert.equal(calls, [['/usr/sbin/diskutil', 'unmount', '/Users/Shared/mnt/nas']]);
  await shares.unmount('/Users/Shared/mnt/other');
  assert.is(calls.length, 1);
});

/** A process whose working directory is inside `dir`: the mount is busy while it lives. */
function holdBusy(dir: string) {
  const child = spawn('sleep', ['300'], { cwd: dir, stdio: 'ignore' });
  registerCleanup(() => void child.kill('SIGKILL'));
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  return { kill: async () => (child.kill('SIGKILL'), await gone) };
}

test('Linux unmount for real (tmpfs, busy): one retry after the pause; still busy → smbUnmountFailed', async () => {
  if (!isRoot) {
    console.log('  (skipped: needs root to mount a tmpfs)');
    return;
  }
  const dir = await makeTempDir('praxis-smb-umount');
  const mp = join(dir, 'mnt');
  await mkdir(mp);
  await mountTmpfsAt(mp, { sizeMiB: 1 });
  registerCleanup(() => unmountPath(mp));

  // Busy at first; the pause lets the holder go: the retry unmounts.
  let holder = holdBusy(mp);
  const sleeps: number[] = [];
  const shares = new SmbShares({
    platform: 'linux',
    run,
    retryDelayMs: 1234,
    sleep: async (ms) => {
      sleeps.push(ms);
      await holder.kill();
    },
  });
  await shares.unmount(mp);
  assert.equal(sleeps, [1234]);
  assert.not.ok(isMounted(mp));
  await shares.unmount(mp); // not mounted any more: nothing to do
  assert.equal(sleeps, [1234]);

  // Busy for good: one retry, then the error.
  await mountTmpfsAt(mp, { sizeMiB: 1 });
  holder = holdBusy(mp);
  const stubborn = new SmbShares({ platform: 'linux', run, sleep: async (ms) => void sleeps.push(ms) });
  const e = await rejects(stubborn.unmount(mp));
  assert.equal(sleeps, [1234, 5000]);
  assert.is(e.message_.key, 'error.smbUnmountFailed');
  assert.match(render('de', e.message_), `Das Netzlaufwerk unter ${mp} konnte nicht getrennt werden: es ist noch in Gebrauch, blockiert durch ein anderes Programm`);
  assert.ok(e.toolOutput.some((l) => l.includes('target is busy')), e.toolOutput.join('\n'));
  assert.ok(isMounted(mp));
  await holder.kill();
});

test.run();

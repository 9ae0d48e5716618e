// `praxis-backup offsite init` through the built CLI, against a real restic (Debian's 0.14): a local
// repository, a REST repository served append-only with a login (rclone serve restic) and an SFTP
// repository on a real sshd. The password lands in a real Secret Service (test keyring) and on the
// Notfallblatt, and nowhere else: not in any child's argv (sampled from /proc while the CLI runs),
// not in the output, not in the state folder.
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allText, CLI } from '../helpers/cli';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { startRestServer } from '../helpers/rest-server';
import { startSshd } from '../helpers/sshd';
import { runInPty } from '../helpers/pty';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('offsite init');

let root: string;
let kr: TestKeyring;
const GENERATED = /^[a-z0-9]{5}(-[a-z0-9]{5}){5}$/;

test.before(async () => {
  root = await makeTempDir('praxis-offsite-init-');
  kr = await startKeyring();
});
test.after(async () => {
  await kr?.stop();
  await runCleanups();
});

async function configWith(name: string, mirrors: Record<string, unknown>[]): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, 'src'), { recursive: true });
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify({ backupDir: join(dir, 'backups'), practiceName: 'Praxis Dr. Test', components: [{ name: 'files', type: 'folder', path: join(dir, 'src') }], mirrors }));
  return file;
}

const env = () => ({ ...kr.env, LANG: 'de_DE.UTF-8', PRAXIS_BACKUP_NOTIFY: 'none' });

/** The CLI without a terminal; `input` on its stdin, else stdin closed. */
function cli(args: string[], input?: string) {
  return execa(process.execPath, [CLI, ...args], { env: env(), extendEnv: false, reject: false, ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
}

/**
 * Every distinct argv of the processes started with this keyring's environment (the CLI and all its
 * children), sampled from /proc while `fn` runs: a secret on a command line would show there.
 */
async function argvsWhile<T>(fn: () => Promise<T>): Promise<{ result: T; argvs: Set<string> }> {
  const argvs = new Set<string>();
  const marker = `PRAXIS_TEST_KEYRING=${kr.dir}\0`;
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      for (const pid of readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        try {
          if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker)) continue;
          argvs.add(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
        } catch {
          /* gone meanwhile */
        }
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  try {
    return { result: await fn(), argvs };
  } finally {
    sampling = false;
    await loop;
  }
}

const restic = (repo: string, password: string, args: string[]) =>
  execFileSync('restic', args, { env: { PATH: process.env.PATH, HOME: root, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: password }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const output = (r: { stdout: unknown; stderr: unknown }) => `${String(r.stdout)}\n${String(r.stderr)}`;

test('a new repository with --yes: restic init, the password in the keyring and on the 0600 Notfallblatt (with the address), in no argv, output or state file', async () => {
  const repo = join(root, 'neu', 'repo');
  const config = await configWith('neu', [{ name: 'aussen', type: 'restic', repository: repo }]);
  const sheets = join(root, 'neu', 'sheets');
  await mkdir(sheets);
  const { result: r, argvs } = await argvsWhile(() => cli(['offsite', 'init', 'aussen', '--yes', '--out', sheets, '--config', config, '--json']));
  assert.is(r.exitCode, 0, output(r));
  const password = await kr.lookup('encryption://aussen');
  assert.ok(password && GENERATED.test(password), 'a generated password in the Secret Service');
  // The repository is real and opens with exactly that password.
  assert.ok(existsSync(join(repo, 'config')), 'restic init made the repository');
  assert.match(restic(repo, password!, ['cat', 'config']), /"version"/);
  const done = JSON.parse(String(r.stdout).trim().split('\n').at(-1)!);
  assert.equal([done.type, done.outcome, done.repository, done.credentialId], ['offsiteInit', 'created', repo, 'encryption://aussen']);
  assert.match(done.restic.version, /\b0\.\d+\.\d+/);
  assert.match(String(r.stderr), /restic: \/\S*restic \(Version restic 0\.\d+\.\d+/, 'restic\'s path and version are named');
  assert.match(String(r.stderr), /Tresor/, 'says the sheet holds the password and where to keep it');

  const sheet = readdirSync(sheets).find((n) => n.endsWith('.html'));
  assert.ok(sheet, 'the Notfallblatt is written');
  assert.is(statSync(join(sheets, sheet!)).mode & 0o777, 0o600);
  const sheetText = readFileSync(join(sheets, sheet!), 'utf8');
  assert.ok(sheetText.includes(repo), 'the sheet names the repository');
  for (const group of password!.split('-')) assert.ok(sheetText.includes(group), `the sheet holds the password (${group})`);
  assert.ok(String(r.stdout).includes(join(sheets, sheet!)), 'the output says where the sheet is');

  assert.ok([...argvs].some((a) => /restic .*\binit\b/.test(a)), `restic init was seen running: ${[...argvs].join(' | ')}`);
  for (const a of argvs) assert.not.ok(a.includes(password!), `password in argv: ${a}`);
  assert.not.ok(output(r).includes(password!), 'password not in the output');
  assert.not.ok(allText(join(kr.home, '.local', 'state')).includes(password!), 'password not in the state folder or the log');

  // Run again (a script run twice): the stored password opens it; nothing is asked or changed.
  const again = await cli(['offsite', 'init', 'aussen', '--yes', '--out', sheets, '--config', config]);
  assert.is(again.exitCode, 0, output(again));
  assert.match(String(again.stderr), /schon eingerichtet/);
  assert.is(await kr.lookup('encryption://aussen'), password);
  assert.is(readdirSync(sheets).filter((n) => n.endsWith('.html')).length, 1, 'no second sheet for a repository that was there');
});

test('no terminal and no --yes: exit 2 saying to add --yes; no repository, nothing stored', async () => {
  const repo = join(root, 'frage', 'repo');
  const config = await configWith('frage', [{ name: 'frage', type: 'restic', repository: repo }]);
  const r = await cli(['offsite', 'init', 'frage', '--config', config]);
  assert.is(r.exitCode, 2, output(r));
  assert.match(String(r.stderr), /--yes/);
  assert.not.ok(existsSync(repo), 'no repository created');
  assert.is(await kr.lookup('encryption://frage'), null);
});

test('on a terminal: "nein" creates nothing (exit 1), "ja" creates it; an existing one\'s password is typed hidden and stored', async () => {
  const repo = join(root, 'tty', 'repo');
  const config = await configWith('tty', [{ name: 'tty', type: 'restic', repository: repo }]);
  const sheets = join(root, 'tty', 'sheets');
  await mkdir(sheets);
  const command = `${process.execPath} ${CLI} offsite init tty --out ${sheets} --config ${config}`;
  const no = await runInPty(command, env(), [{ waitFor: '[ja/nein]', type: 'nein' }]);
  assert.is(no.code, 1, no.out);
  assert.match(no.out, /Nicht bestätigt/);
  assert.not.ok(existsSync(repo));
  assert.is(await kr.lookup('encryption://tty'), null);
  const yes = await runInPty(command, env(), [{ waitFor: '[ja/nein]', type: 'ja' }], 120_000);
  assert.is(yes.code, 0, yes.out);
  const password = await kr.lookup('encryption://tty');
  assert.ok(password && GENERATED.test(password));
  assert.match(restic(repo, password!, ['cat', 'config']), /"version"/);

  // The same repository from a second config name: it exists, so its password is asked for, hidden.
  const other = await configWith('tty2', [{ name: 'tty2', type: 'restic', repository: repo }]);
  const typed = await runInPty(`${process.execPath} ${CLI} offsite init tty2 --config ${other}`, env(), [{ waitFor: 'vom Notfallblatt', type: password!.toUpperCase().replace(/-/g, ' ') }], 120_000);
  assert.is(typed.code, 0, typed.out);
  assert.is(await kr.lookup('encryption://tty2'), password);
  assert.not.ok(typed.out.toLowerCase().includes(password!.split('-')[0]!), `echoed: ${typed.out}`);
});

test('no keyring: PRAXIS_BACKUP_KEYRING=off and a keyring that cannot be reached each exit 1 saying what to do; nothing created', async () => {
  const repo = join(root, 'ohne', 'repo');
  const config = await configWith('ohne', [{ name: 'ohne', type: 'restic', repository: repo }]);
  const args = [CLI, 'offsite', 'init', 'ohne', '--yes', '--config', config];
  const off = await execa(process.execPath, args, { env: { ...env(), PRAXIS_BACKUP_KEYRING: 'off' }, extendEnv: false, reject: false, stdin: 'ignore' });
  assert.is(off.exitCode, 1, output(off));
  assert.match(String(off.stderr), /PRAXIS_BACKUP_KEYRING=off ist gesetzt.*Es wurde nichts angelegt/);
  // A session bus that is not there (no desktop session): the Secret Service cannot be reached.
  const noBus = { ...env(), DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(root, 'ohne', 'no-bus')}` };
  const unreachable = await execa(process.execPath, args, { env: noBus, extendEnv: false, reject: false, stdin: 'ignore' });
  assert.is(unreachable.exitCode, 1, output(unreachable));
  assert.match(String(unreachable.stderr), /Schlüsselbund .* ist nicht erreichbar.*Abhilfe/);
  assert.not.ok(existsSync(repo), 'no repository whose password could not be kept');
});

test('an existing repository: a wrong password exits 1 (offsite.wrongPassword) and stores nothing; the right one (typed from the sheet, spaces and capitals) is proven and stored', async () => {
  const repo = join(root, 'alt', 'repo');
  const PASS = 'kbdre-mn7qx-4tcpa-wv98k-3hcsx-qq6ne';
  await mkdir(join(root, 'alt'), { recursive: true });
  restic(repo, PASS, ['init']);
  const config = await configWith('alt', [{ name: 'alt', type: 'restic', repository: repo }]);

  // Without the password (no terminal, no --passphrase-stdin): exit 2 naming --passphrase-stdin.
  const none = await cli(['offsite', 'init', 'alt', '--config', config]);
  assert.is(none.exitCode, 2, output(none));
  assert.match(String(none.stderr), /--passphrase-stdin/);

  const wrong = await cli(['offsite', 'init', 'alt', '--passphrase-stdin', '--config', config], 'aaaaa-bbbbb-ccccc-ddddd-eeeee-fffff\n');
  assert.is(wrong.exitCode, 1, output(wrong));
  assert.match(String(wrong.stderr), /Das Passwort des Repositorys „alt“ ist falsch/);
  assert.is(await kr.lookup('encryption://alt'), null, 'a wrong password is not stored');

  const typed = 'KBDRE MN7QX 4TCPA WV98K 3HCSX QQ6NE\n';
  const { result: right, argvs } = await argvsWhile(() => cli(['offsite', 'init', 'alt', '--existing', '--passphrase-stdin', '--config', config, '--json'], typed));
  assert.is(right.exitCode, 0, output(right));
  assert.is(await kr.lookup('encryption://alt'), PASS);
  assert.is(JSON.parse(String(right.stdout).trim().split('\n').at(-1)!).outcome, 'connected');
  assert.ok([...argvs].some((a) => /^\S*restic /.test(a)), 'restic was seen opening the repository');
  for (const a of argvs) assert.not.ok(a.includes(PASS) || a.includes('aaaaa-bbbbb'), `password in argv: ${a}`);
  assert.not.ok(output(right).includes(PASS));
  assert.is(restic(repo, PASS, ['snapshots', '--json']).trim(), '[]', 'connecting wrote nothing into the repository');

  // --existing where there is none: exit 1, nothing created.
  const missing = join(root, 'alt', 'gibts-nicht');
  const config2 = await configWith('alt2', [{ name: 'alt2', type: 'restic', repository: missing }]);
  const nothing = await cli(['offsite', 'init', 'alt2', '--existing', '--passphrase-stdin', '--config', config2], `${PASS}\n`);
  assert.is(nothing.exitCode, 1, output(nothing));
  assert.match(String(nothing.stderr), /--existing/);
  assert.not.ok(existsSync(missing));
  assert.is(await kr.lookup('encryption://alt2'), null);
});

test('an unknown mirror and a mirror that is not restic: exit 2 naming the restic mirrors', async () => {
  const config = await configWith('falsch', [
    { name: 'usb', type: 'path', path: join(root, 'falsch', 'usb') },
    { name: 'fern1', type: 'restic', repository: join(root, 'falsch', 'r1') },
  ]);
  const unknown = await cli(['offsite', 'init', 'gibtsnicht', '--yes', '--config', config]);
  assert.is(unknown.exitCode, 2, output(unknown));
  assert.match(String(unknown.stderr), /„gibtsnicht“\. Auslagerungen mit restic dort: fern1\./);
  const notRestic = await cli(['offsite', 'init', 'usb', '--yes', '--config', config]);
  assert.is(notRestic.exitCode, 2, output(notRestic));
  assert.match(String(notRestic.stderr), /„usb“ ist keine Auslagerung mit restic.*\(dort: fern1\)/);
  const usage = await cli(['offsite', 'create', 'fern1', '--config', config]);
  assert.is(usage.exitCode, 2);
  assert.not.ok(existsSync(join(root, 'falsch', 'r1')));
});

test('credentials set restic-env://NAME/VAR stores a backend key; a malformed one is refused before asking', async () => {
  const ok = await cli(['credentials', 'set', 'restic-env://s3fern/AWS_SECRET_ACCESS_KEY'], 'geheim-s3-key\n');
  assert.is(ok.exitCode, 0, output(ok));
  assert.is(await kr.lookup('restic-env://s3fern/AWS_SECRET_ACCESS_KEY'), 'geheim-s3-key');
  for (const bad of ['restic-env://s3fern/aws_lower', 'restic-env://s3fern', 'restic-env://user@s3fern/AWS_X']) {
    const r = await cli(['credentials', 'set', bad], 'x\n');
    assert.is(r.exitCode, 2, `${bad}: ${output(r)}`);
    assert.match(String(r.stderr), /restic-env:\/\/AUSLAGERUNG\/VARIABLE/);
  }
});

test('a REST repository served append-only with a login: created through it, the login from the keyring (restic-env://NAME/RESTIC_REST_PASSWORD), neither secret in any argv', async () => {
  const server = await startRestServer({ appendOnly: true, user: 'praxis', password: 'rest p@ss:wort' });
  const config = await configWith('rest', [{ name: 'fern', type: 'restic', repository: server.urlWithoutPassword }]);
  const stored = await cli(['credentials', 'set', 'restic-env://fern/RESTIC_REST_PASSWORD', '--config', config], 'rest p@ss:wort\n');
  assert.is(stored.exitCode, 0, output(stored));
  assert.match(String(stored.stderr), /Benutzt von „fern“/, 'the REST login is known as the mirror\'s');
  const sheets = join(root, 'rest', 'sheets');
  await mkdir(sheets);
  const { result: r, argvs } = await argvsWhile(() => cli(['offsite', 'init', 'fern', '--yes', '--out', sheets, '--config', config]));
  assert.is(r.exitCode, 0, output(r));
  const password = await kr.lookup('encryption://fern');
  assert.ok(password && GENERATED.test(password));
  assert.ok(existsSync(join(server.dir, 'config')), 'the repository is on the server');
  assert.match(restic(server.url, password!, ['cat', 'config']), /"version"/);
  for (const a of argvs) assert.not.ok(a.includes(password!) || a.includes('p@ss') || a.includes('p%40ss'), `secret in argv: ${a}`);
  assert.not.ok(output(r).includes('p@ss') || output(r).includes('p%40ss') || output(r).includes(password!));
});

test('an SFTP repository: created on a real sshd with our own known_hosts; the recorded host key is named', async () => {
  const sshd = await startSshd();
  const repoPath = join(root, 'sftp', 'repo');
  const config = await configWith('sftp', [{ name: 'box', type: 'restic', repository: sshd.repoUrl(repoPath), sshKey: sshd.clientKey }]);
  const sheets = join(root, 'sftp', 'sheets');
  await mkdir(sheets);
  const r = await cli(['offsite', 'init', 'box', '--yes', '--out', sheets, '--config', config]);
  assert.is(r.exitCode, 0, output(r));
  assert.ok(existsSync(join(repoPath, 'config')), 'the repository is on the SFTP server');
  const knownHosts = join(kr.env.XDG_STATE_HOME!, 'praxis-backup', 'ssh', 'known_hosts');
  assert.ok(existsSync(knownHosts), 'the host key went into our own known_hosts');
  const line = join(root, 'sftp', 'expected_host');
  writeFileSync(line, `${await sshd.knownHostsLine()}\n`);
  const fingerprint = /SHA256:\S+/.exec(execFileSync('ssh-keygen', ['-l', '-f', line], { encoding: 'utf8' }))![0];
  assert.match(String(r.stderr), new RegExp(`127\\.0\\.0\\.1 beim ersten Kontakt gespeichert: ED25519 ${fingerprint.replace(/[+/]/g, '\\$&')}`));
});

test.run();

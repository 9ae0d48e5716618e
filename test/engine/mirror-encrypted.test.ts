// Encrypted mirrors for real: a gocryptfs cipher folder on an ext4 loop disk. A lost disk must
// reveal nothing (raw image and cipher files searched for patient names, file names, contents),
// the decrypted copy must equal the backup, a wrong or missing passphrase must write nothing, and
// the passphrase must never show up in argv, status, events or files on the target.
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import type { Volumes } from '../../src/core/volumes';
import { SilentNotifier } from '../../src/notify/notifier';
import { runBackup } from '../../src/backup/backup-run';
import { EnvSecretStore, type SecretStore } from '../../src/credentials/credentials';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { CIPHER_FOLDER, waitForDaemonExit, initCipherDir, initPlan, mountEntry, mountPlan } from '../../src/destinations/encrypted/gocryptfs';
import { mirrorsExitCode, runMirrors, type MirrorDeps } from '../../src/mirror/mirror-run';
import type { Shares } from '../../src/core/shares';
import { encryptionCredentialId, generatePassphrase, normalisePassphrase, PASSPHRASE_ALPHABET, passphraseBits } from '../../src/encryption/passphrase';
import { StatusStore } from '../../src/run/status-store';
import { ToolLocator } from '../../src/process/tool-locator';
import { makeLoopDisk, mountsOf } from '../helpers/loop-disk';
import { createSampleFiles, sampleFileContent, sampleFilePath } from '../helpers/sample-practice';
import { MapStore } from '../helpers/map-store';
import { runInPty } from '../helpers/pty';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { allText, CLI } from '../helpers/cli';
import { startKeyring } from '../helpers/keyring';

const test = suite('encrypted mirrors (gocryptfs on a loop disk)');
const noVolumes: Volumes = {
  kind: 'none',
  list: () => Promise.reject(new Error('volumes')),
  find: () => Promise.reject(new Error('volumes')),
  mount: () => Promise.reject(new Error('volumes')),
  unmount: () => Promise.reject(new Error('volumes')),
  eject: () => Promise.reject(new Error('volumes')),
};
const noShares: Shares = { mount: () => Promise.reject(new Error('shares')), unmount: () => Promise.reject(new Error('shares')) };
const tools = new ToolLocator('linux', process.env);
let root: string;


const PATIENT = 'Erika Mustermann-Wöhrle';
const FILES = 8;
const BYTES = 20_000;

async function practice(name: string, target: string) {
  const dir = join(root, name);
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: FILES, bytesEach: BYTES });
  await writeFile(join(src, `Befund ${PATIENT}.txt`), `Befund für ${PATIENT}, geb. 03.04.1961: Diagnose vertraulich.\n`);
  const config = validateConfig({ backupDir: join(dir, 'backups'), components: [{ name: 'files', type: 'folder', path: src }], mirrors: [{ name: 'usb', type: 'path', path: target, mode: 'all', encrypt: true }] }, 'test');
  const status = new StatusStore(join(dir, 'state'));
  return { dir, src, config, status };
}

function deps(status: StatusStore, secrets: SecretStore): MirrorDeps {
  return { volumes: noVolumes, shares: noShares, secrets, tools, status, notifier: new SilentNotifier(), smbMountBase: join(root, 'smb'), cryptMountBase: join(root, 'crypt'), lang: 'de' };
}

function collect() {
  const events: StampedEvent[] = [];
  return { reporter: new Reporter([(e) => events.push(e)]), events };
}

async function backup(config: Config, status: StatusStore): Promise<string> {
  const s = await runBackup({ ...config, mirrors: [] }, { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), status, toolVersion: 'test' }, collect().reporter, new AbortController().signal);
  assert.is(s.exitCode, 0, JSON.stringify(s.error));
  return s.backupId!;
}

/** Every process's argv, sampled every few ms while `fn` runs (children included: /proc is global). */
async function watchArgv<T>(fn: () => Promise<T>): Promise<{ value: T; argvs: Set<string> }> {
  const argvs = new Set<string>();
  const sample = () => {
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        argvs.add(readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '));
      } catch { /* gone */ }
    }
  };
  const timer = setInterval(sample, 5);
  try {
    const value = await fn();
    sample();
    return { value, argvs };
  } finally {
    clearInterval(timer);
  }
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

/** Needles a lost disk must not reveal: the patient's name, attachment names, attachment contents. */
function needles(): Buffer[] {
  const out: Buffer[] = [Buffer.from(PATIENT), Buffer.from('Diagnose vertraulich'), Buffer.from('Beispieldatei')];
  for (let i = 0; i < FILES; i++) {
    out.push(Buffer.from(basename(sampleFilePath(i)).normalize('NFC')));
    out.push(sampleFileContent(i, BYTES).subarray(4000, 4064)); // a stretch of the incompressible body
  }
  return out;
}

function found(hay: Buffer): string[] {
  return needles().filter((n) => hay.includes(n)).map((n) => n.toString('utf8').slice(0, 40));
}

async function mountDecrypted(cipher: string, mp: string, passphrase: string): Promise<void> {
  await mkdir(mp, { recursive: true });
  await execa('gocryptfs', ['-q', '--', cipher, mp], { input: passphrase });
}

test.before(async () => {
  root = await makeTempDir('praxis-mirror-crypt-');
});
test.after(() => runCleanups());

test('passphrase: six groups of five from an unambiguous alphabet, >140 bits; typed forms normalised', () => {
  const p = generatePassphrase();
  assert.match(p, /^[a-z0-9]{5}(-[a-z0-9]{5}){5}$/);
  assert.not.match(PASSPHRASE_ALPHABET, /[0o1liIO]/);
  assert.ok(passphraseBits() > 140);
  assert.is.not(generatePassphrase(), p);
  assert.is(normalisePassphrase(` ${p.toUpperCase().replace(/-/g, ' ')} `), p);
  assert.is(encryptionCredentialId('usb'), 'encryption://usb');
});

test('plans: the passphrase only on stdin, never in argv', () => {
  const pw = 'abcde-fghjk-mnpqr-stuvw-x3467-89abc';
  for (const plan of [initPlan('/usr/bin/gocryptfs', '/m/Praxis-Backup.gocryptfs', pw), mountPlan('/usr/bin/gocryptfs', '/m/Praxis-Backup.gocryptfs', '/s/crypt/usb', pw)]) {
    assert.not.ok([plan.file, ...plan.args].join(' ').includes(pw));
    assert.is(plan.input, pw);
    assert.equal(plan.secrets, [pw]);
  }
  assert.equal(initPlan('/usr/bin/gocryptfs', '/m/c', pw).args, ['-init', '-q', '--', '/m/c']);
  assert.equal(mountPlan('/usr/bin/gocryptfs', '/m/c', '/s/v', pw).args, ['-q', '--', '/m/c', '/s/v']);
});

test('backup + encrypted mirror: raw disk and cipher files reveal nothing; decrypted copy equals the backup; passphrase nowhere', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'PRAXIS-CRYPT' });
  const mnt = join(root, 'usb');
  await mkdir(mnt);
  await execa('mount', [disk.device, mnt]);
  const target = join(mnt, 'praxis');
  await mkdir(target);
  const p = await practice('crypt', target);
  const passphrase = generatePassphrase();
  const secrets = new MapStore(new Map([[encryptionCredentialId('usb'), passphrase]]));
  const cipher = join(target, CIPHER_FOLDER);
  await initCipherDir({ name: 'usb', credentialId: encryptionCredentialId('usb'), cipherDir: cipher, passphrase });

  const made = [await backup(p.config, p.status)];
  await writeFile(join(p.src, 'neu.txt'), 'neuer Brief');
  made.push(await backup(p.config, p.status));
  const { reporter, events } = collect();
  const { value: results, argvs } = await watchArgv(() => runMirrors(p.config, deps(p.status, secrets), reporter, new AbortController().signal));
  assert.is(mirrorsExitCode(results), 0, JSON.stringify(results));
  assert.equal(results[0]!.copied, made);
  assert.ok([...argvs].some((a) => a.includes('gocryptfs')), 'the gocryptfs children were seen');
  assert.ok([...argvs].some((a) => a.includes('rsync')), 'rsync was seen');
  for (const a of argvs) assert.not.ok(a.includes(passphrase), `passphrase in argv: ${a.replace(passphrase, '***')}`);
  assert.is(await mountEntry(join(root, 'crypt', 'usb')), null, 'the decrypted view is unmounted afterwards');

  // On the disk: only the cipher folder, no plain backup folders, no readable names.
  assert.equal(readdirSync(target), [CIPHER_FOLDER]);
  const cipherFiles = filesUnder(cipher);
  assert.ok(cipherFiles.length > FILES, `${cipherFiles.length} cipher files`);
  for (const f of cipherFiles) {
    assert.equal(found(Buffer.from(f)), [], `cipher file name ${f}`);
    assert.equal(found(readFileSync(join(cipher, f))), [], `cipher file ${f}`);
  }
  // The passphrase is not on the disk, not in status or events.
  for (const f of cipherFiles) assert.not.ok(readFileSync(join(cipher, f)).includes(Buffer.from(passphrase)));
  assert.not.ok(readFileSync(join(p.dir, 'state', 'status.json'), 'utf8').includes(passphrase));
  assert.not.ok(JSON.stringify(events).includes(passphrase));

  // Control: the same search does find everything in the local (plain) backup.
  const localHay = Buffer.concat(filesUnder(join(p.config.backupDir, made[1]!)).flatMap((f) => [Buffer.from(f), readFileSync(join(p.config.backupDir, made[1]!, f))]));
  assert.is(found(localHay).length, needles().length, 'the needles are real');

  // "Eject": unmount and read the raw image, every byte.
  await execa('umount', [mnt]);
  assert.equal(mountsOf(disk.device), []);
  const raw = readFileSync(disk.image);
  assert.equal(found(raw), [], 'raw image reveals nothing');
  assert.not.ok(raw.includes(Buffer.from(passphrase)));

  // Plug it in elsewhere: mount, decrypt with the passphrase, compare with the backup byte for byte.
  await execa('mount', [disk.device, mnt]);
  const clear = join(root, 'klar');
  await mountDecrypted(cipher, clear, passphrase);
  try {
    assert.equal(readdirSync(clear).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort(), made);
    for (const id of made) {
      const local = filesUnder(join(p.config.backupDir, id));
      const remote = filesUnder(join(clear, id)).filter((f) => f !== 'verification.json');
      assert.equal(remote, local.filter((f) => f !== 'verification.json'));
      for (const f of local) if (f !== 'verification.json') assert.ok(readFileSync(join(clear, id, f)).equals(readFileSync(join(p.config.backupDir, id, f))), f);
      const v = join(clear, id, 'verification.json');
      if (existsSync(v)) assert.not.ok(readFileSync(v, 'utf8').includes(passphrase));
      assert.not.ok(readFileSync(join(clear, id, 'manifest.json'), 'utf8').includes(passphrase));
    }
    assert.ok(existsSync(join(clear, made[1]!, 'verification.json')), 'verified on the target');
  } finally {
    await execa('umount', [clear]);
    await waitForDaemonExit(clear);
  }
  await execa('umount', [mnt]);
});

test('wrong passphrase in the store: exit 1, clear message, cipher folder unchanged; missing passphrase and missing cipher folder: nothing written', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 32, label: 'PRAXIS-FALSCH' });
  const mnt = join(root, 'usb2');
  await mkdir(mnt);
  await execa('mount', [disk.device, mnt]);
  const target = join(mnt, 'praxis');
  await mkdir(target);
  const p = await practice('falsch', target);
  const cipher = join(target, CIPHER_FOLDER);
  await initCipherDir({ name: 'usb', credentialId: encryptionCredentialId('usb'), cipherDir: cipher, passphrase: generatePassphrase() });
  await backup(p.config, p.status);
  const snapshot = () => JSON.stringify(filesUnder(target).map((f) => [f, statSync(join(target, f)).size, statSync(join(target, f)).mtimeMs]));
  const before = snapshot();

  const wrong = generatePassphrase();
  const r = await runMirrors(p.config, deps(p.status, new MapStore(new Map([[encryptionCredentialId('usb'), wrong]]))), collect().reporter, new AbortController().signal);
  assert.is(mirrorsExitCode(r), 1);
  assert.is(r[0]!.message!.key, 'mirror.crypt.wrongPassphrase');
  assert.equal(r[0]!.copied, []);
  assert.is(snapshot(), before, 'cipher folder unchanged');
  assert.equal(readdirSync(target), [CIPHER_FOLDER]);
  assert.is(await mountEntry(join(root, 'crypt', 'usb')), null);
  const st = readFileSync(join(p.dir, 'state', 'status.json'), 'utf8');
  assert.match(st, /mirror\.crypt\.wrongPassphrase/);
  assert.not.ok(st.includes(wrong));

  const none = await runMirrors(p.config, deps(p.status, new MapStore()), collect().reporter, new AbortController().signal);
  assert.is(mirrorsExitCode(none), 1);
  assert.is(none[0]!.message!.key, 'mirror.crypt.noPassphrase');
  assert.is(snapshot(), before);

  // Encrypt switched on, but the cipher folder never set up: refuse, never copy in the clear.
  const empty = join(mnt, 'leer');
  await mkdir(empty);
  const q = { ...p.config, mirrors: [{ ...p.config.mirrors[0]!, path: empty }] } as Config;
  const ni = await runMirrors(q, deps(p.status, new MapStore(new Map([[encryptionCredentialId('usb'), wrong]]))), collect().reporter, new AbortController().signal);
  assert.is(ni[0]!.message!.key, 'mirror.crypt.notInitialised');
  assert.equal(readdirSync(empty), []);
  await execa('umount', [mnt]);
});

test('CLI `encryption setup`: passphrase stored in the Secret Service, sheet written, nothing on the disk until confirmed; then `run` mirrors encrypted; passphrase in no log/config/status', async () => {
  const kr = await startKeyring();
  const disk = await makeLoopDisk({ sizeMiB: 32, label: 'PRAXIS-SETUP' });
  const mnt = join(root, 'usb3');
  await mkdir(mnt);
  await execa('mount', [disk.device, mnt]);
  const target = join(mnt, 'praxis');
  await mkdir(target);
  const dir = join(root, 'setup');
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: 4, bytesEach: 10_000 });
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify({ backupDir: join(dir, 'backups'), practiceName: 'Praxis Dr. Test', components: [{ name: 'files', type: 'folder', path: src }], mirrors: [{ name: 'usb', type: 'path', path: target, encrypt: true }] }));
  const sheets = join(dir, 'sheets');
  await mkdir(sheets);
  const env = { ...kr.env, LANG: 'de_DE.UTF-8', PRAXIS_BACKUP_NOTIFY: 'none' };
  const cli = (args: string[]) => execa(process.execPath, [CLI, ...args], { env, extendEnv: false, stdin: 'ignore', reject: false });

  // No terminal, no --yes: not confirmed → exit 1, passphrase stored, sheet written, disk untouched.
  const a = await cli(['encryption', 'setup', 'usb', '--config', configFile, '--out', sheets]);
  assert.is(a.exitCode, 1, String(a.stderr));
  assert.match(String(a.stderr), /Nicht bestätigt/);
  const passphrase = await kr.lookup('encryption://usb');
  assert.ok(passphrase && /^[a-z0-9]{5}(-[a-z0-9]{5}){5}$/.test(passphrase), 'stored in the Secret Service');
  assert.equal(readdirSync(target), []);
  const sheet = readdirSync(sheets).find((n) => n.endsWith('.html'))!;
  assert.ok(sheet, 'emergency sheet written');
  assert.is(statSync(join(sheets, sheet)).mode & 0o777, 0o600);
  assert.ok(readFileSync(join(sheets, sheet), 'utf8').includes(passphrase!.split('-')[0]!));

  // Confirmed: the same passphrase (the printed sheet stays valid), cipher folder created.
  const b = await cli(['encryption', 'setup', 'usb', '--config', configFile, '--out', sheets, '--yes']);
  assert.is(b.exitCode, 0, String(b.stderr));
  assert.is(await kr.lookup('encryption://usb'), passphrase);
  assert.equal(readdirSync(target), [CIPHER_FOLDER]);
  const again = await cli(['encryption', 'setup', 'usb', '--config', configFile, '--out', sheets, '--yes']);
  assert.is(again.exitCode, 1);
  assert.match(String(again.stderr), /schon einen verschlüsselten Ordner/);

  const run = await cli(['run', '--config', configFile, '--json']);
  assert.is(run.exitCode, 0, String(run.stderr));
  assert.equal(readdirSync(target), [CIPHER_FOLDER]);
  // verify --target checks the copy through the decrypted view, and closes it again.
  const checked = await cli(['verify', '--target', 'usb', '--config', configFile]);
  assert.is(checked.exitCode, 0, String(checked.stderr));
  assert.equal(readdirSync(target), [CIPHER_FOLDER]);
  for (const out of [a, b, again, run, checked]) assert.not.ok(String(out.stdout).includes(passphrase!) || String(out.stderr).includes(passphrase!), 'not in output');
  for (const d of [join(kr.home, '.local', 'state'), join(kr.home, '.config'), dir]) {
    const text = allText(d).replace(readFileSync(join(sheets, sheet), 'utf8'), '');
    assert.not.ok(text.includes(passphrase!), `passphrase found under ${d}`);
  }
  assert.not.ok(readFileSync(configFile, 'utf8').includes(passphrase!));

  // The server burned down: a new machine, empty credential store, no local backups. Restore from
  // the encrypted mirror with the passphrase typed from the sheet (spaces, capitals) on stdin.
  const backupId = JSON.parse(String(run.stdout).trim().split('\n').at(-1)!).summary.backupId as string;
  const original = new Map(filesUnder(src).map((f) => [f, readFileSync(join(src, f))]));
  await execa('rm', ['-rf', join(dir, 'backups'), src]);
  const fresh = join(root, 'neuer-rechner');
  await mkdir(fresh);
  const newEnv = { PATH: kr.env.PATH!, HOME: fresh, XDG_CONFIG_HOME: join(fresh, '.config'), XDG_STATE_HOME: join(fresh, '.state'), LANG: 'de_DE.UTF-8', PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none' };
  const restoreArgs = ['restore', backupId, '--from-mirror', 'usb', '--yes', '--no-safety-backup', '--config', configFile];
  // Nothing stored and no terminal to type it at: exit 2, saying how to give it.
  const noPass = await execa(process.execPath, [CLI, ...restoreArgs], { env: newEnv, extendEnv: false, stdin: 'ignore', reject: false });
  assert.is(noPass.exitCode, 2, String(noPass.stderr));
  assert.match(String(noPass.stderr), /Kein Passwort für „usb“ gespeichert.*--passphrase-stdin/);
  const typed = passphrase!.toUpperCase().replace(/-/g, ' ') + '\n';
  // First look at what the disk holds (list --mirror), through the decrypted view, closed again.
  const listArgs = ['list', '--mirror', 'usb', '--passphrase-stdin', '--config', configFile];
  const listed = await execa(process.execPath, [CLI, ...listArgs], { env: newEnv, extendEnv: false, input: typed, reject: false });
  assert.is(listed.exitCode, 0, String(listed.stderr));
  assert.match(String(listed.stdout), new RegExp(`^  ${backupId} `, 'm'));
  assert.is(await mountEntry(join(fresh, '.state', 'praxis-backup', 'crypt', 'usb')), null, 'view closed after list');
  // On a terminal it asks, hiding what is typed (a real pty through script(1)).
  const typedAtPrompt = await runInPty(
    `${process.execPath} ${CLI} list --mirror usb --config ${configFile}`,
    newEnv,
    [{ waitFor: 'vom Notfallblatt', type: passphrase!.replace(/-/g, ' ') }],
  );
  assert.is(typedAtPrompt.code, 0, typedAtPrompt.out);
  assert.match(typedAtPrompt.out, new RegExp(backupId));
  assert.not.ok(typedAtPrompt.out.includes(passphrase!.split('-')[0]!), `echoed: ${typedAtPrompt.out}`);
  const listWrong = await execa(process.execPath, [CLI, ...listArgs], { env: newEnv, extendEnv: false, input: 'aaaaa-bbbbb-ccccc-ddddd-eeeee-fffff\n', reject: false });
  assert.is(listWrong.exitCode, 1, String(listWrong.stderr));
  assert.match(String(listWrong.stderr), /Passwort/);
  assert.not.match(String(listWrong.stdout), new RegExp(backupId));
  const restored = await execa(process.execPath, [CLI, ...restoreArgs, '--passphrase-stdin'], { env: newEnv, extendEnv: false, input: typed, reject: false });
  assert.ok([0, 3].includes(restored.exitCode!), String(restored.stderr));
  assert.equal(filesUnder(src), [...original.keys()]);
  for (const [f, b] of original) assert.ok(readFileSync(join(src, f)).equals(b), f);
  assert.is(await mountEntry(join(fresh, '.state', 'praxis-backup', 'crypt', 'usb')), null, 'view closed after the restore');

  // The new server's credential store gets the passphrase from the sheet (stdin only), so the
  // nightly mirror can go on; empty input is refused.
  await execa('secret-tool', ['clear', 'service', 'Praxis-Backup', 'account', 'encryption://usb'], { env: kr.env, extendEnv: false });
  assert.is(await kr.lookup('encryption://usb'), null, 'the new store is empty');
  const empty = await execa(process.execPath, [CLI, 'encryption', 'set-passphrase', 'usb', '--config', configFile], { env, extendEnv: false, input: '', reject: false });
  assert.is(empty.exitCode, 2, String(empty.stderr));
  const set = await execa(process.execPath, [CLI, 'encryption', 'set-passphrase', 'usb', '--config', configFile], { env, extendEnv: false, input: typed, reject: false });
  assert.is(set.exitCode, 0, String(set.stderr));
  assert.is(await kr.lookup('encryption://usb'), passphrase, 'stored in the form the mirror uses');
  assert.not.ok(String(set.stdout).includes(passphrase!) || String(set.stderr).includes(passphrase!));
  assert.not.ok(allText(fresh).includes(passphrase!), 'passphrase in no file of the new machine');
  assert.not.ok(String(restored.stderr).includes(passphrase!) || String(restored.stdout).includes(passphrase!));
  await execa('umount', [mnt]);
  await kr.stop();
});

test.run();

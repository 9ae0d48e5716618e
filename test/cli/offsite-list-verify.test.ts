// The read side of a restic off-site repository through the built CLI (issue 17): `list --mirror`
// shows exactly the backups that were sent (read from their manifests in the repository, also on a
// new server without a backup directory), and `verify --target` runs restic's own check with the
// day's slice of the data (from the verify's clock), compares the newest backup's manifest with the
// local one, and with --deep restores it into a scratch folder and checks every file. A damaged
// repository fails the check. Real restic 0.14, a local repository, a private Secret Service.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generatePassphrase } from '../../src/encryption/passphrase';
import { CLI } from '../helpers/cli';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, registerCleanup, runCleanups } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('list --mirror and verify --target on a restic repository (CLI)');

const MIRROR = 'aussenstelle';
const PASS = generatePassphrase();
let root: string;
let kr: TestKeyring;
let env: Record<string, string>;
let repo: string;
let backupDir: string;
let configFile: string;
/** The same practice without the mirror: a backup made with it is never sent. */
let localOnlyConfig: string;
const sent: string[] = [];
let notSent: string;

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
  events: Record<string, any>[];
}

async function cli(args: string[], extra: Record<string, string> = {}, input?: string): Promise<Cli> {
  const r = await execa(process.execPath, [CLI, ...args], { env: { ...env, ...extra }, extendEnv: false, reject: false, ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
  const stdout = String(r.stdout);
  const events = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
  return { code: r.exitCode ?? -1, stdout, stderr: String(r.stderr), events };
}

const restic = (repository: string, args: string[]) =>
  execFileSync('restic', args, { env: { PATH: process.env.PATH!, HOME: root, RESTIC_REPOSITORY: repository, RESTIC_PASSWORD: PASS, RESTIC_CACHE_DIR: join(root, 'restic-cache') }, encoding: 'utf8' });

/** The keys of an event stream's log lines. */
const keys = (r: Cli) => r.events.filter((e) => e.type === 'log').map((e) => e.message?.key as string);
const logParams = (r: Cli, key: string) => r.events.find((e) => e.type === 'log' && e.message?.key === key)?.message?.params as Record<string, any> | undefined;
const summaryOf = (r: Cli) => r.events.find((e) => e.type === 'finished')?.summary as Record<string, any>;

function localManifest(id: string): Record<string, any> {
  return JSON.parse(readFileSync(join(backupDir, id, 'manifest.json'), 'utf8'));
}

async function writeConfig(file: string, o: { backupDir: string; mirrors: Record<string, unknown>[] }) {
  await writeFile(file, JSON.stringify({ backupDir: o.backupDir, components: [{ name: 'dokumente', type: 'folder', path: join(root, 'dokumente') }], retention: { keep: 10 }, mirrors: o.mirrors }));
}

/** The slice `verify` must read on a day: day number since 1970 (UTC, TZ is set for the child) mod days, 1-based. */
const expectedSlice = (iso: string, days: number) => `${(Math.floor(Date.parse(iso) / 86_400_000) % days) + 1}/${days}`;

test.before(async () => {
  root = await makeTempDir('praxis-offsite-lv-');
  kr = await startKeyring();
  registerCleanup(() => kr.stop());
  env = { ...kr.env, PATH: process.env.PATH!, LANG: 'de_DE.UTF-8', TZ: 'UTC', PRAXIS_BACKUP_NOTIFY: 'none' };
  await createSampleFiles(join(root, 'dokumente'), { files: 30, bytesEach: 30_000 });
  repo = join(root, 'offsite', 'repo');
  backupDir = join(root, 'backups');
  configFile = join(root, 'config.json');
  localOnlyConfig = join(root, 'config-ohne-offsite.json');
  await writeConfig(configFile, { backupDir, mirrors: [{ name: MIRROR, type: 'restic', repository: repo }] });
  await writeConfig(localOnlyConfig, { backupDir, mirrors: [] });
  restic(repo, ['init']);
  const set = await cli(['encryption', 'set-passphrase', MIRROR, '--config', configFile], {}, PASS + '\n');
  assert.is(set.code, 0, set.stderr);

  // Three nights: the first two are sent off-site, the third only made locally (a mirror in mode
  // "all" sends every backup not there yet, so the one never sent is the newest).
  const nights = ['2026-11-17T02:15:00Z', '2026-11-18T02:15:00Z', '2026-11-19T02:15:00Z'];
  for (const [i, at] of nights.entries()) {
    if (i === 1) writeFileSync(join(root, 'dokumente', 'neu-am-18.txt'), 'Befund vom 18.\n'.repeat(500));
    const r = await cli(['run', '--json', '--config', i === 2 ? localOnlyConfig : configFile], { PRAXIS_BACKUP_TEST_NOW: at });
    assert.is(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const id = summaryOf(r).backupId as string;
    assert.ok(id, 'a backup id');
    if (i === 2) notSent = id;
    else sent.push(id);
  }
  sent.reverse(); // newest first, as list shows them
});

test.after(() => runCleanups());

test('list --mirror --json: exactly the backups sent, with ids, sizes and components from their manifests in the repository', async () => {
  const r = await cli(['list', '--mirror', MIRROR, '--json', '--config', configFile]);
  assert.is(r.code, 0, r.stderr);
  const data = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { backups: Record<string, any>[] };
  assert.equal(data.backups.map((b) => b.id), sent);
  assert.not.ok(data.backups.some((b) => b.id === notSent), 'the backup that was never sent is not listed');
  for (const b of data.backups) {
    const m = localManifest(b.id);
    assert.is(b.bytes, m.components.reduce((s: number, c: any) => s + c.bytes, 0), `${b.id}: bytes`);
    assert.equal(b.components, m.components.map((c: any) => ({ name: c.name, type: c.type, bytes: c.bytes, files: c.files })), `${b.id}: components`);
    assert.is(b.finishedAt, m.finishedAt);
  }
  // The local list has all three: the difference is what was sent, not what exists.
  const local = await cli(['list', '--json', '--config', configFile]);
  assert.equal(JSON.parse(local.stdout.trim().split('\n').at(-1)!).backups.map((b: any) => b.id).sort(), [...sent, notSent].sort());
  // The text form names the same ids and the components.
  const text = await cli(['list', '--mirror', MIRROR, '--config', configFile]);
  assert.is(text.code, 0, text.stderr);
  for (const id of sent) assert.match(text.stdout, new RegExp(`^  ${id} .*dokumente`, 'm'));
  assert.not.ok(text.stdout.includes(notSent));
});

test('a snapshot tagged as ours that holds no backup (sent by hand from outside a backup folder) is left out; the others are still listed and restorable', async () => {
  // Its own repository: the other tests see only what the product sent.
  const other = join(root, 'offsite', 'mit-fremdem');
  await cp(repo, other, { recursive: true });
  const byHand = join(root, 'von-hand');
  await mkdir(join(byHand, sent[0]!), { recursive: true });
  await writeFile(join(byHand, sent[0]!, 'notiz.txt'), 'vom IT-Dienstleister von Hand gesichert\n');
  execFileSync('restic', ['backup', '--tag', `praxis-backup,20261130_120000`, byHand], {
    env: { PATH: process.env.PATH!, HOME: root, RESTIC_REPOSITORY: other, RESTIC_PASSWORD: PASS, RESTIC_CACHE_DIR: join(root, 'restic-cache') },
  });
  const otherConfig = join(root, 'config-mit-fremdem.json');
  await writeConfig(otherConfig, { backupDir, mirrors: [{ name: MIRROR, type: 'restic', repository: other }] });
  const r = await cli(['list', '--mirror', MIRROR, '--json', '--config', otherConfig]);
  assert.is(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { backups: { id: string }[] }).backups.map((b) => b.id), sent);
  const restore = await cli(['restore', '20261130_120000', '--from-mirror', MIRROR, '--dry-run', '--config', otherConfig]);
  assert.is(restore.code, 2, restore.stderr);
  assert.ok(restore.stderr.includes(sent[0]!), `the backups there are named: ${restore.stderr}`);
  assert.not.ok(existsSync(join(backupDir, `.restore-from-${MIRROR}`)), 'what was fetched for nothing is removed');
});

test('restore --from-mirror and verify --deep onto a disk too small for the backup: said as such before anything is fetched, nothing changed, no scratch folder', async () => {
  const disk = await mountTmpfs(1);
  // Most of the small disk already taken: what is left is less than the backup.
  writeFileSync(join(disk.path, 'belegt.bin'), Buffer.alloc(700 * 1024, 1));
  const smallBackups = join(disk.path, 'Praxis-Backup');
  const smallConfig = join(root, 'config-klein.json');
  await writeConfig(smallConfig, { backupDir: smallBackups, mirrors: [{ name: MIRROR, type: 'restic', repository: repo }] });
  const before = readdirSync(join(root, 'dokumente')).sort();
  const r = await cli(['restore', sent[0]!, '--from-mirror', MIRROR, '--yes', '--no-safety-backup', '--config', smallConfig]);
  assert.is(r.code, 1, r.stderr);
  assert.ok(r.stderr.includes(`Nicht genug Platz in ${smallBackups}`), r.stderr);
  assert.not.match(r.stderr, /Auslagerung .* ist voll/, 'not the repository that is full');
  assert.not.ok(existsSync(join(smallBackups, `.restore-from-${MIRROR}`)), 'no scratch folder left');
  assert.equal(readdirSync(join(root, 'dokumente')).sort(), before, 'nothing restored');
  // verify --deep restores into the same place: the same question first.
  const deep = await cli(['verify', '--target', MIRROR, '--deep', '--config', smallConfig], { PRAXIS_BACKUP_TEST_NOW: '2026-11-21T12:00:00Z' });
  assert.is(deep.code, 1, deep.stderr);
  assert.ok(deep.stderr.includes(`Zu wenig Speicherplatz auf ${smallBackups}`), deep.stderr);
  assert.equal(readdirSync(smallBackups).filter((n) => n.startsWith('.restic-verify')), [], 'no scratch folder left');
  await disk.unmount();
});

test('list --mirror on a new server: no backup directory yet, the passphrase typed in (stdin), same list', async () => {
  const fresh = join(root, 'neuer-server');
  await mkdir(fresh);
  const freshConfig = join(fresh, 'config.json');
  const freshBackups = join(fresh, 'Praxis-Backup');
  await writeConfig(freshConfig, { backupDir: freshBackups, mirrors: [{ name: MIRROR, type: 'restic', repository: repo }] });
  // A new machine: its own HOME, no keyring at all.
  const newEnv = { HOME: fresh, XDG_CONFIG_HOME: join(fresh, '.config'), XDG_STATE_HOME: join(fresh, '.state'), PRAXIS_BACKUP_KEYRING: 'off' };
  const typed = PASS.toUpperCase().replace(/-/g, ' ') + '\n';
  const r = await cli(['list', '--mirror', MIRROR, '--json', '--passphrase-stdin', '--config', freshConfig], newEnv, typed);
  assert.is(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { backups: { id: string }[] }).backups.map((b) => b.id), sent);
  const wrong = await cli(['list', '--mirror', MIRROR, '--passphrase-stdin', '--config', freshConfig], newEnv, generatePassphrase() + '\n');
  assert.is(wrong.code, 1, wrong.stderr);
  assert.match(wrong.stderr, /Passwort/);
  for (const id of sent) assert.not.ok(wrong.stdout.includes(id));
  for (const out of [r, wrong]) assert.not.ok((out.stdout + out.stderr).includes(PASS), 'passphrase never printed');
});

test('verify --target: restic check with the day\'s slice from the clock, the newest manifest compared, lastVerified in the status', async () => {
  const days = ['2026-11-20T09:00:00Z', '2026-11-21T09:00:00Z'];
  const slices: string[] = [];
  for (const at of days) {
    const r = await cli(['verify', '--target', MIRROR, '--json', '--config', configFile], { PRAXIS_BACKUP_TEST_NOW: at });
    assert.is(r.code, 0, r.stderr + r.stdout.slice(-3000));
    const checking = logParams(r, 'offsite.checking');
    assert.ok(checking, `the check is logged: ${keys(r).join(', ')}`);
    assert.is(checking!.slice, expectedSlice(at, 30), `slice of ${at}`);
    assert.is(checking!.days, 30);
    slices.push(checking!.slice);
    const s = summaryOf(r);
    assert.is(s.backupId, sent[0], 'the newest backup in the repository');
    assert.ok(s.verification.ok, JSON.stringify(s.verification));
    assert.is(s.verification.checked.deep, false);
    assert.is(s.verification.destination, MIRROR);
    const status = JSON.parse(readFileSync(join(kr.home, '.local', 'state', 'praxis-backup', 'status.json'), 'utf8'));
    const lv = status.destinations[MIRROR].lastVerified;
    assert.is(lv.backupId, sent[0]);
    assert.is(lv.ok, true);
    assert.is(Date.parse(lv.at) - Date.parse(at) < 3600_000 && Date.parse(lv.at) >= Date.parse(at), true, `verified at the verify's clock: ${lv.at}`);
  }
  assert.is.not(slices[0], slices[1], 'the next day reads the next slice');

  // The local manifest is the reference: when it says other sizes than the one in the repository,
  // the check names the component (the manifest there is read, not taken on trust).
  const file = join(backupDir, sent[0]!, 'manifest.json');
  const original = readFileSync(file);
  const changed = JSON.parse(original.toString('utf8'));
  changed.components[0].bytes += 1;
  execFileSync('chmod', ['u+w', file]);
  writeFileSync(file, JSON.stringify(changed));
  try {
    const r = await cli(['verify', '--target', MIRROR, '--json', '--config', configFile], { PRAXIS_BACKUP_TEST_NOW: '2026-11-21T10:00:00Z' });
    assert.is(r.code, 1, r.stderr + r.stdout.slice(-3000));
    const problems = summaryOf(r).verification.problems as { key: string; params: Record<string, string> }[];
    assert.equal(problems.map((p) => [p.key, p.params.component]), [['offsite.componentDiffers', 'dokumente']]);
  } finally {
    writeFileSync(file, original);
  }
  // The log file names the slice too (what an admin reads afterwards).
  const logs = readdirSync(join(kr.home, '.local', 'state', 'praxis-backup', 'logs')).map((n) => readFileSync(join(kr.home, '.local', 'state', 'praxis-backup', 'logs', n), 'utf8')).join('');
  assert.ok(logs.includes(slices[1]!), 'the slice is in the log');
  assert.not.ok(logs.includes(PASS), 'passphrase in no log');
});

test('verify ID --target: a backup made but never sent is missing there (1), an id nowhere is bad input naming the ones there (2)', async () => {
  const missing = await cli(['verify', notSent, '--target', MIRROR, '--config', configFile], { PRAXIS_BACKUP_TEST_NOW: '2026-11-21T11:00:00Z' });
  assert.is(missing.code, 1, missing.stderr);
  assert.ok(missing.stderr.includes(`Backup ${notSent} fehlt auf „${MIRROR}“`), missing.stderr);
  const nowhere = await cli(['verify', '20200101_000000', '--target', MIRROR, '--config', configFile], { PRAXIS_BACKUP_TEST_NOW: '2026-11-21T11:00:00Z' });
  assert.is(nowhere.code, 2, nowhere.stderr);
  assert.ok(nowhere.stderr.includes(sent[0]!), `the newest there are named: ${nowhere.stderr}`);
  assert.not.ok(nowhere.stderr.includes(notSent), 'not a backup that is only local');
});

test('verify --target --deep: the backup restored into a scratch folder, every dump and the folder index checked, the folder gone afterwards', async () => {
  const r = await cli(['verify', '--target', MIRROR, '--deep', '--json', '--config', configFile], { PRAXIS_BACKUP_TEST_NOW: '2026-11-22T09:00:00Z' });
  assert.is(r.code, 0, r.stderr + r.stdout.slice(-3000));
  const s = summaryOf(r);
  assert.ok(s.verification.ok, JSON.stringify(s.verification));
  assert.is(s.verification.checked.deep, true);
  assert.is(s.verification.checked.index, true);
  assert.ok(keys(r).includes('offsite.fetching'), `restored from the repository: ${keys(r).join(', ')}`);
  const scratch = logParams(r, 'offsite.fetching')!.dir as string;
  assert.ok(scratch.startsWith(backupDir + '/'), scratch);
  assert.not.ok(existsSync(scratch), 'scratch folder removed');
  assert.equal(readdirSync(backupDir).filter((n) => n.startsWith('.restic-verify') || n.startsWith('.restore-from')), []);
});

test('verify --target --deep finds a backup whose files do not match its manifest; the shallow check (manifest against manifest) does not claim more than it reads', async () => {
  // A backup whose folder was damaged before it was sent: its own manifest (and the local one) still
  // say what it should hold. Only reading the files back can tell.
  const at = '2026-11-23T02:15:00Z';
  const r = await cli(['run', '--json', '--config', localOnlyConfig], { PRAXIS_BACKUP_TEST_NOW: at });
  assert.is(r.code, 0, r.stderr);
  const id = summaryOf(r).backupId as string;
  const victim = join(backupDir, id, 'dokumente', 'neu-am-18.txt');
  const bytes = readFileSync(victim);
  bytes[10] = bytes[10]! ^ 0xff;
  // A new inode: the older backups' hard-linked copy stays as it was.
  await writeFile(victim + '.tmp', bytes);
  execFileSync('mv', [victim + '.tmp', victim]);
  const m = await cli(['mirror', MIRROR, '--json', '--config', configFile], { PRAXIS_BACKUP_TEST_NOW: '2026-11-23T03:00:00Z' });
  assert.ok([0, 3].includes(m.code), m.stderr + m.stdout.slice(-2000));
  const listed = await cli(['list', '--mirror', MIRROR, '--json', '--config', configFile]);
  assert.ok(JSON.parse(listed.stdout.trim().split('\n').at(-1)!).backups.some((b: any) => b.id === id), 'sent');

  const deep = await cli(['verify', id, '--target', MIRROR, '--deep', '--json', '--config', configFile], { PRAXIS_BACKUP_TEST_NOW: '2026-11-23T09:00:00Z' });
  assert.is(deep.code, 1, deep.stderr + deep.stdout.slice(-3000));
  const v = summaryOf(deep).verification;
  assert.is(v.ok, false);
  assert.ok(JSON.stringify(v.problems).includes('neu-am-18.txt'), `the damaged file is named: ${JSON.stringify(v.problems)}`);
  assert.equal(readdirSync(backupDir).filter((n) => n.startsWith('.restic-verify')), [], 'scratch folder removed after a failed check too');
  const status = JSON.parse(readFileSync(join(kr.home, '.local', 'state', 'praxis-backup', 'status.json'), 'utf8'));
  assert.is(status.destinations[MIRROR].lastVerified.ok, false);
  assert.is(status.destinations[MIRROR].lastVerified.backupId, id);
});

test('verify --target on a damaged repository: a data pack overwritten → exit 1 with restic check\'s finding', async () => {
  // A copy of the repository, so the others stay whole; every slice read at once (readDataDays 1).
  const damaged = join(root, 'offsite', 'kaputt');
  await cp(repo, damaged, { recursive: true });
  const damagedConfig = join(root, 'config-kaputt.json');
  await writeConfig(damagedConfig, { backupDir, mirrors: [{ name: MIRROR, type: 'restic', repository: damaged, readDataDays: 1 }] });
  const ok = await cli(['verify', '--target', MIRROR, '--json', '--config', damagedConfig], { PRAXIS_BACKUP_TEST_NOW: '2026-11-24T09:00:00Z' });
  assert.is(ok.code, 0, 'the copy is whole before it is damaged: ' + ok.stderr + ok.stdout.slice(-2000));
  assert.is(logParams(ok, 'offsite.checking')!.slice, '1/1');

  // The biggest pack holds file data (trees are small); overwrite bytes in its middle.
  const packs = restic(damaged, ['list', 'packs', '--no-lock']).trim().split('\n');
  const file = (p: string) => join(damaged, 'data', p.slice(0, 2), p);
  const biggest = packs.sort((a, b) => statSync(file(b)).size - statSync(file(a)).size)[0]!;
  const path = file(biggest);
  const buf = readFileSync(path);
  for (let i = Math.floor(buf.length / 2); i < Math.floor(buf.length / 2) + 64; i++) buf[i] = buf[i]! ^ 0x5a;
  execFileSync('chmod', ['u+w', path]);
  writeFileSync(path, buf);

  const r = await cli(['verify', '--target', MIRROR, '--json', '--config', damagedConfig], { PRAXIS_BACKUP_TEST_NOW: '2026-11-24T10:00:00Z' });
  assert.is(r.code, 1, r.stderr + r.stdout.slice(-3000));
  const v = summaryOf(r).verification;
  assert.is(v.ok, false);
  const found = v.problems.find((p: any) => p.key === 'offsite.checkFailed');
  assert.ok(found, JSON.stringify(v.problems));
  assert.ok(String(found.params.detail).includes(biggest.slice(0, 8)), `restic's finding names the pack: ${found.params.detail}`);
  const status = JSON.parse(readFileSync(join(kr.home, '.local', 'state', 'praxis-backup', 'status.json'), 'utf8'));
  assert.is(status.destinations[MIRROR].lastVerified.ok, false);
});

test.run();

// Issue 17's main promise, through the built CLI: a practice (real PostgreSQL, real MariaDB, an
// attachments folder) sends its nightly backup to a restic repository; the server burns down
// (local backups, state, databases, attachments and keyring gone); a new server gets everything
// back with nothing but the Notfallblatt — the repository address and the passphrase read from the
// sheet's HTML as a person types them. The sheet's by-hand restic commands are run too, so they are
// proven, not just printed. And a backup id that is not in the repository is refused (exit 2).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generatePassphrase } from '../../src/encryption/passphrase';
import { CLI } from '../helpers/cli';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleFiles, createSampleMariadb, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, registerCleanup, runCleanups } from '../helpers/temp';

const test = suite('restore from a restic repository after the server burned down (CLI)');

const MIRROR = 'offsite';
const PG_DB = 'tomedo_brand';
const MARIA_DB = 'elexis_brand';
let root: string;
let pg: PgServer;
let maria: MariaServer;

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

function cliWith(env: Record<string, string>) {
  return async (args: string[], input?: string, at?: string): Promise<Cli> => {
    const r = await execa(process.execPath, [CLI, ...args], { env: at ? { ...env, PRAXIS_BACKUP_TEST_NOW: at } : env, extendEnv: false, reject: false, ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
    return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

/** Per table: row count and a checksum of every row's text, in a fixed order. */
async function pgTables(db: string): Promise<Record<string, string>> {
  const tables = (await pg.psql(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`, db)).split('\n').filter(Boolean);
  const out: Record<string, string> = {};
  for (const t of tables) out[t] = (await pg.psql(`SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '-') FROM "${t}" x`, db)).trim();
  return out;
}

async function mariaTables(db: string): Promise<Record<string, string>> {
  const tables = (await maria.sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${db}' AND table_type = 'BASE TABLE' ORDER BY 1`)).split('\n').filter(Boolean);
  const out: Record<string, string> = {};
  for (const t of tables) {
    const count = (await maria.sql(`SELECT count(*) FROM \`${t}\``, db)).trim();
    // CHECKSUM TABLE … EXTENDED reads every row: the same rows give the same number.
    const sum = (await maria.sql(`CHECKSUM TABLE \`${t}\` EXTENDED`, db)).trim().split('\t').at(-1);
    out[t] = `${count} ${sum}`;
  }
  return out;
}

const unescapeHtml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** What a person reads off the sheet: the repository address row, the passphrase box (groups joined as printed) and the code blocks. */
function readSheet(html: string): { repository: string; passphrase: string; typedWithDashes: boolean; code: string[] } {
  const row = /<tr><th>Repository<\/th><td>([^<]*)<\/td><\/tr>/.exec(html);
  assert.ok(row, 'the sheet has a repository row');
  const box = /<div class="pass">([\s\S]*?)<\/div>/.exec(html);
  assert.ok(box, 'the sheet has a passphrase box');
  const passphrase = [...box[1]!.matchAll(/<span class="(?:grp|sep)">([^<]*)<\/span>/g)].map((m) => unescapeHtml(m[1]!)).join('');
  return {
    repository: unescapeHtml(row[1]!),
    passphrase,
    typedWithDashes: html.includes('Genau so eingeben, mit den Bindestrichen'),
    code: [...html.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((m) => unescapeHtml(m[1]!)),
  };
}

function practiceConfig(backupDir: string, files: string, repository: string): string {
  return JSON.stringify({
    backupDir,
    practiceName: 'Praxis Dr. Brand',
    components: [
      { name: 'datenbank', type: 'postgres', database: PG_DB, host: '127.0.0.1', port: pg.port, user: pg.user },
      { name: 'elexis', type: 'mariadb', database: MARIA_DB, host: '127.0.0.1', port: maria.port, user: maria.user },
      { name: 'anhaenge', type: 'folder', path: files },
    ],
    retention: { keep: 5 },
    mirrors: [{ name: MIRROR, type: 'restic', repository }],
  });
}

/** State of the whole scenario shared by the tests below (they run in order). */
let newServer: { env: Record<string, string>; configFile: string; backupDir: string; backupId: string; kr: TestKeyring };

test.before(async () => {
  root = await makeTempDir('praxis-offsite-restore-');
  [pg, maria] = await Promise.all([startPostgres(), startMariadb()]);
  registerCleanup(() => pg.stop());
  registerCleanup(() => maria.stop());
});
test.after(() => runCleanups());

test('the server burns down; from the Notfallblatt alone the new server lists the repository and restores PostgreSQL, MariaDB and the attachments', async () => {
  // ---- the practice, as it was ---------------------------------------------------------------------
  await createSamplePostgres(pg, PG_DB, { patients: 40 });
  await createSampleMariadb(maria, MARIA_DB, { patients: 30 });
  const pgBefore = await pgTables(PG_DB);
  const mariaBefore = await mariaTables(MARIA_DB);
  assert.ok(Object.values(pgBefore).some((v) => !v.startsWith('0 ')) && Object.values(mariaBefore).some((v) => !v.startsWith('0 ')), 'the samples have rows');
  for (const v of Object.values(pgBefore)) assert.match(v, /^\d+ [0-9a-f]{32}$/);
  for (const v of Object.values(mariaBefore)) assert.match(v, /^\d+ \d+$/);
  const old = join(root, 'alter-server');
  const files = join(old, 'Praxis Anhänge');
  await createSampleFiles(files, { files: 25, bytesEach: 12_000 });
  const original = new Map(filesUnder(files).map((f) => [f, sha256(join(files, f))]));
  // The repository: off the server (its own place, not inside the backup directory).
  const repository = join(root, 'speicherbox', 'praxis-repo');
  await mkdir(join(root, 'speicherbox'));
  const oldKr = await startKeyring();
  const stopOld = registerCleanup(() => oldKr.stop());
  const dbPasswords = { PRAXIS_BACKUP_PASSWORD_DATENBANK: pg.password, PRAXIS_BACKUP_PASSWORD_ELEXIS: maria.password };
  const oldEnv = { ...oldKr.env, PATH: process.env.PATH!, LANG: 'de_DE.UTF-8', TZ: 'UTC', PRAXIS_BACKUP_NOTIFY: 'none', ...dbPasswords };
  const oldCli = cliWith(oldEnv);
  const configFile = join(old, 'config.json');
  const backupDir = join(old, 'Praxis-Backup');
  await writeFile(configFile, practiceConfig(backupDir, files, repository));

  // The repository's password is the mirror's passphrase: stored, then the repository made with it.
  const passphrase = generatePassphrase();
  const set = await oldCli(['encryption', 'set-passphrase', MIRROR, '--config', configFile], passphrase + '\n');
  assert.is(set.code, 0, set.stderr);
  await execa('restic', ['init'], { env: { PATH: process.env.PATH!, HOME: oldKr.home, RESTIC_REPOSITORY: repository, RESTIC_PASSWORD: passphrase }, extendEnv: false });

  const run = await oldCli(['run', '--json', '--config', configFile], undefined, '2026-11-26T02:15:00Z');
  assert.is(run.code, 0, run.stderr + run.stdout.slice(-3000));
  const backupId = lastJson(run.stdout).summary.backupId as string;
  assert.is(backupId, '20261126_021500', 'the id is the backup\'s start on the injected clock');
  const sent = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.type === 'log' && e.message?.key === 'offsite.sent');
  assert.ok(sent, 'the backup went off-site');
  assert.is(sent.message.params.id, backupId);

  const sheets = join(old, 'sheets');
  await mkdir(sheets);
  const sheet = await oldCli(['emergency-sheet', MIRROR, '--out', sheets, '--config', configFile]);
  assert.is(sheet.code, 0, sheet.stderr);
  const html = readFileSync(join(sheets, readdirSync(sheets).find((n) => n.endsWith('.html'))!), 'utf8');

  // ---- the fire --------------------------------------------------------------------------------------
  await pg.psql(`DROP DATABASE ${PG_DB}`);
  await maria.sql(`DROP DATABASE ${MARIA_DB}`);
  rmSync(files, { recursive: true });
  rmSync(backupDir, { recursive: true });
  rmSync(join(oldKr.home, '.local', 'state', 'praxis-backup'), { recursive: true });
  stopOld();
  await oldKr.stop();

  // ---- the new server: an empty keyring, its own HOME, the sheet in hand --------------------------------
  const read = readSheet(html);
  assert.is(read.repository, repository, 'the address on the sheet is the repository');
  assert.ok(read.typedWithDashes, 'the sheet says to type the dashes');
  const typed = read.passphrase;
  const kr = await startKeyring();
  registerCleanup(() => kr.stop());
  assert.is(await kr.lookup(`encryption://${MIRROR}`), null, 'the new keyring is empty');
  const env = { ...kr.env, PATH: process.env.PATH!, LANG: 'de_DE.UTF-8', TZ: 'UTC', PRAXIS_BACKUP_NOTIFY: 'none', ...dbPasswords };
  const cli = cliWith(env);
  const fresh = join(root, 'neuer-server');
  await mkdir(fresh);
  const newConfig = join(fresh, 'config.json');
  const newBackupDir = join(fresh, 'Praxis-Backup');
  // Same components (the practice software is installed again), the address from the sheet.
  await writeFile(newConfig, practiceConfig(newBackupDir, files, read.repository));
  assert.not.ok(existsSync(newBackupDir), 'nothing there yet');

  const stored = await cli(['encryption', 'set-passphrase', MIRROR, '--config', newConfig], typed + '\n');
  assert.is(stored.code, 0, stored.stderr);
  // Is the copy sound? Checked before anything else, while there is no backup directory yet.
  const checked = await cli(['verify', '--target', MIRROR, '--json', '--config', newConfig], undefined, '2026-11-27T09:00:00Z');
  assert.is(checked.code, 0, checked.stderr + checked.stdout.slice(-3000));
  assert.is(lastJson(checked.stdout).summary.backupId, backupId);
  const listed = await cli(['list', '--mirror', MIRROR, '--json', '--config', newConfig]);
  assert.is(listed.code, 0, listed.stderr);
  const ids = (lastJson(listed.stdout).backups as { id: string }[]).map((b) => b.id);
  assert.equal(ids, [backupId]);
  const newest = ids[0]!;

  // With the safety backup asked for, there is nothing to back up (the databases are gone): refused,
  // nothing changed, and the message says how to go on.
  const guarded = await cli(['restore', newest, '--from-mirror', MIRROR, '--yes', '--config', newConfig]);
  assert.is(guarded.code, 1, guarded.stderr);
  assert.match(guarded.stderr, /--no-safety-backup/);
  assert.not.ok(existsSync(files), 'nothing restored');
  assert.not.ok(existsSync(join(newBackupDir, `.restore-from-${MIRROR}`)), 'the scratch folder is gone after a refusal too');

  const restored = await cli(['restore', newest, '--from-mirror', MIRROR, '--yes', '--no-safety-backup', '--json', '--config', newConfig]);
  assert.is(restored.code, 0, restored.stderr + restored.stdout.slice(-4000));
  assert.equal(await pgTables(PG_DB), pgBefore, 'PostgreSQL: every table, rows and content');
  assert.equal(await mariaTables(MARIA_DB), mariaBefore, 'MariaDB: every table, rows and content');
  assert.equal(filesUnder(files), [...original.keys()], 'the same attachment files');
  for (const [f, sum] of original) assert.is(sha256(join(files, f)), sum, f);
  assert.not.ok(existsSync(join(newBackupDir, `.restore-from-${MIRROR}`)), 'the scratch folder is gone');
  for (const out of [stored, checked, listed, guarded, restored]) assert.not.ok((out.stdout + out.stderr).includes(passphrase), 'passphrase never printed');

  newServer = { env, configFile: newConfig, backupDir: newBackupDir, backupId, kr };

  // ---- the sheet's own restic commands, by hand, without Praxis-Backup -----------------------------------
  const envStep = read.code.find((c) => c.startsWith('export RESTIC_REPOSITORY='));
  const listStep = read.code.find((c) => c.startsWith('restic snapshots'));
  const restoreStep = read.code.find((c) => c.includes('restic restore latest --tag'));
  assert.ok(envStep && listStep && restoreStep, `the recipe's steps: ${JSON.stringify(read.code)}`);
  const handHome = join(root, 'von-hand');
  await mkdir(handHome);
  // The password is typed at `read -rs` (stdin), exactly as on the sheet; nothing else is given.
  const bash = (script: string) =>
    execa('bash', ['-c', `set -euo pipefail\n${script}`], { env: { PATH: process.env.PATH!, HOME: handHome, LANG: 'de_DE.UTF-8' }, extendEnv: false, input: typed + '\n', reject: false });
  const shown = await bash(`${envStep}\n${listStep}`);
  assert.is(shown.exitCode, 0, String(shown.stderr));
  // The reader finds the backup's name in the "Tags" column …
  const tagged = /praxis-backup,(\d{8}_\d{6})|(\d{8}_\d{6}),praxis-backup/.exec(String(shown.stdout));
  assert.ok(tagged, String(shown.stdout));
  const seen = tagged[1] ?? tagged[2]!;
  assert.is(seen, backupId);
  // … and writes it into the placeholder of the restore step.
  assert.ok(restoreStep.includes('JJJJMMTT_HHMMSS'), restoreStep);
  const fetched = await bash(`${envStep}\n${restoreStep.replace('JJJJMMTT_HHMMSS', seen)}`);
  assert.is(fetched.exitCode, 0, String(fetched.stderr));
  const folder = join(handHome, 'praxis-restore', seen);
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
  assert.is(manifest.id, backupId);
  const dump = manifest.components.find((c: any) => c.name === 'datenbank');
  assert.is(sha256(join(folder, dump.path)), dump.sha256, 'the PostgreSQL dump as it was made');
  for (const [f, sum] of original) assert.is(sha256(join(folder, 'anhaenge', f)), sum, f);
});

test('restore of an id that is not in the repository: exit 2, naming the ids that are there', async () => {
  assert.ok(newServer, 'runs after the burn-down test');
  const cli = cliWith(newServer.env);
  const r = await cli(['restore', '20200101_000000', '--from-mirror', MIRROR, '--yes', '--no-safety-backup', '--config', newServer.configFile]);
  assert.is(r.code, 2, r.stderr + r.stdout);
  assert.ok(r.stderr.includes('20200101_000000'), r.stderr);
  assert.ok(r.stderr.includes(newServer.backupId), `the ids there are named: ${r.stderr}`);
  assert.not.ok(existsSync(join(newServer.backupDir, `.restore-from-${MIRROR}`)), 'no scratch folder left');
});

test('on the new server: a dry run fetches and shows the plan, changes nothing, leaves no scratch folder; verify --target checks the repository from there', async () => {
  assert.ok(newServer, 'runs after the burn-down test');
  const cli = cliWith(newServer.env);
  const pgNow = await pgTables(PG_DB);
  const marker = join(root, 'alter-server', 'Praxis Anhänge', 'nach-dem-brand.txt');
  await writeFile(marker, 'neu auf dem neuen Server\n');
  const dry = await cli(['restore', newServer.backupId, '--from-mirror', MIRROR, '--dry-run', '--json', '--config', newServer.configFile]);
  assert.is(dry.code, 0, dry.stderr + dry.stdout.slice(-3000));
  const plan = dry.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.type === 'restore-plan');
  assert.ok(plan, 'the plan is shown');
  assert.equal(plan.plan.components.map((c: any) => c.name), ['datenbank', 'elexis', 'anhaenge']);
  assert.ok(existsSync(marker), 'a dry run changes nothing');
  assert.equal(await pgTables(PG_DB), pgNow);
  assert.not.ok(existsSync(join(newServer.backupDir, `.restore-from-${MIRROR}`)), 'no scratch folder left');

  const v = await cli(['verify', '--target', MIRROR, '--json', '--config', newServer.configFile], undefined, '2026-11-28T09:00:00Z');
  assert.is(v.code, 0, v.stderr + v.stdout.slice(-3000));
  assert.is(lastJson(v.stdout).summary.backupId, newServer.backupId);
  const status = JSON.parse(readFileSync(join(newServer.kr.home, '.local', 'state', 'praxis-backup', 'status.json'), 'utf8'));
  assert.is(status.destinations[MIRROR].lastVerified.ok, true);
});

test.run();

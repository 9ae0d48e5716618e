// "A practice whose server burned down can still open its backup with the sheet from the safe."
// Taken literally: the real product sets up an encrypted USB-disk mirror (gocryptfs on an ext4
// loop disk, found by its label), backs up a PostgreSQL database and the attachments, and writes
// the Notfallblatt. Then the server is gone — database dropped, attachments and local backups
// deleted, no Praxis-Backup and no keyring on the "new machine" — and the Linux steps are taken
// from the written sheet's HTML and run in bash exactly as printed. Only what a reader does by
// hand is done for them, and each is said below: the newest backup's name copied from `ls` into
// the placeholder, the passphrase typed from the sheet.
import { execa } from 'execa';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI } from '../helpers/cli';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { makeLoopDisk, mountsOf } from '../helpers/loop-disk';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleFiles, createSampleMariadb, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('the Notfallblatt, followed step by step on a new machine');
let pg: PgServer;
let maria: MariaServer;
let kr: TestKeyring;
let root: string;

const LABEL = 'PRAXIS-TRESOR';

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

const unescapeHtml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** The code blocks of the sheet's Linux section, in order, as printed. */
function linuxSteps(html: string): string[] {
  const start = html.indexOf('<h2>Linux');
  assert.ok(start > 0, 'the sheet has a Linux section');
  const end = html.indexOf('</section>', start);
  return [...html.slice(start, end).matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((m) => unescapeHtml(m[1]!));
}

async function mariaCounts(db: string): Promise<Record<string, number>> {
  const tables = (await maria.sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${db}' AND table_type = 'BASE TABLE' ORDER BY 1`)).split('\n').filter(Boolean);
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = Number(await maria.sql(`SELECT count(*) FROM \`${t}\``, db));
  return out;
}

async function rowCounts(db: string): Promise<Record<string, number>> {
  const tables = (await pg.psql(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`, db)).split('\n').filter(Boolean);
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = Number(await pg.psql(`SELECT count(*) FROM "${t}"`, db));
  return out;
}

test.before(async () => {
  root = await makeTempDir('praxis-sheet-walk-');
  [pg, maria, kr] = await Promise.all([startPostgres(), startMariadb(), startKeyring()]);
});
test.after(async () => {
  await kr?.stop();
  await pg?.stop();
  await maria?.stop();
  await runCleanups();
});

test('Linux: the printed steps open the encrypted USB disk and bring back both databases and the attachments, without Praxis-Backup', async () => {
  // ---- the practice, as it was -------------------------------------------------------------------
  const db = 'praxis_tresor';
  await createSamplePostgres(pg, db, { patients: 40 });
  const before = await rowCounts(db);
  assert.ok(Object.values(before).some((n) => n > 0), 'the sample has rows');
  const mdb = 'elexis_tresor';
  await createSampleMariadb(maria, mdb, { patients: 30 });
  const mariaBefore = await mariaCounts(mdb);
  assert.ok(Object.values(mariaBefore).some((n) => n > 0), 'the MariaDB sample has rows');
  const files = join(root, 'Praxis Anhänge'); // a space and an umlaut, as in real folder names
  await createSampleFiles(files, { files: 12, bytesEach: 8_000 });
  const original = new Map(filesUnder(files).map((f) => [f, readFileSync(join(files, f))]));
  const disk = await makeLoopDisk({ sizeMiB: 64, label: LABEL });
  const dir = join(root, 'server');
  mkdirSync(dir);
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir: join(dir, 'backups'),
      practiceName: 'Praxis Dr. Tresor',
      components: [
        { name: 'datenbank', type: 'postgres', database: db, host: '127.0.0.1', port: pg.port, user: pg.user },
        { name: 'elexis', type: 'mariadb', database: mdb, host: '127.0.0.1', port: maria.port, user: maria.user },
        { name: 'anhaenge', type: 'folder', path: files },
      ],
      mirrors: [{ name: 'usb', type: 'volume', volume: { label: LABEL }, encrypt: true, eject: false }],
    }),
  );
  const sheets = join(dir, 'sheets');
  mkdirSync(sheets);
  const env = { ...kr.env, LANG: 'de_DE.UTF-8', PRAXIS_BACKUP_NOTIFY: 'none', PRAXIS_BACKUP_PASSWORD_DATENBANK: pg.password, PRAXIS_BACKUP_PASSWORD_ELEXIS: maria.password, PRAXIS_BACKUP_MOUNT_BASE: join(root, 'mounts') };
  const cli = (args: string[]) => execa(process.execPath, [CLI, ...args], { env, extendEnv: false, stdin: 'ignore', reject: false });

  const setup = await cli(['encryption', 'setup', 'usb', '--config', configFile, '--out', sheets, '--yes']);
  assert.is(setup.exitCode, 0, String(setup.stderr));
  const run = await cli(['run', '--config', configFile, '--json']);
  assert.is(run.exitCode, 0, String(run.stderr));
  const backupId = JSON.parse(String(run.stdout).trim().split('\n').at(-1)!).summary.backupId as string;
  assert.equal(mountsOf(disk.device), [], 'the disk is unmounted after the mirror');
  const sheetFile = readdirSync(sheets).find((n) => n.endsWith('.html'))!;
  const html = readFileSync(join(sheets, sheetFile), 'utf8');
  const passphrase = (await kr.lookup('encryption://usb'))!;
  assert.ok(passphrase);

  // ---- the fire: database, attachments, local backups and keyring gone ----------------------------
  await pg.psql(`DROP DATABASE ${db}`);
  await maria.sql(`DROP DATABASE ${mdb}`);
  rmSync(files, { recursive: true });
  rmSync(join(dir, 'backups'), { recursive: true });
  await kr.stop();

  // ---- a new machine, the sheet in hand ------------------------------------------------------------
  // The desktop mounts the plugged-in disk under /media/<user>/<label>, as the sheet says.
  const user = `praxis${process.pid}`;
  const media = join('/media', user, LABEL);
  await mkdir(media, { recursive: true });
  await execa('mount', [disk.device, media]);
  const home = join(root, 'neuer-rechner');
  mkdirSync(home);
  try {
    const steps = linuxSteps(html);
    assert.ok(steps.length >= 5, `${steps.length} steps`);
    // What the reader does: after `ls` they write the newest folder's name into the placeholder.
    const script = steps.map((s) => s.replace('JJJJMMTT_HHMMSS', backupId)).join('\n');
    assert.not.ok(script.includes(passphrase), 'the passphrase is typed, not part of a command');
    const scriptFile = join(root, 'notfallblatt.sh');
    writeFileSync(
      scriptFile,
      [
        'set -euo pipefail',
        // This machine runs as root and has no internet: `sudo` just runs the command (with -u
        // postgres: the server's superuser comes from PGUSER below), and `apt install` only checks
        // that the program is there (setup.sh installs gocryptfs).
        'sudo() { if [ "$1" = "-u" ]; then shift 2; fi; "$@"; }',
        'apt() { shift; command -v "$1" >/dev/null; }',
        script,
      ].join('\n'),
    );
    const pgEnv = { PGHOST: '127.0.0.1', PGPORT: String(pg.port), PGUSER: pg.user, PGPASSWORD: pg.password };
    // `sudo mariadb` is the server's root over its socket on a real machine; here the test
    // server's admin login, given the way a client reads it: ~/.my.cnf.
    writeFileSync(join(home, '.my.cnf'), `[client]\nhost=127.0.0.1\nport=${maria.port}\nuser=${maria.user}\npassword=${maria.password}\n`, { mode: 0o600 });
    const r = await execa('bash', [scriptFile], {
      // gocryptfs asks for the password: typed from the sheet, with its dashes as printed.
      input: `${passphrase}\n`,
      env: { PATH: `${pg.binDir}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`, HOME: home, USER: user, LANG: 'de_DE.UTF-8', ...pgEnv },
      extendEnv: false,
      reject: false,
    });
    assert.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}\n--- script ---\n${script}`);

    // The database is back, every table with its rows; the attachments byte for byte.
    assert.equal(await rowCounts(db), before);
    assert.equal(await mariaCounts(mdb), mariaBefore);
    assert.equal(filesUnder(files), [...original.keys()]);
    for (const [f, b] of original) assert.ok(readFileSync(join(files, f)).equals(b), f);
    // The last step closed the decrypted view again.
    assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(join(home, 'praxis-klar')), 'decrypted view closed');
  } finally {
    await execa('umount', [media], { reject: false });
    rmSync(join('/media', user), { recursive: true, force: true });
  }
});

test.run();

// A practice on Firebird (indamed MEDICAL OFFICE) end to end, through the built CLI and a real
// Firebird 3 server: `run` backs the database up with gbak into <name>.fbk, `verify
// --restore-test` loads it into a scratch database and counts every table, `restore` puts it back
// in place of the live database (the previous file kept beside it), and the Datensicherungskonzept
// shows the by-hand gbak step. The engine has no Firebird code of its own: all of it is the
// kind's (src/databases/firebird/), found through the registry. The CLI runs with LANG=de_DE.UTF-8,
// which this machine does not have installed (as a locale missing under launchd or systemd): the
// database path with an umlaut must still reach the server intact (connection.ts, fbEnv).
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allText, cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { firebirdAvailable, startFirebird, type FbServer } from '../helpers/firebird';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('backup, restore test and restore of a Firebird database through the CLI');
// Characters that break naive quoting; ASCII only (the test server's SYSDBA refuses umlauts, see firebird.contract.test.ts).
const PW = "Med'Off \"4\" ; $HOME";

let fb: FbServer;
let root: string;
let env: CliEnv;
let live: string;
let configFile: string;
let backupDir: string;

const passwordEnv = () => ({ ...env.env, PRAXIS_BACKUP_PASSWORD_MEDOFF: PW, PRAXIS_BACKUP_NOTIFY: 'none' });

/** Rows of the two tables as one string, counted by isql on its own. */
async function rows(file: string): Promise<string> {
  const out = await fb.sql(file, `select 'R|' || (select count(*) from "Patienten Übersicht") || '|' || (select count(*) from BEFUNDE) from rdb$database;`);
  return /R\|(\d+\|\d+)/.exec(out)![1]!;
}

test.before(async () => {
  if (!firebirdAvailable()) throw new Error('Firebird test server needs root and Debian\'s firebird3.0-server firebird3.0-utils (scripts/setup.sh installs them)');
  root = await makeTempDir('praxis-fb-cli-');
  fb = await startFirebird({ password: PW });
  live = await fb.createDb('Praxis Müller');
  await fb.sql(live, `create table "Patienten Übersicht" (id integer not null primary key, "Name äöü" varchar(100));
create table BEFUNDE (id integer not null primary key, patient integer, text varchar(400));
commit;
${Array.from({ length: 30 }, (_, i) => `insert into "Patienten Übersicht" values (${i}, 'Jürgen Größ ${i}');`).join('\n')}
set term ^;
execute block as declare i integer = 0; begin while (i < 3000) do begin insert into BEFUNDE values (:i, mod(:i, 30), 'Befund ä ' || :i); i = i + 1; end end^
set term ;^
commit;
`);
  backupDir = join(root, 'backups');
  env = await cliEnv(root);
  configFile = join(root, 'config.json');
  await writeFile(configFile, JSON.stringify({
    backupDir,
    components: [{ name: 'medoff', type: 'firebird', database: live, host: fb.host, port: fb.port }],
    retention: { keep: 5 },
  }, null, 2));
});

test.after(async () => {
  await fb?.stop();
  await runCleanups();
});

let backupId: string;

test('run: exit 0, <name>.fbk with its sha256 and the rows of both tables in the manifest; the password nowhere the tool writes', async () => {
  const r = await runCli(['run', '--config', configFile, '--json'], passwordEnv());
  assert.is(r.code, 0, r.stderr + r.stdout.slice(-2000));
  backupId = r.events.at(-1)!.summary.backupId;
  const folder = join(backupDir, backupId);
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
  const entry = manifest.components.find((c: { name: string }) => c.name === 'medoff');
  assert.is(entry.type, 'firebird');
  assert.is(entry.path, 'medoff.fbk');
  assert.is(entry.sha256, createHash('sha256').update(readFileSync(join(folder, 'medoff.fbk'))).digest('hex'));
  assert.equal(entry.rows, { 'Patienten Übersicht': 30, BEFUNDE: 3000 });
  assert.is(entry.rowsExact, 'dump');
  assert.match(entry.serverVersion, /^3\.0\./);
  assert.equal(readdirSync(folder).filter((f) => f.includes('partial')), []);
  assert.not.ok(allText(root).includes(PW), 'the password in a file under the test folder');
  assert.not.ok(r.stdout.includes(PW) || r.stderr.includes(PW));
});

test('verify --restore-test: the dump loads into a scratch database, every table counted, and the scratch file is gone', async () => {
  const r = await runCli(['verify', backupId, '--restore-test', '--config', configFile, '--json'], passwordEnv());
  assert.is(r.code, 0, r.stderr + r.stdout.slice(-2000));
  const passed = r.events.find((e) => e.type === 'log' && e.message?.key === 'verify.restoreTestPassed');
  assert.ok(passed, r.stdout.slice(-2000));
  assert.equal(passed!.message.params, { component: 'medoff', tables: 2, counted: 2 });
  assert.ok(r.stdout.includes('praxis_verify_'), 'the scratch database is named in the log');
  assert.equal(readdirSync(fb.dataDir).filter((f) => f.startsWith('praxis_verify_')), []);
});

test('restore: the live database holds the backup again, the previous file is kept beside it', async () => {
  const backedUp = await rows(live);
  await fb.sql(live, `delete from BEFUNDE where id < 100; insert into "Patienten Übersicht" values (999, 'nach dem Backup'); commit;`);
  const changed = await rows(live);
  assert.is.not(changed, backedUp);
  const r = await runCli(['restore', backupId, '--yes', '--no-safety-backup', '--config', configFile], passwordEnv());
  assert.is(r.code, 0, r.stderr + r.stdout.slice(-2000));
  assert.is(await rows(live), backedUp);
  const kept = readdirSync(fb.dataDir).filter((f) => /^Praxis Müller_vor_restore_\d{8}_\d{6}\.fdb$/.test(f));
  assert.is(kept.length, 1, readdirSync(fb.dataDir).join(', '));
  assert.is(await rows(join(fb.dataDir, kept[0]!)), changed);
  assert.ok(existsSync(live));
});

test('the Datensicherungskonzept names the Firebird dump and the by-hand gbak step', async () => {
  const out = join(root, 'Konzept.pdf');
  const r = await runCli(['concept', '--config', configFile, '--out', out], passwordEnv());
  assert.is(r.code, 0, r.stderr);
  const text = (await execa('pdftotext', [out, '-'])).stdout;
  assert.ok(text.includes('medoff.fbk'), text);
  assert.ok(text.includes('gbak -c -v "$B/medoff.fbk"'), text);
});

test.run();

// The Firebird kind's pure parts against recorded real output (test/fixtures/firebird/SOURCES.md):
// gbak -v's rows per table, the server's words from a failed call, the connected clients, the
// restore's file names, and the argv/environment the plans give the tools.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { FirebirdComponent } from '../../../src/config/schema';
import { CommandError } from '../../../src/process/runner';
import { inheritedSecret, isSecretEnvName } from '../../../src/process/secret-env';
import { NO_DATABASE, SERVER_DOWN, WRONG_LOGIN, fbLoginSignals, serverMessage } from '../../../src/databases/firebird/connection';
import { GbakRowCounter, planGbakBackup } from '../../../src/databases/firebird/dump';
import { parseClients, planGbakRestore, restoreNames } from '../../../src/databases/firebird/restore';
import { firebirdKind } from '../../../src/databases/firebird';
import { FB_TOOLS } from '../../../src/databases/firebird/tools';
import { ToolLocator } from '../../../src/process/tool-locator';

const test = suite('Firebird kind: parsers and plans');
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../../fixtures/firebird', name), 'utf8').split('\n');
const failed = (stderr: string[]) => new CommandError('gbak -b', ['gbak'], 1, undefined, stderr, [], 'exit');
const c: FirebirdComponent = { name: 'medoff', type: 'firebird', database: '/var/lib/firebird/3.0/data/Praxis Müller.fdb', host: 'localhost', port: 3050, user: 'SYSDBA' };

test('gbak -v: the last "records written" of each table is its row count, an empty table 0, names with umlauts and spaces whole', () => {
  const counter = new GbakRowCounter();
  for (const line of fixture('gbak-backup-v.stderr.txt')) counter.line(line);
  assert.equal(counter.rows, { GROSS: 25000, LEER: 0, 'Patienten Übersicht': 25 });
  assert.ok(counter.finished);
});

test('gbak -v cut off before its last line: not finished (the dump then records no rows)', () => {
  const counter = new GbakRowCounter();
  for (const line of fixture('gbak-backup-v.stderr.txt').filter((l) => !l.includes('closing file'))) counter.line(line);
  assert.not.ok(counter.finished);
});

test('the server\'s words without gbak\'s prefixes and boilerplate; which failure it is', () => {
  const wrong = serverMessage(failed(fixture('gbak-wrong-password.stderr.txt')));
  assert.is(wrong, 'Your user name and password are not defined. Ask your database administrator to set up a Firebird login.');
  assert.ok(WRONG_LOGIN.test(wrong));
  assert.equal(fbLoginSignals(fixture('gbak-wrong-password.stderr.txt')), { wantsPassword: true, ignoredFiles: [] });
  const down = serverMessage(failed(fixture('gbak-server-down.stderr.txt')));
  assert.is(down, 'Unable to complete network request to host "127.0.0.1". Failed to establish a connection.');
  assert.ok(SERVER_DOWN.test(down));
  assert.is(fbLoginSignals(fixture('gbak-server-down.stderr.txt')).wantsPassword, false);
  const missing = serverMessage(failed(fixture('gbak-missing-database.stderr.txt')));
  assert.is(missing, 'I/O error during "open" operation for file "/srv/firebird/data/gibt es nicht.fdb" Error while trying to open file No such file or directory');
  assert.ok(NO_DATABASE.test(missing));
});

test('connected clients: the workstation without its port, the program, the user', () => {
  assert.equal(parseClients([['42', 'SYSDBA', '192.168.1.20/49544', 'C:\\MO\\medoff.exe'], ['43', 'PRAXIS', '', '']]), [
    { id: '42', user: 'SYSDBA', address: '192.168.1.20', program: 'C:\\MO\\medoff.exe' },
    { id: '43', user: 'PRAXIS', address: '[local]' },
  ]);
});

test('restore names: beside the live file with its extension; only exact leftovers of ours', () => {
  const n = restoreNames('/var/lib/firebird/3.0/data/Praxis Müller.gdb', '20261202_140000');
  assert.is(n.temp, '/var/lib/firebird/3.0/data/Praxis Müller_restore_20261202_140000.gdb');
  assert.is(n.kept, '/var/lib/firebird/3.0/data/Praxis Müller_vor_restore_20261202_140000.gdb');
  assert.ok(n.isLeftover('Praxis Müller_restore_20200101_000000.gdb'));
  for (const other of ['Praxis Müller_vor_restore_20200101_000000.gdb', 'Praxis Müller_restore_alt.gdb', 'Praxis Müller_restore_20200101_000000.fdb', 'Praxis Müller.gdb'])
    assert.not.ok(n.isLeftover(other), other);
  assert.throws(() => restoreNames('/x/a.fdb', '2026-12-02'));
});

test('plans: the password only in the environment (ISC_PASSWORD), the user as ISC_USER, a UTF-8 locale; the database path whole in argv', () => {
  const pw = "Ge'heim \"1\"";
  const backup = planGbakBackup('/usr/bin/gbak', c, pw, 'linux');
  assert.equal(backup.args, ['-b', '-g', '-v', 'inet://localhost:3050//var/lib/firebird/3.0/data/Praxis Müller.fdb', 'stdout']);
  assert.equal(backup.env, { ISC_USER: 'SYSDBA', ISC_PASSWORD: pw, LC_ALL: 'C.UTF-8' });
  assert.equal(backup.secrets, [pw]);
  const restore = planGbakRestore('/usr/bin/gbak', c, '/d/x_restore_20261202_140000.fdb', null, 'darwin');
  assert.equal(restore.args, ['-c', '-v', '-se', 'localhost/3050:service_mgr', 'stdin', '/d/x_restore_20261202_140000.fdb']);
  assert.equal(restore.env, { ISC_USER: 'SYSDBA', LC_ALL: 'en_US.UTF-8' }, 'no password: none set, ISC_PASSWORD of the admin\'s own environment may apply');
});

test('ISC_PASSWORD is a secret: kept from every child but Firebird\'s own tools (an admin may export it for them)', () => {
  assert.ok(isSecretEnvName('ISC_PASSWORD'));
  for (const tool of ['gbak', 'isql-fb', 'isql', 'gfix']) assert.ok(inheritedSecret(tool, 'ISC_PASSWORD'), tool);
  for (const other of ['rsync', 'pg_dump', 'mariadb', 'isql-odbc']) assert.not.ok(inheritedSecret(other, 'ISC_PASSWORD'), other);
});

test('the locator finds gbak, isql-fb and gfix by their specs, with the version -z prints', async () => {
  const tools = new ToolLocator('linux', process.env);
  for (const spec of Object.values(FB_TOOLS)) {
    const found = await tools.find(spec);
    assert.match(found.version, /V3\.0\.\d+.*Firebird 3\.0/, spec.name);
    assert.is(found.major, 3, spec.name);
  }
});

test('by hand on a Mac: gbak from Firebird\'s framework', () => {
  const [step] = firebirdKind.byHandSteps('en', { name: 'medoff', database: 'medoff' }, 'darwin');
  assert.match(step!.code!, '/Library/Frameworks/Firebird.framework/Resources/bin/gbak -c -v "$B/medoff.fbk" localhost:medoff');
  assert.match(step!.code!, "ISC_PASSWORD='<SYSDBA password>'");
});

test.run();

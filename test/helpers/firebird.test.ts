// The Firebird test server itself (issue 16 will put a Firebird database kind behind the engine's
// contract; its tests need this server first): private config and SYSDBA, 127.0.0.1 only, names
// with umlauts and spaces, gbak backup and restore with the password in the environment only,
// and nothing left running or written to the system's Firebird places.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { firebirdAvailable, startFirebird, type FbServer } from './firebird';
import { pidAlive, runCleanups } from './temp';

const test = suite('firebird test server');
let fb: FbServer;
const systemLog = '/var/log/firebird/firebird3.0.log';
const systemLogBefore = existsSync(systemLog) ? statSync(systemLog).size : -1;

test.before(async () => {
  if (!firebirdAvailable()) throw new Error('Firebird test server needs root and Debian\'s firebird3.0-server firebird3.0-utils (scripts/setup.sh installs them)');
  fb = await startFirebird();
});
test.after(async () => {
  await fb?.stop();
  await runCleanups();
});

test('listens on 127.0.0.1 only, with its own SYSDBA password', async () => {
  // The kernel's own table of listening sockets (state 0A), local address as hex ip:port.
  const hexPort = fb.port.toString(16).toUpperCase().padStart(4, '0');
  const listening = ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(1) : []))
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c[3] === '0A' && c[1]?.endsWith(`:${hexPort}`))
    .map((c) => c[1]);
  assert.equal(listening, [`0100007F:${hexPort}`], 'only 127.0.0.1');
  const file = await fb.createDb('probe');
  const wrong = await execa('isql-fb', ['-q', fb.url(file)], { env: { ISC_USER: 'SYSDBA', ISC_PASSWORD: 'not-it' }, input: 'select 1 from rdb$database;\n', reject: false });
  assert.match(`${wrong.stdout}\n${wrong.stderr}`, 'Your user name and password are not defined');
});

test('a database with umlauts and spaces backs up with gbak and restores with the same rows; the password never in argv', async () => {
  const file = await fb.createDb('Praxis Müller');
  await fb.sql(file, `create table "Patienten Übersicht" (id integer not null primary key, "Name äöü" varchar(100));\ncommit;\n` +
    Array.from({ length: 50 }, (_, i) => `insert into "Patienten Übersicht" values (${i}, 'Jürgen Größ ${i}');`).join('\n') + '\ncommit;\n');
  const fbk = join(fb.dir, 'praxis.fbk');
  const backup = execa('gbak', ['-b', '-g', fb.url(file), fbk], { env: fb.env() });
  const argv = readFileSync(`/proc/${backup.pid}/cmdline`, 'utf8');
  await backup;
  assert.not.ok(argv.includes(fb.password), 'password in gbak argv');
  const restored = join(fb.dataDir, 'restored.fdb');
  await execa('gbak', ['-c', fbk, fb.url(restored)], { env: fb.env() });
  const count = await fb.sql(restored, 'select count(*), max("Name äöü") from "Patienten Übersicht";\n');
  assert.match(count, /50\s+Jürgen Größ 9/);
});

test('stop: the server is gone and nothing was logged into the system Firebird log', async () => {
  const pid = fb.pid;
  await fb.stop();
  assert.not.ok(pidAlive(pid));
  const after = existsSync(systemLog) ? statSync(systemLog).size : -1;
  assert.is(after, systemLogBefore, 'the system log changed');
  assert.ok(existsSync(fb.log), 'the server logged into its own folder');
});

test.run();

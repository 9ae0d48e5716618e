// The first-run assistant's model with plain data in: what discovery would have found (servers,
// folders, disks, places) given as data, no tool run. Proves the proposals (practice database,
// password mode, estimate, backup directory that fits or is refused, mirror, schedule in words
// with the next runs from a fixed clock) and that the answers make a config the schema accepts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configSchema } from '../../src/config/schema';
import type { Volume } from '../../src/core/volumes';
import { render } from '../../src/i18n';
import { SetupAssistant, toConfig } from '../../src/setup-assistant/assistant';
import type { BackupDirCandidate, Discovery, FolderFacts, FoundServer } from '../../src/setup-assistant/contracts';
import { mountTmpfs } from '../helpers/tmpfs';
import { runCleanups } from '../helpers/temp';
import { componentNameFrom, proposePracticeDatabase, proposePracticeDatabases } from '../../src/setup-assistant/proposals';

const test = suite('setup assistant model');
const MB = 1024 * 1024;
const GB = 1024 * MB;

const pg = (databases: [string, number, boolean?][], over: Partial<FoundServer> = {}): FoundServer => ({
  kind: 'postgres',
  host: '/var/run/postgresql',
  port: 5432,
  via: 'socket',
  where: 'PostgreSQL /var/run/postgresql:5432',
  user: 'postgres',
  login: 'none',
  databases: databases.map(([name, sizeBytes, system]) => ({ name, sizeBytes, system: !!system })),
  ...over,
});
const maria = (databases: [string, number, boolean?][], over: Partial<FoundServer> = {}): FoundServer => ({
  ...pg(databases),
  kind: 'mariadb',
  host: '127.0.0.1',
  port: 3306,
  via: 'tcp',
  where: 'MariaDB 127.0.0.1:3306',
  user: 'root',
  ...over,
});

const facts = (path: string, bytes: number, files: number, location: FolderFacts['location'] = 'local'): FolderFacts => ({
  path,
  exists: true,
  bytes,
  files,
  location,
  fileSystem: location === 'network' ? 'nfs4' : 'ext4',
  mountPoint: '/',
});

const disk = (uuid: string | null, external = true, label: string | null = 'BACKUP'): Volume => ({
  id: '/dev/sdb1',
  label,
  uuid,
  device: '/dev/sdb1',
  wholeDisk: '/dev/sdb',
  fileSystem: 'ext4',
  mountPoint: null,
  sizeBytes: 500 * GB,
  freeBytes: null,
  external,
});

interface World {
  servers: FoundServer[];
  /** What the server lists once the right password is given. */
  withPassword?: { password: string; server: FoundServer };
  folders?: Record<string, FolderFacts>;
  /** Places with their free space; `fits` is judged against the estimate the model passes (as discovery does). */
  places?: Omit<BackupDirCandidate, 'fits'>[];
  disks?: Volume[];
}

/** A Discovery answering from data; it records the estimate it was asked to judge. */
function discovery(w: World): Discovery & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    findServers: async () => w.servers,
    listDatabases: async (server, password) =>
      w.withPassword && password === w.withPassword.password ? w.withPassword.server : { ...server, login: 'password', problem: { key: 'init.db.needsPassword', params: { where: server.where, user: server.user } } },
    folderFacts: async (path) => w.folders?.[path] ?? { path, exists: false, bytes: 0, files: 0, location: 'local', fileSystem: null, mountPoint: null },
    backupDirCandidates: async (estimate) => {
      asked.push(estimate);
      return (w.places ?? []).map((p) => ({ ...p, fits: p.freeBytes >= estimate * 1.1 }));
    },
    externalDisks: async () => w.disks ?? [],
  };
}

const NOW = new Date('2026-12-02T10:00:00Z'); // a Wednesday
const assistant = (w: World, lang: 'de' | 'en' = 'de') => new SetupAssistant({ discovery: discovery(w), now: () => NOW, timeZone: 'Europe/Berlin', lang });

test('the practice database: a name like tomedo before a bigger one, system databases never', async () => {
  const a = assistant({ servers: [pg([['postgres', 9 * GB, true], ['warehouse', 5 * GB], ['tomedo', 2 * GB]])] });
  const s = await a.discoverDatabases();
  assert.equal(s.proposal.map((d) => d.database), ['tomedo']);
  assert.equal(s.answer, s.proposal);
  assert.equal(s.answer[0], { name: 'tomedo', kind: 'postgres', host: '/var/run/postgresql', port: 5432, user: 'postgres', database: 'tomedo', password: 'none' });
});

test('without a practice name the biggest non-system database, across servers; a failed server is not proposed', () => {
  const failed = maria([['huge', 90 * GB]], { login: 'failed', problem: { key: 'init.db.noneFound' } });
  const p = proposePracticeDatabase([pg([['template1', 50 * GB, true], ['small', 1 * MB], ['big', 3 * GB]]), maria([['mid', 2 * GB], ['mysql', 8 * GB, true]]), failed]);
  assert.is(p?.database.name, 'big');
  assert.is(p?.server.kind, 'postgres');
  assert.equal(proposePracticeDatabases([pg([['big', 3 * GB]]), maria([['mid', 2 * GB]])]).map((x) => x.database.name), ['big']);
  assert.is(proposePracticeDatabase([pg([['postgres', 1, true]])]), null);
  // elexis on MariaDB wins over a bigger plain one on PostgreSQL
  assert.is(proposePracticeDatabase([pg([['big', 3 * GB]]), maria([['elexis', 1 * MB]])])?.database.name, 'elexis');
});

test('a server that asks: nothing proposed until the password is typed, then "keyring" and the password under the run\'s credential id', async () => {
  const asking = pg([], { login: 'password', host: 'localhost', via: 'tcp' });
  const a = assistant({ servers: [asking], withPassword: { password: 's3cret', server: { ...asking, login: 'none', databases: [{ name: 'praxis', sizeBytes: 10 * MB, system: false }] } } });
  let s = await a.discoverDatabases();
  assert.equal(s.answer, []);
  assert.ok(s.problems.some((p) => p.field === 'servers[0]' && p.message.key === 'init.db.needsPassword'));
  assert.is(await a.logIn(asking, 'wrong'), false);
  assert.equal(a.databases().answer, []);
  assert.is(a.typedPasswords().size, 0);
  assert.is(await a.logIn(asking, 's3cret'), true);
  s = a.databases();
  assert.equal(s.answer.map((d) => [d.database, d.password]), [['praxis', 'keyring']]);
  assert.equal([...a.typedPasswords()], [['postgres://postgres@localhost:5432/praxis', 's3cret']]);
  assert.not.ok(s.problems.some((p) => p.message.key === 'init.db.needsPassword'));
  // „Erneut suchen“ (a server started meanwhile): the typed password is used again, not asked anew.
  s = await a.discoverDatabases();
  assert.equal(s.answer.map((d) => [d.database, d.password]), [['praxis', 'keyring']]);
  assert.is(a.typedPasswords().size, 1);
  assert.not.ok(s.problems.some((p) => p.message.key === 'init.db.needsPassword'));
  // Chosen away: the password is not kept for a database that is not backed up.
  a.setDatabases([]);
  assert.is(a.typedPasswords().size, 0);
});

test('the estimate is the databases plus the folders; the backup directory is the first local place with that plus 10 %', async () => {
  const w: World = {
    servers: [pg([['tomedo', 3 * GB], ['other', 7 * GB]])],
    folders: { '/srv/tomedo/files': facts('/srv/tomedo/files', 5 * GB, 1200), '/srv/tomedo/server': facts('/srv/tomedo/server', 1 * GB, 300) },
    places: [
      { path: '/mnt/nas/backup', location: 'network', freeBytes: 900 * GB, totalBytes: 1000 * GB },
      { path: '/var/backups/praxis', location: 'local', freeBytes: 9 * GB, totalBytes: 100 * GB }, // 8.8 GB needed: fits
      { path: '/home/praxis-backup', location: 'local', freeBytes: 8.5 * GB, totalBytes: 100 * GB }, // too small
    ],
  };
  const a = assistant(w);
  await a.discoverDatabases();
  const f = await a.setFolders([a.folderFor('/srv/tomedo/files', 'data'), a.folderFor('/srv/tomedo/server', 'program')]);
  assert.equal(f.answer.map((x) => x.name), ['files', 'server']);
  assert.equal(f.facts.map((x) => [x.bytes, x.files]), [[5 * GB, 1200], [1 * GB, 300]]);
  const b = await a.discoverBackupDirs();
  assert.is(b.estimateBytes, 9 * GB);
  assert.is(b.neededBytes, Math.ceil(9 * GB * 1.1));
  assert.is(b.proposal, null, '9 GB free is less than 9.9 GB');
  assert.equal(b.problems.map((p) => p.message.key), ['init.backupDir.none']);
  // A smaller database: 8 GB × 1.1 = 8.8 GB fits the first local place, not the network one.
  const a2 = assistant({ ...w, servers: [pg([['tomedo', 2 * GB]])] });
  await a2.discoverDatabases();
  await a2.setFolders([a2.folderFor('/srv/tomedo/files', 'data'), a2.folderFor('/srv/tomedo/server', 'program')]);
  const b2 = await a2.discoverBackupDirs();
  assert.is(b2.estimateBytes, 8 * GB);
  assert.is(b2.proposal, '/var/backups/praxis');
  assert.is(b2.answer, '/var/backups/praxis');
  assert.equal(b2.problems, []);
});

test('a backup directory on a removable or network disk is refused, too little room is said with both numbers', async () => {
  const a = assistant({
    servers: [pg([['tomedo', 2 * GB]])],
    folders: { '/media/usb/backup': facts('/media/usb/backup', 0, 0, 'removable'), '/mnt/nas/b': facts('/mnt/nas/b', 0, 0, 'network'), '/data/b': facts('/data/b', 0, 0) },
  });
  await a.discoverDatabases();
  let b = await a.setBackupDir('/media/usb/backup', { freeBytes: 900 * GB, totalBytes: 1000 * GB });
  assert.equal(b.problems.map((p) => [p.field, p.level, p.message.key]), [['backupDir', 'error', 'init.backupDir.removable']]);
  b = await a.setBackupDir('/mnt/nas/b', { freeBytes: 900 * GB, totalBytes: 1000 * GB });
  assert.equal(b.problems.map((p) => p.message.key), ['init.backupDir.network']);
  b = await a.setBackupDir('/data/b', { freeBytes: 2 * GB, totalBytes: 10 * GB });
  assert.equal(b.problems.map((p) => p.message.key), ['init.backupDir.tooSmall']);
  assert.match(render('de', b.problems[0]!.message), /2,0 GB frei, nötig sind 2,2 GB/);
  b = await a.setBackupDir('/data/b', { freeBytes: 3 * GB, totalBytes: 10 * GB });
  assert.equal(b.problems, []);
  assert.is(a.finish().config?.backupDir, '/data/b');
  b = await a.setBackupDir('relative/dir');
  assert.equal(b.problems.map((p) => p.message.key), ['init.folder.notAbsolute']);
  assert.is(a.finish().config, null);
});

test('folders on a network or removable disk are warned about like tomedo\'s manual; a missing one is an error naming the field', async () => {
  const a = assistant({ servers: [], folders: { '/mnt/nas/files': facts('/mnt/nas/files', 1 * MB, 3, 'network'), '/media/stick/x': facts('/media/stick/x', 1, 1, 'removable') } });
  const f = await a.setFolders([a.folderFor('/mnt/nas/files', 'data'), a.folderFor('/media/stick/x', 'data'), a.folderFor('/nope', 'program')]);
  assert.equal(f.problems.map((p) => [p.field, p.level, p.message.key]), [
    ['folders[0].path', 'warning', 'init.folder.network'],
    ['folders[1].path', 'warning', 'init.folder.removable'],
    ['folders[2].path', 'error', 'init.folder.missing'],
  ]);
  assert.match(render('de', f.problems[0]!.message), /Netzlaufwerk \(nfs4\)/);
});

test('the mirror: the first external disk with a UUID, encrypted; none attached is a warning', async () => {
  const a = assistant({ servers: [], disks: [disk(null), disk('internal-1', false), disk('1b2c-3d4e', true, 'PRAXIS-USB')] });
  const m = await a.discoverDisks();
  assert.equal(m.disks.map((d) => d.uuid), ['1b2c-3d4e']);
  assert.equal(m.answer, { name: 'usb', uuid: '1b2c-3d4e', label: 'PRAXIS-USB', encrypt: true });
  a.setMirror({ ...m.answer!, encrypt: false });
  assert.equal(a.mirror().problems.map((p) => [p.field, p.message.key]), [['mirror.encrypt', 'init.mirror.unencrypted']]);
  // No keyring reachable (nobody logged in): proposed unencrypted with the reason; choosing encryption is an error.
  const headless = new SetupAssistant({ discovery: discovery({ servers: [], disks: [disk('1b2c-3d4e', true, 'PRAXIS-USB')] }), now: () => NOW, lang: 'de', keyringReachable: async () => false });
  const h = await headless.discoverDisks();
  assert.is(h.answer?.encrypt, false);
  assert.equal(h.problems.map((p) => [p.field, p.level, p.message.key]), [['mirror.encrypt', 'warning', 'init.mirror.unencryptedNoKeyring']]);
  headless.setMirror({ ...h.answer!, encrypt: true });
  assert.equal(headless.mirror().problems.map((p) => [p.field, p.level, p.message.key]), [['mirror.encrypt', 'error', 'init.mirror.encryptNeedsKeyring']]);
  const none = await assistant({ servers: [] }).discoverDisks();
  assert.is(none.answer, null);
  assert.equal(none.problems.map((p) => p.message.key), ['init.mirror.noDisk']);
});

test('the schedule: Mo–Fr 03:15 in words with the next runs after the injected clock, in the given zone', () => {
  const a = assistant({ servers: [] });
  let s = a.schedule();
  assert.is(s.answer, '15 3 * * 1-5');
  assert.is(s.words, 'Mo–Fr um 03:15');
  // Wednesday 2 December 2026 11:00 in Berlin → Thu, Fri, Mon at 03:15 Berlin (02:15 UTC in winter).
  assert.equal(s.nextRuns.map((d) => d.toISOString()), ['2026-12-03T02:15:00.000Z', '2026-12-04T02:15:00.000Z', '2026-12-07T02:15:00.000Z']);
  assert.is(assistant({ servers: [] }, 'en').schedule().words, 'Mon–Fri at 03:15');
  a.setSchedule('0 22 * * 0');
  s = a.schedule();
  assert.is(s.words, 'So um 22:00');
  assert.equal(s.nextRuns[0]!.toISOString(), '2026-12-06T21:00:00.000Z');
  a.setSchedule('99 3 * * *');
  s = a.schedule();
  assert.equal(s.problems.map((p) => [p.field, p.level]), [['schedule', 'error']]);
  assert.equal(s.nextRuns, []);
  a.setSchedule(null);
  assert.equal(a.schedule().problems.map((p) => p.message.key), ['init.schedule.none']);
});

test('the answers make a config the schema accepts: names, password modes, folder roles, the mirror by UUID, the schedule', async () => {
  const a = assistant({
    servers: [pg([['tomedo', 1 * GB]]), maria([['elexis', 1 * MB]])],
    folders: { '/srv/Anhänge': facts('/srv/Anhänge', 1 * MB, 2) },
    places: [{ path: '/var/backups/praxis', location: 'local', freeBytes: 100 * GB, totalBytes: 200 * GB }],
    disks: [disk('1b2c-3d4e')],
  });
  const d = await a.discoverDatabases();
  // Both are named like a practice program: both proposed, each on its own server.
  assert.equal(d.proposal.map((x) => [x.kind, x.database]), [['postgres', 'tomedo'], ['mariadb', 'elexis']]);
  await a.setFolders([a.folderFor('/srv/Anhänge', 'data')]);
  await a.discoverBackupDirs();
  await a.discoverDisks();
  a.setPracticeName('Praxis Dr. Muster');
  const fin = a.finish();
  assert.equal(fin.problems.filter((p) => p.level === 'error'), []);
  assert.ok(fin.config);
  const parsed = configSchema.parse(toConfig(fin.answers).input);
  assert.equal(parsed.components.map((c) => [c.name, c.type]), [['tomedo', 'postgres'], ['elexis', 'mariadb'], ['Anhaenge', 'folder']]);
  assert.equal(parsed.components.map((c) => ('password' in c ? c.password : ('role' in c ? c.role : null))), ['none', 'none', 'data']);
  assert.equal(parsed.mirrors, [{ name: 'usb', type: 'volume', volume: { uuid: '1b2c-3d4e' }, mode: 'all', eject: false, required: false, encrypt: true }]);
  assert.equal(parsed.schedule?.cron, '15 3 * * 1-5');
  assert.is(parsed.practiceName, 'Praxis Dr. Muster');
  assert.is(JSON.stringify(fin.answers).includes('password":"s'), false);
});

test('names: made valid and unique; a bad or doubled name is an error naming the field, and the schema agrees', async () => {
  assert.is(componentNameFrom('praxis db (alt)', []), 'praxis-db-alt');
  assert.is(componentNameFrom('Tomedo', ['tomedo', 'tomedo-2']), 'Tomedo-3');
  assert.is(componentNameFrom('…', [], 'files'), 'files');
  // German umlauts written out as Germans do, other accents dropped; decomposed input (a macOS file name) the same.
  assert.is(componentNameFrom('Röntgen Bilder', []), 'Roentgen-Bilder');
  assert.is(componentNameFrom('Stra\u00dfe', []), 'Strasse');
  assert.is(componentNameFrom('Anha\u0308nge', []), 'Anhaenge');
  assert.is(componentNameFrom('Café', []), 'Cafe');
  const a = assistant({ servers: [pg([['tomedo', 1]])], folders: { '/srv/tomedo': facts('/srv/tomedo', 1, 1) } });
  await a.discoverDatabases();
  await a.setFolders([{ name: 'TOMEDO', path: '/srv/tomedo', role: 'data' }]);
  assert.equal(a.folders().problems.map((p) => [p.field, p.message.key]), [['folders[0].name', 'init.name.duplicate']]);
  a.setDatabases([{ ...a.databases().answer[0]!, name: 'to medo' }]);
  assert.equal(a.databases().problems.map((p) => [p.field, p.message.key]), [['databases[0].name', 'init.name.invalid']]);
  const made = toConfig({ ...a.answers(), backupDir: '/var/backups/x' });
  assert.is(made.config, null);
  assert.ok(made.problems.some((p) => p.path === 'components[0].name' && p.key === 'config.problem.name'), JSON.stringify(made.problems));
});

test('a typed backup directory that does not exist yet is judged by the free space of the disk it will be on (a real 8 MiB tmpfs)', async () => {
  const disk = await mountTmpfs(8);
  const dir = `${disk.path}/praxis/backups`; // not there yet: statfs of the tmpfs itself
  const big = assistant({ servers: [pg([['tomedo', 10 * MB]])] });
  await big.discoverDatabases();
  const b = await big.setBackupDir(dir);
  assert.equal(b.problems.map((p) => p.message.key), ['init.backupDir.tooSmall']);
  assert.ok(b.chosen!.totalBytes === 8 * MB, String(b.chosen!.totalBytes));
  const small = assistant({ servers: [pg([['tomedo', 5 * MB]])] }); // 5.5 MiB needed
  await small.discoverDatabases();
  assert.equal((await small.setBackupDir(dir)).problems, []);
});

test.after(() => runCleanups());
test.run();

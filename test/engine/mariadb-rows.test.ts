// The rows a MariaDB backup records are the dump's own. A stand-in `mariadb-dump` placed first on
// PATH writes a row through the `mariadb` client (with the engine's own option file) after our
// snapshot session has counted its tables and before it execs the real mariadb-dump: the gap that
// made the snapshot counts differ from the dump, so that restore and verify refused a good backup.
// Now the backup keeps the dump's counts ("dump"), warns naming the table with both numbers, and
// the restore test and a restore accept it. A dump the counter does not understand falls back to
// the snapshot's counts as before.
import { execa } from 'execa';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MariadbComponent } from '../../src/config/schema';
import { t } from '../../src/i18n';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { dumpMariadb, probeMariadb } from '../../src/databases/mariadb/dump';
import { manifestSchema, type ManifestComponent } from '../../src/backup-directory/manifest';
import { restoreMariadb } from '../../src/databases/mariadb/restore';
import type { StepContext } from '../../src/run/step-context';
import { ToolLocator } from '../../src/process/tool-locator';
import { restoreTestMariadb } from '../../src/databases/mariadb/restore-test';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { createSampleMariadb } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('MariaDB rows: the dump\'s own counts');

const PW = "Zeilen-Geheim 'x' \"y\" \\ ä";
const DB = 'elexis';
let m: MariaServer;
let root: string;
let stamps = 0;
let realDump: string;
let realClient: string;

const comp = (): MariadbComponent => ({ name: 'elexis', type: 'mariadb', database: DB, host: m.host, port: m.port, user: m.user }) as MariadbComponent;
const stamp = () => `20261124_22${String(++stamps).padStart(4, '0')}`;
const live = async (table: string) => Number(await m.sql(`SELECT COUNT(*) FROM \`${table}\``, DB));
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A folder with a stand-in mariadb-dump: `--version` goes straight to the real one (the tool
 * locator's probe); a dump first runs `before` (shell, "$1" is the engine's --defaults-extra-file),
 * then the real mariadb-dump, its output through `filter` when given.
 */
async function standIn(name: string, before: string, filter?: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const run = filter ? `${sh(realDump)} "$@" | ${filter}` : `exec ${sh(realDump)} "$@"`;
  await writeFile(join(dir, 'mariadb-dump'), `#!/bin/sh\nif [ "$1" = --version ]; then exec ${sh(realDump)} "$@"; fi\n${before}\n${run}\n`);
  await chmod(join(dir, 'mariadb-dump'), 0o755);
  return dir;
}

function ctx(pathFirst: string | null, events: StampedEvent[]): StepContext {
  const env = { ...process.env, PATH: pathFirst ? `${pathFirst}:${process.env.PATH}` : process.env.PATH };
  return { platform: 'linux', tools: new ToolLocator('linux', env), secrets: new EnvSecretStore({}, new Map()), reporter: new Reporter([(e) => events.push(e)]), signal: new AbortController().signal };
}

async function backup(dir: string, pathFirst: string | null, events: StampedEvent[] = []): Promise<ManifestComponent> {
  await mkdir(dir, { recursive: true });
  const c = ctx(pathFirst, events);
  const entry = await dumpMariadb(c, comp(), await probeMariadb(c, comp(), PW), PW, dir);
  // The manifest keeps it as written (and an old one with "consistent-snapshot" still reads).
  return manifestSchema.shape.components.element.parse(JSON.parse(JSON.stringify(entry)));
}

const warnings = (events: StampedEvent[]) => events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));

test.before(async () => {
  root = await makeTempDir('praxis-maria-rows-');
  m = await startMariadb({ password: PW });
  await createSampleMariadb(m, DB, { patients: 60, visitsPerPatient: 2 });
  realDump = (await execa('sh', ['-c', 'command -v mariadb-dump || command -v mysqldump'])).stdout.trim();
  realClient = (await execa('sh', ['-c', 'command -v mariadb || command -v mysql'])).stdout.trim();
});
test.after(() => runCleanups());

test('a row written between our snapshot and the dump: backup kept with a warning naming the table and both numbers; rows are the dump\'s', async () => {
  const before = await live('KONTAKT');
  const marker = join(root, 'gap-ran');
  const gap = await standIn('gap', [
    `${sh(realClient)} "$1" --batch -e "INSERT INTO KONTAKT (ID, Bezeichnung1) VALUES (CONCAT('N', UUID_SHORT()), 'Nachtrag')" ${DB} || exit 99`,
    `echo ran >> ${sh(marker)}`,
  ].join('\n'));
  const events: StampedEvent[] = [];
  const dir = join(root, 'gap-backup');
  const entry = await backup(dir, gap, events);
  assert.is((await readFile(marker, 'utf8')).trim(), 'ran', 'the stand-in ran once');
  assert.is(await live('KONTAKT'), before + 1);

  assert.is(entry.rowsExact, 'dump');
  assert.equal(entry.rows, { KONTAKT: before + 1, FAELLE: await live('FAELLE'), BEHANDLUNGEN: await live('BEHANDLUNGEN'), TRACES: await live('TRACES') });
  assert.equal(entry.warnings, [`rows written between the count and the dump (dump/count): KONTAKT ${before + 1}/${before}`]);
  const w = warnings(events);
  assert.is(w.length, 1, JSON.stringify(w));
  assert.is(w[0]!.key, 'warn.rowsDumpDiffer');
  for (const lang of ['de', 'en'] as const) {
    const text = t(lang, w[0]!.key, w[0]!.params);
    assert.match(text, `KONTAKT ${before + 1}/${before}`);
    assert.match(text, DB);
    assert.not.match(text, /\{/, `${lang}: every placeholder filled`);
  }

  // verify --restore-test's check: loaded into a scratch schema, every count equals the manifest.
  const checked = await restoreTestMariadb(ctx(null, []), comp(), { entry, dumpFile: join(dir, entry.path), password: PW, backupId: stamp() });
  assert.equal(checked.problems, [], JSON.stringify(checked.problems));
  assert.is(checked.counted, 4);

  // And a restore accepts it: the live database is the dump again (the row written in the gap included).
  await m.sql("INSERT INTO KONTAKT (ID, Bezeichnung1) VALUES ('SPAETER', 'nach dem Backup')", DB);
  await restoreMariadb(ctx(null, []), { component: comp(), dumpFile: join(dir, entry.path), entry, password: PW, stamp: stamp(), dropPrevious: true });
  assert.is(await live('KONTAKT'), before + 1);
  assert.is(await m.sql("SELECT COUNT(*) FROM KONTAKT WHERE Bezeichnung1 = 'Nachtrag'", DB), '1');
});

test('a restore still refuses a dump whose loaded rows differ from "dump" counts', async () => {
  const dir = join(root, 'refuse');
  const entry = await backup(dir, null);
  assert.is(entry.rowsExact, 'dump');
  const wrong = { ...entry, rows: { ...entry.rows!, FAELLE: entry.rows!.FAELLE! + 1 } };
  const checked = await restoreTestMariadb(ctx(null, []), comp(), { entry: wrong, dumpFile: join(dir, entry.path), password: PW, backupId: stamp() });
  assert.equal(checked.problems.map((p) => p.key), ['verify.rowsDiffer']);
  let err: any;
  await restoreMariadb(ctx(null, []), { component: comp(), dumpFile: join(dir, entry.path), entry: wrong, password: PW, stamp: stamp(), dropPrevious: true }).catch((e) => (err = e));
  assert.is(err?.message_?.key, 'restore.db.rowsDiffer');
});

test('nothing written meanwhile: the same counts both ways, no warning; an empty table has 0 rows', async () => {
  await m.sql('CREATE TABLE LEER (id INT PRIMARY KEY) ENGINE=InnoDB', DB);
  try {
    const events: StampedEvent[] = [];
    const entry = await backup(join(root, 'quiet'), null, events);
    assert.is(entry.rowsExact, 'dump');
    assert.is(entry.rows!.LEER, 0);
    assert.is(entry.rows!.KONTAKT, await live('KONTAKT'));
    assert.equal(entry.warnings, []);
    assert.equal(warnings(events), []);
  } finally {
    await m.sql('DROP TABLE LEER', DB);
  }
});

test('a dump the counter does not understand: the snapshot\'s counts, labelled "consistent-snapshot", as before', async () => {
  // Unquoted table names in the INSERTs (as --skip-quote-names would write them).
  const odd = await standIn('odd', ':', "sed 's/^INSERT INTO `FAELLE`/INSERT INTO FAELLE/'");
  const events: StampedEvent[] = [];
  const entry = await backup(join(root, 'odd-backup'), odd, events);
  assert.is(entry.rowsExact, 'consistent-snapshot');
  assert.is(entry.rows!.FAELLE, await live('FAELLE'));
  assert.equal(warnings(events), []);
  const info = events.find((e) => e.type === 'log' && e.message.key === 'run.rowsDumpUnsure');
  assert.ok(info, 'the fallback is logged');
});

test.run();

// The monthly Datensicherungsprotokoll from a real month: backups of a real PostgreSQL database and a
// folder made by the CLI on days of November 2026 (the test clock, PRAXIS_BACKUP_TEST_NOW; TZ
// Europe/Berlin in the child), one failing with a wrong database password, a restore test, copies onto
// a path mirror on its own tmpfs. Then `report --month 2026-11`: the PDF read back with poppler
// (pdftotext, pdffonts, pdftoppm) names every field, and --json carries the same facts.
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import pkg from '../../package.json' with { type: 'json' };
import { formatBytes } from '../../src/i18n';
import { CLI, cliEnv, runCli } from '../helpers/cli';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleFiles, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('report --month (Datensicherungsprotokoll)');
const OUTPUT = resolve(import.meta.dirname, '../../test-output');

let pg: PgServer;
let root: string;
let env: Record<string, string>;
let configFile: string;
let backupDir: string;
let mirrorDir: string;
let expectedRows: Record<string, number>;
/** The November runs, as the CLI reported them. */
const ids: Record<string, string> = {};
let failure = '';

/** The child's clock and zone: nothing in this test depends on the day it runs or the machine's zone. */
const at = (iso: string, extra: Record<string, string> = {}) => ({ ...env, PRAXIS_BACKUP_TEST_NOW: iso, ...extra });
const pdfText = (file: string, mode: '-layout' | '-raw') => execFileSync('pdftotext', [mode, file, '-'], { encoding: 'utf8' });
/** Long values wrap inside table cells: compared without any whitespace. */
const squash = (s: string) => s.replace(/\s+/g, '');
const sha256 = (file: string) => execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!;

async function backup(iso: string, extra: Record<string, string> = {}) {
  const r = await runCli(['run', '--config', configFile, '--json'], at(iso, extra));
  return { r, summary: r.events.at(-1)?.summary };
}

test.before(async () => {
  root = await makeTempDir('praxis-report-');
  pg = await startPostgres();
  expectedRows = (await createSamplePostgres(pg, 'praxis_tomedo', { patients: 12, visitsPerPatient: 2 })).tables;
  const files = join(root, 'files');
  await createSampleFiles(files, { files: 5, bytesEach: 4000 });
  const disk = await mountTmpfs(32);
  mirrorDir = join(disk.path, 'praxis');
  await mkdir(mirrorDir);
  backupDir = join(root, 'backups');
  ({ env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none', PRAXIS_BACKUP_PASSWORD_DATENBANK: pg.password, TZ: 'Europe/Berlin' }));
  configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      practiceName: 'Praxis Dr. Müller',
      backupDir,
      components: [
        { name: 'datenbank', type: 'postgres', database: 'praxis_tomedo', host: '127.0.0.1', port: pg.port, user: pg.user },
        { name: 'dateien', type: 'folder', path: files },
      ],
      mirrors: [{ name: 'usb-kopie', type: 'path', path: mirrorDir }],
      // The restore test is its own run below (verify --restore-test), as a weekly check would be.
      verify: { afterBackup: false },
    }),
  );
  // 31 October 23:30 in Berlin (22:30 UTC): October, not in the November record.
  const october = await backup('2026-10-31T22:30:00Z');
  assert.is(october.r.code, 0, october.r.stderr);
  ids.october = october.summary.backupId;
  // 1 November 00:30 in Berlin is still 31 October in UTC: the month is the practice's local one.
  const first = await backup('2026-10-31T23:30:00Z');
  assert.is(first.r.code, 0, first.r.stderr);
  ids.first = first.summary.backupId;
  const failed = await backup('2026-11-09T02:15:00Z', { PRAXIS_BACKUP_PASSWORD_DATENBANK: 'falsches-Passwort' });
  assert.is(failed.r.code, 1, failed.r.stderr);
  failure = failed.summary.error.text;
  ids.failed = failed.summary.backupId;
  const third = await backup('2026-11-16T02:15:00Z');
  assert.is(third.r.code, 0, third.r.stderr);
  ids.third = third.summary.backupId;
  const verify = await runCli(['verify', '--restore-test', '--config', configFile, '--json'], at('2026-11-16T04:00:00Z'));
  assert.is(verify.code, 0, verify.stderr);
});
test.after(() => runCleanups());

test('the month\'s runs are named by the local clock the test set', () => {
  // The id is the run's start: the set instant plus the few seconds the child needed to get there.
  assert.match(ids.october!, /^20261031_2330\d\d$/);
  assert.match(ids.first!, /^20261101_0030\d\d$/);
  assert.match(ids.failed!, /^20261109_0315\d\d$/);
  assert.match(ids.third!, /^20261116_0315\d\d$/);
  assert.match(failure, /Passwort|password/i);
});

test('report --month 2026-11: the PDF names runs, sizes, tools, the failure, the restore test, the copies, manifest checksums and open findings', async () => {
  const out = join(root, 'Protokoll November.pdf');
  const r = await runCli(['report', '--month', '2026-11', '--out', out, '--config', configFile], at('2026-12-01T07:00:00Z'));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Datensicherungsprotokoll geschrieben: .*Protokoll November\.pdf \(4 Läufe, 2 offene Befunde\)/);
  assert.is(statSync(out).mode & 0o777, 0o600);
  const layout = pdfText(out, '-layout');
  const raw = squash(pdfText(out, '-raw'));

  // Header, umlauts intact.
  assert.match(layout, /Datensicherungsprotokoll November 2026/);
  assert.match(layout, /Praxis Dr\. Müller/);
  assert.match(layout, /01\.11\.2026 – 30\.11\.2026/);
  assert.match(layout, /Größe/);
  // Runs by local date: 1, 9 and 16 November; the October night is not in it.
  assert.match(layout, /01\.11\.2026\s+Sicherung\s+erfolgreich \(Exit-Code 0\)/);
  assert.match(layout, /09\.11\.2026\s+Sicherung\s+fehlgeschlagen \(Exit-Code 1\)/);
  assert.match(layout, /16\.11\.2026\s+Sicherung\s+erfolgreich/);
  assert.match(layout, /16\.11\.2026\s+Prüfung\s+erfolgreich/);
  assert.match(layout, /00:3\d–00:3\d/);
  assert.not.match(layout, /31\.10\.2026/);
  assert.not.ok(layout.includes(ids.october!), 'the October backup is not in November');
  // The failure with its reason, as the run itself said it.
  assert.ok(raw.includes(squash(failure)), `reason "${failure}" in the PDF`);
  assert.ok(raw.includes(squash(`Backup ${ids.failed} nicht erstellt`)));

  // Components with their sizes, from the manifests; tools with the versions the run used.
  const manifest = (id: string) => JSON.parse(readFileSync(join(backupDir, id, 'manifest.json'), 'utf8'));
  const m1 = manifest(ids.first!);
  for (const c of m1.components) {
    const size = formatBytes(c.bytes, 'de');
    assert.ok(raw.includes(squash(`${c.name} (${c.type}): ${size}`)), `${c.name} with ${size}`);
  }
  const pgDumpVersion = m1.components.find((c: any) => c.name === 'datenbank').dumpTool.version as string;
  assert.ok(layout.includes(`pg_dump ${/(\d+(?:\.\d+)+)/.exec(pgDumpVersion)![1]}`), `pg_dump version from "${pgDumpVersion}"`);
  const rsyncVersion = /version\s+(\d+(?:\.\d+)+)/.exec(execFileSync('rsync', ['--version'], { encoding: 'utf8' }))![1];
  assert.ok(layout.includes(`rsync ${rsyncVersion}`), `rsync ${rsyncVersion}`);
  assert.ok(layout.includes(`Praxis-Backup ${pkg.version}`));
  assert.ok(raw.includes(squash(`Ziel: ${backupDir}`)));

  // The restore test: database, tables loaded, tables compared, rows compared, result.
  const rows = Object.values(expectedRows).reduce((s, n) => s + n, 0);
  const tables = Object.keys(expectedRows).length;
  assert.match(layout, new RegExp(`datenbank\\s+${tables}\\s+${tables}\\s+${rows}\\s+bestanden`));
  assert.ok(raw.includes(squash('Datenbank „praxis_tomedo“')));

  // The mirror copies: which disk (the folder on its own tmpfs), verified yes, not ejected (a folder).
  assert.match(layout, /usb-kopie \(path\)\s+.*\s+ja\s+—\s+erfolgreich/);
  assert.ok(raw.includes(squash(mirrorDir)));

  // sha256 of each November manifest, exactly as sha256sum computes it from the file.
  for (const id of [ids.first!, ids.third!]) assert.match(layout, new RegExp(`${id}\\s+${sha256(join(backupDir, id, 'manifest.json'))}`));

  // Open findings on 1 December: the newest backup (16 November) is 15 days old here and on the copy.
  assert.match(layout, /Offene Befunde am 01\.12\.2026 08:00/);
  assert.ok(raw.includes(squash('Letzte Sicherung auf „Sicherungsverzeichnis“ vor 15 Tagen')), 'local too old');
  assert.ok(raw.includes(squash('„usb-kopie“ vor 15 Tagen')), 'mirror too old');

  // Fonts embedded (DejaVu, subset), nothing left to the reader's machine.
  const fonts = execFileSync('pdffonts', [out], { encoding: 'utf8' }).split('\n').slice(2).filter(Boolean);
  assert.ok(fonts.length >= 2, fonts.join('\n'));
  for (const f of fonts) {
    assert.match(f, /DejaVuSans/);
    assert.match(f, /\s+yes\s+yes\s+yes\s+/, `embedded: ${f}`);
  }
  // One page as a picture, to look at.
  mkdirSync(OUTPUT, { recursive: true });
  execFileSync('pdftoppm', ['-r', '60', '-f', '1', '-l', '1', '-png', out, join(OUTPUT, 'report-protocol')]);
  copyFileSync(out, join(OUTPUT, 'report-protocol.pdf'));
  assert.ok(readdirSync(OUTPUT).some((n) => n.startsWith('report-protocol') && n.endsWith('.png')));
});

test('--json: the same facts as one object, messages with their text', async () => {
  const cwd = join(root, 'json');
  await mkdir(cwd);
  const r = await runCli(['report', '--month', '2026-11', '--out', cwd, '--json', '--config', configFile], at('2026-12-01T07:00:00Z'));
  assert.is(r.code, 0, r.stderr);
  assert.is(r.events.length, 1);
  const d = r.events[0]!;
  assert.is(d.path, join(cwd, 'Datensicherungsprotokoll-2026-11.pdf'), 'a folder gets the default name');
  assert.ok(statSync(d.path).size > 1000);
  assert.equal(
    d.runs.map((x: any) => [x.kind, x.result, x.exitCode, x.backupId]),
    [
      ['backup', 'success', 0, ids.first],
      ['backup', 'failed', 1, ids.failed],
      ['backup', 'success', 0, ids.third],
      ['verify', 'success', 0, ids.third],
    ],
  );
  assert.is(d.runs[1].error.text, failure);
  assert.equal(d.runs[0].program.version, pkg.version);
  assert.ok(d.runs[0].tools.some((x: any) => x.tool === 'pg_dump') && d.runs[0].tools.some((x: any) => x.tool === 'rsync'));
  assert.equal(d.runs[0].components.map((c: any) => c.name), ['datenbank', 'dateien']);
  assert.equal(d.backups.map((b: any) => [b.id, b.manifestSha256]), [ids.first, ids.third].map((id) => [id, sha256(join(backupDir, id!, 'manifest.json'))]));
  const rows = Object.values(expectedRows).reduce((s, n) => s + n, 0);
  assert.equal(
    d.restoreTests.map((x: any) => [x.backupId, x.component, x.database, x.tables, x.tablesCompared, x.rows, x.ok]),
    [[ids.third, 'datenbank', 'praxis_tomedo', Object.keys(expectedRows).length, Object.keys(expectedRows).length, rows, true]],
  );
  assert.equal(
    d.mirrorCopies.map((m: any) => [m.name, m.result, m.copied, m.verified, m.target.dir]),
    [
      ['usb-kopie', 'success', [ids.first], true, mirrorDir],
      ['usb-kopie', 'success', [ids.third], true, mirrorDir],
    ],
  );
  assert.equal(d.findings.map((f: any) => f.key), ['tooOld:local', 'tooOld:usb-kopie']);
  assert.match(d.findings[0].message.text, /vor 15 Tagen/);
  assert.equal(d.totals, { backups: 3, failed: 1, warnings: 0, incomplete: 0, restoreTests: 1, restoreTestsFailed: 0, mirrorCopies: 2, mirrorCopiesFailed: 0 });
});

test('a month without runs still gives a PDF that says so, with the open findings (no --out: in the current folder)', async () => {
  const cwd = join(root, 'cwd');
  await mkdir(cwd);
  const r = await execa(process.execPath, [CLI, 'report', '--month', '2026-09', '--config', configFile], { cwd, env: at('2026-12-01T07:00:00Z'), reject: false, stdin: 'ignore' });
  assert.is(r.exitCode, 0, String(r.stderr));
  const out = join(cwd, 'Datensicherungsprotokoll-2026-09.pdf');
  assert.match(String(r.stdout), /in diesem Monat ist kein Lauf aufgezeichnet \(2 offene Befunde\)/);
  const raw = squash(pdfText(out, '-raw'));
  assert.ok(raw.includes(squash('In diesem Zeitraum ist kein Lauf aufgezeichnet')));
  assert.ok(raw.includes(squash('Letzte Sicherung auf „Sicherungsverzeichnis“ vor 15 Tagen')));
  assert.ok(raw.includes(squash('keine Wiederherstellungsprobe')));
});

test('English by the CLI language', async () => {
  const out = join(root, 'english.pdf');
  const r = await runCli(['report', '--month', '2026-11', '--out', out, '--config', configFile], at('2026-12-01T07:00:00Z', { LANG: 'en_GB.UTF-8' }));
  assert.is(r.code, 0, r.stderr);
  const layout = pdfText(out, '-layout');
  assert.match(layout, /Backup record November 2026/);
  assert.match(layout, /2026-11-16\s+Check\s+successful/);
  assert.match(layout, /Open findings on 2026-12-01 08:00/);
});

test('bad input: --month not a month, missing, or --out in a folder that does not exist → exit 2 naming the option', async () => {
  for (const month of ['2026-13', '2026-1', 'November', '11-2026', '2026-00', '']) {
    const r = await runCli(['report', '--month', month, '--config', configFile], at('2026-12-01T07:00:00Z'));
    assert.is(r.code, 2, `--month "${month}": ${r.stderr}`);
    assert.match(r.stderr, /--month: „.*“ ist kein Monat\. Bitte in der Form JJJJ-MM/);
  }
  const missing = await runCli(['report', '--config', configFile], at('2026-12-01T07:00:00Z'));
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /--month fehlt/);
  const noDir = await runCli(['report', '--month', '2026-11', '--out', join(root, 'gibt-es-nicht', 'p.pdf'), '--config', configFile], at('2026-12-01T07:00:00Z'));
  assert.is(noDir.code, 2);
  assert.match(noDir.stderr, /--out: den Ordner .*gibt-es-nicht gibt es nicht/);
});

test.run();

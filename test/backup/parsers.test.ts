// Parsers and plans, fed with what the real tools print on this machine: rsync's --stats block
// and --info=progress2 lines (captured here by running the installed rsync on a temp tree),
// the --version lines of the installed database clients, the exact rsync argv, backup ids and
// the catalog of a hand-made backup directory.
process.env.TZ = 'Europe/Berlin'; // backup ids are local time; Node picks up TZ changes at once

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FolderComponent } from '../../src/config/schema';
import { run } from '../../src/process/runner';
import { backupId, idToDate, readCatalog } from '../../src/backup-directory/catalog';
import { parseProgress2, parseRsyncStats, planRsync, supportsProgress2 } from '../../src/backup/folder-copy';
import { MANIFEST_FORMAT, type Manifest } from '../../src/backup-directory/manifest';
import { parseVersion, ToolLocator, type ToolInfo, type ToolName } from '../../src/process/tool-locator';
import { databaseTools } from '../../src/databases/registry';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('parsers');
test.after(runCleanups);

const tools = new ToolLocator('linux', process.env, databaseTools());

// ---- real rsync output -------------------------------------------------------------------------

interface Tree {
  files: number;
  bytes: number;
}

/**
 * Regular files and bytes, counted by us (not by rsync). rsync's "Total file size" also counts
 * each symlink as the length of its target, so those are added to `bytes` (not to `files`).
 */
async function countTree(dir: string): Promise<Tree> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    if (e.isFile()) {
      files++;
      bytes += (await stat(p)).size;
    } else if (e.isSymbolicLink()) bytes += (await lstat(p)).size;
  }
  return { files, bytes };
}

/** Runs the planned rsync for real and returns every stdout line (split on \r and \n by the runner). */
async function rsyncCapture(rsync: ToolInfo, source: string, dest: string, linkDest: string | null): Promise<{ lines: string[]; tail: string[] }> {
  const c: FolderComponent = { name: 'files', type: 'folder', path: source };
  const lines: string[] = [];
  const r = await run(planRsync(rsync, c, dest, linkDest), { onStdoutLine: (l) => lines.push(l) });
  assert.is(r.exitCode, 0);
  return { lines, tail: r.stdoutTail };
}

async function sampleTree(root: string, withSymlink = true): Promise<string> {
  const src = join(root, 'src');
  await mkdir(join(src, 'briefe', '2026'), { recursive: true });
  await mkdir(join(src, 'leer'));
  // 1,234 small files of different sizes, so that rsync prints thousands separators.
  for (let i = 0; i < 1234; i++) await writeFile(join(src, 'briefe', '2026', `brief-${i}.txt`), 'x'.repeat((i * 37) % 2000));
  await writeFile(join(src, 'ultraschall.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  if (withSymlink) await symlink('ultraschall.bin', join(src, 'neuestes.bin'));
  return src;
}

let rsync: ToolInfo;

test.before(async () => {
  rsync = await tools.find('rsync');
});

test('the installed rsync is 3.1+ (the captures below need --info=progress2)', () => {
  assert.ok(supportsProgress2(rsync), `rsync found: ${rsync.path} ${rsync.version}`);
});

test('parseRsyncStats on a real --stats block: files and bytes as counted by us', async () => {
  const dir = await makeTempDir('praxis-rsync');
  const src = await sampleTree(dir);
  const expected = await countTree(src);
  assert.ok(expected.files > 1000 && expected.bytes > 1_000_000); // really has separators
  await mkdir(join(dir, 'b1'));
  const { lines, tail } = await rsyncCapture(rsync, src, join(dir, 'b1', 'files'), null);
  // Really the text rsync printed, with its thousands separators:
  assert.ok(lines.some((l) => /^Number of files: [\d,]+ \(reg: 1,235, dir: \d+, link: 1\)$/.test(l)), lines.slice(-16).join('\n'));
  // copyFolder hands the runner's tail to the parser; the whole capture must give the same.
  const stats = parseRsyncStats(tail);
  // Everything was copied: all bytes except the symlink's (a link is made, not transferred).
  const linkBytes = 'ultraschall.bin'.length;
  assert.equal(stats, { files: expected.files, bytes: expected.bytes, bytesCopied: expected.bytes - linkBytes });
  assert.equal(parseRsyncStats(lines), stats);
});

test('parseRsyncStats with --link-dest: bytesCopied is only what changed', async () => {
  const dir = await makeTempDir('praxis-rsync');
  const src = await sampleTree(dir);
  await mkdir(join(dir, 'b1'));
  await mkdir(join(dir, 'b2'));
  await rsyncCapture(rsync, src, join(dir, 'b1', 'files'), null);
  // Change one file (other size), add one; the rest is hard-linked from b1.
  await writeFile(join(src, 'briefe', '2026', 'brief-7.txt'), 'neu: '.repeat(1001));
  await writeFile(join(src, 'briefe', 'befund-neu.txt'), 'B'.repeat(4321));
  const changed = 5 * 1001 + 4321;
  const expected = await countTree(src);
  const { tail } = await rsyncCapture(rsync, src, join(dir, 'b2', 'files'), join(dir, 'b1', 'files'));
  assert.equal(parseRsyncStats(tail), { files: expected.files, bytes: expected.bytes, bytesCopied: changed });
  // and the unchanged big file really is a hard link into b1
  const [a, b] = await Promise.all([stat(join(dir, 'b1', 'files', 'ultraschall.bin')), stat(join(dir, 'b2', 'files', 'ultraschall.bin'))]);
  assert.is(a.ino, b.ino);
});

test('parseRsyncStats on a real run of an empty folder: zero files, zero bytes', async () => {
  const dir = await makeTempDir('praxis-rsync');
  await mkdir(join(dir, 'src'));
  await mkdir(join(dir, 'b1'));
  const { tail } = await rsyncCapture(rsync, join(dir, 'src'), join(dir, 'b1', 'files'), null);
  assert.equal(parseRsyncStats(tail), { files: 0, bytes: 0, bytesCopied: 0 });
});

test('parseRsyncStats: real rsync output without --stats (as from openrsync) → null', async () => {
  const dir = await makeTempDir('praxis-rsync');
  const src = await sampleTree(dir);
  const lines: string[] = [];
  await run({ label: 'rsync -av', file: rsync.path, args: ['-av', `${src}/`, `${join(dir, 'plain')}/`] }, { onStdoutLine: (l) => lines.push(l) });
  assert.ok(lines.some((l) => l.startsWith('total size is ')), 'rsync -v summary line missing');
  assert.is(parseRsyncStats(lines), null);
});

test('parseProgress2 on real --info=progress2 lines (split on \\r): every progress line parses, in order, to 100', async () => {
  const dir = await makeTempDir('praxis-rsync');
  // Without the symlink: rsync counts its bytes in the total but never "transfers" them, so with
  // one the last line stays at 99%.
  const src = await sampleTree(dir, false);
  await mkdir(join(dir, 'b1'));
  const { lines } = await rsyncCapture(rsync, src, join(dir, 'b1', 'files'), null);
  // Progress lines as a person would pick them out: a percent column and rsync's "kB/s"-style rate.
  const progressLines = lines.filter((l) => /%/.test(l) && /B\/s/.test(l));
  assert.ok(progressLines.length > 100, `only ${progressLines.length} progress lines captured`);
  const values: number[] = [];
  for (const line of progressLines) {
    const p = parseProgress2(line);
    const percentColumn = Number(line.trim().split(/\s+/)[1]!.replace('%', ''));
    assert.is(p, percentColumn, `line ${JSON.stringify(line)}`);
    values.push(p!);
  }
  for (let i = 1; i < values.length; i++) assert.ok(values[i]! >= values[i - 1]!, `progress went back: ${values[i - 1]} → ${values[i]}`);
  assert.ok(new Set(values).size > 10, `only ${new Set(values).size} distinct percentages seen`);
  assert.is(values[0], 0);
  assert.is(values.at(-1), 100);
  // Everything else rsync printed (the --stats block) is not progress.
  for (const line of lines.filter((l) => !progressLines.includes(l))) assert.is(parseProgress2(line), null, line);
});

// ---- planRsync argv ----------------------------------------------------------------------------

const info = (name: string, major: number, minor: number, path = '/opt/homebrew/bin/rsync'): ToolInfo => ({ name, path, version: `${name} ${major}.${minor}`, major, minor });

test('planRsync: rsync 3.2 without link-dest, trailing slashes normalised', () => {
  const plan = planRsync(info('rsync', 3, 2), { name: 'files', type: 'folder', path: '/Users/Shared/tomedo/files///' }, '/Backup/20261124_031500.partial/files', null);
  assert.is(plan.file, '/opt/homebrew/bin/rsync');
  assert.equal(plan.args, ['-a', '-H', '-A', '-X', '-S', '--numeric-ids', '--stats', '--info=progress2', '/Users/Shared/tomedo/files/', '/Backup/20261124_031500.partial/files/']);
  assert.equal(plan.okExitCodes, [0]);
  assert.equal(plan.warnExitCodes, [24]);
  assert.is(plan.label, 'rsync (files)');
});

test('planRsync: with link-dest and excludes, in order, paths last', () => {
  const plan = planRsync(
    info('rsync', 3, 4),
    { name: 'client', type: 'folder', path: '/Applications/tomedo.app', exclude: ['*.tmp', 'Caches/', 'a b'] },
    '/Backup/20261124_031500.partial/client/',
    '/Backup/20261123_031500/client',
  );
  assert.equal(plan.args, [
    '-a',
    '-H',
    '-A',
    '-X',
    '-S',
    '--numeric-ids',
    '--stats',
    '--info=progress2',
    '--link-dest=/Backup/20261123_031500/client',
    '--exclude=*.tmp',
    '--exclude=Caches/',
    '--exclude=a b',
    '/Applications/tomedo.app/',
    '/Backup/20261124_031500.partial/client/',
  ]);
});

test('planRsync: openrsync (major 2) and rsync 3.0 get no --info option; 3.1 and 4.x do', () => {
  const c: FolderComponent = { name: 'files', type: 'folder', path: '/src' };
  const openrsync = info('openrsync', 2, 6, '/usr/bin/rsync');
  // openrsync: Apple's -E (xattrs, resource forks, ACLs), it has no -A/-X.
  assert.equal(planRsync(openrsync, c, '/dst', '/prev').args, ['-a', '-H', '-E', '-S', '--numeric-ids', '--stats', '--link-dest=/prev', '/src/', '/dst/']);
  assert.equal(planRsync(info('rsync', 3, 0), c, '/dst', null).args, ['-a', '-H', '-A', '-X', '-S', '--numeric-ids', '--stats', '/src/', '/dst/']);
  assert.ok(planRsync(info('rsync', 3, 1), c, '/dst', null).args.includes('--info=progress2'));
  assert.ok(planRsync(info('rsync', 4, 0), c, '/dst', null).args.includes('--info=progress2'));
});

// ---- parseVersion ------------------------------------------------------------------------------

/** major.minor of the Debian package that owns a binary: a source independent of its --version text. */
function packageVersion(binary: string): { major: number; minor: number } {
  const pkg = execFileSync('dpkg-query', ['-S', realpathSync(binary)], { encoding: 'utf8' }).split(':')[0]!;
  const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(version);
  assert.ok(m, `package ${pkg} version ${version}`);
  return { major: Number(m![1]), minor: Number(m![2]) };
}

for (const tool of ['pg_dump', 'psql', 'rsync', 'mariadb-dump', 'mariadb'] as ToolName[]) {
  test(`parseVersion on the real first line of ${tool} --version`, async () => {
    const found = await tools.find(tool);
    // The line as the runner sees it, from the binary the locator picked.
    const r = await run({ label: `${tool} --version`, file: found.path, args: ['--version'] });
    const first = r.stdoutTail[0]!;
    assert.is(first.trim(), found.version);
    const expected = packageVersion(found.path);
    assert.equal(parseVersion(first), expected, `line: ${first}`);
    assert.equal({ major: found.major, minor: found.minor }, expected);
  });
}

const LITERAL: [line: string, major: number, minor: number][] = [
  ['openrsync: protocol version 29', 2, 6],
  ['mysqldump  Ver 10.19 Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)', 10, 11],
  ['pg_dump (PostgreSQL) 16.4 (Homebrew)', 16, 4],
  ['rsync  version 2.6.9  protocol version 29', 2, 6],
  ['rsync  version 3.2.7  protocol version 31', 3, 2],
  ['mysqldump  Ver 8.0.36 for macos14.2 on arm64 (Homebrew)', 8, 0],
  ['psql (PostgreSQL) 17.2 (Postgres.app)', 17, 2],
  ['no version here', 0, 0],
];
for (const [line, major, minor] of LITERAL) {
  test(`parseVersion(${JSON.stringify(line)}) → ${major}.${minor}`, () => {
    assert.equal(parseVersion(line), { major, minor });
  });
}

// ---- backup ids --------------------------------------------------------------------------------

test('backupId is local time (Europe/Berlin, CET and CEST)', () => {
  assert.is(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset(), -60, 'TZ not in effect');
  assert.is(backupId(new Date(Date.UTC(2026, 10, 24, 2, 15, 0))), '20261124_031500'); // 02:15Z = 03:15 CET
  assert.is(backupId(new Date(Date.UTC(2026, 6, 1, 22, 59, 59))), '20260702_005959'); // 22:59:59Z = 00:59:59 CEST next day
  assert.is(backupId(new Date(Date.UTC(2025, 11, 31, 23, 0, 0))), '20260101_000000');
  assert.equal(idToDate('20261124_031500').toISOString(), '2026-11-24T02:15:00.000Z');
  assert.equal(idToDate('20260702_005959').toISOString(), '2026-07-01T22:59:59.000Z');
});

test('backupId → idToDate round trip (to the second) over two years of times', () => {
  let checked = 0;
  // Every 7 h 13 min 17.123 s from 2025-01-01: all hours, minutes, seconds, both zone offsets.
  for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2027, 0, 1); t += 25_997_123) {
    const d = new Date(t);
    const id = backupId(d);
    assert.match(id, /^\d{8}_\d{6}$/);
    const back = idToDate(id);
    // The one hour that happens twice each October has one name for two instants: the second
    // occurrence reads back as the first. Everything else round-trips exactly.
    const repeatedHour = back.getTime() === Math.floor(t / 1000) * 1000 - 3_600_000;
    if (repeatedHour) {
      assert.is(d.getMonth(), 9, `only October has a repeated hour: ${d.toISOString()}`);
      continue;
    }
    assert.is(back.getTime(), Math.floor(t / 1000) * 1000, `${d.toISOString()} → ${id} → ${back.toISOString()}`);
    checked++;
  }
  assert.ok(checked > 2000);
});

test('idToDate rejects what is not an id', () => {
  for (const bad of ['', '20261124', '20261124_031500.partial', '2026112_031500', 'x20261124_031500', '20261124-031500']) {
    assert.ok(Number.isNaN(idToDate(bad).getTime()), bad);
  }
});

// ---- readCatalog -------------------------------------------------------------------------------

function manifest(id: string, bytes: number[], extra: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  const m: Manifest = {
    format: MANIFEST_FORMAT,
    id,
    status: 'complete',
    tool: { name: 'praxis-backup', version: '0.1.0' },
    host: 'praxis-server',
    startedAt: '2026-11-24T02:15:00.000Z',
    finishedAt: '2026-11-24T02:16:00.000Z',
    components: bytes.map((b, i) => ({ name: `c${i}`, type: 'folder', path: `c${i}`, bytes: b, files: 1, warnings: [] })),
    warnings: [],
  };
  return { ...m, ...extra };
}

async function backupFolder(dir: string, name: string, manifestText: string | null): Promise<void> {
  await mkdir(join(dir, name));
  if (manifestText !== null) await writeFile(join(dir, name, 'manifest.json'), manifestText);
}

test('readCatalog: complete newest first with byte sums; partial and invalid sorted; the rest ignored', async () => {
  const dir = await makeTempDir('praxis-catalog');
  // complete, written out of order
  await backupFolder(dir, '20261122_031500', JSON.stringify(manifest('20261122_031500', [100, 23])));
  await backupFolder(dir, '20261124_031500', JSON.stringify(manifest('20261124_031500', [5])));
  await backupFolder(dir, '20251231_235959', JSON.stringify(manifest('20251231_235959', [1, 2, 3])));
  // partial (being written or interrupted), even with a manifest inside
  await backupFolder(dir, '20261125_031500.partial', JSON.stringify(manifest('20261125_031500', [1])));
  await backupFolder(dir, '20261123_031500.partial', null);
  // invalid: no manifest, id mismatch, not complete, broken JSON, wrong format
  await backupFolder(dir, '20261121_031500', null);
  await backupFolder(dir, '20261120_031500', JSON.stringify(manifest('20261119_031500', [1])));
  await backupFolder(dir, '20261119_031500', JSON.stringify(manifest('20261119_031500', [1], { status: 'running' })));
  await backupFolder(dir, '20261118_031500', '{"format": 1, "id": "20261118_031500", ');
  await backupFolder(dir, '20261117_031500', JSON.stringify(manifest('20261117_031500', [1], { format: 2 })));
  // ignored: a file with an id name, names that are not ids, a non-id ".partial", the lock
  await writeFile(join(dir, '20261116_031500'), 'not a folder');
  await backupFolder(dir, '2026112_031500', JSON.stringify(manifest('2026112_031500', [1])));
  await backupFolder(dir, 'notizen', null);
  await backupFolder(dir, 'alt.partial', null);
  await writeFile(join(dir, '.praxis-backup.lock'), '{}');

  const cat = await readCatalog(dir);
  assert.equal(
    cat.complete.map((e) => [e.id, e.bytes, e.path]),
    [
      ['20261124_031500', 5, join(dir, '20261124_031500')],
      ['20261122_031500', 123, join(dir, '20261122_031500')],
      ['20251231_235959', 6, join(dir, '20251231_235959')],
    ],
  );
  assert.is(cat.complete[0]!.manifest.host, 'praxis-server');
  assert.equal(cat.partial, ['20261123_031500.partial', '20261125_031500.partial']);
  assert.equal(cat.invalid, ['20261117_031500', '20261118_031500', '20261119_031500', '20261120_031500', '20261121_031500']);
});

test('readCatalog: a missing directory is an empty catalog; an unreadable one is an error', async () => {
  const dir = await makeTempDir('praxis-catalog');
  assert.equal(await readCatalog(join(dir, 'nope')), { complete: [], partial: [], deleting: [], invalid: [], future: [] });
  if (process.getuid?.() === 0) return; // root reads everything; the EACCES case needs a normal user
  await mkdir(join(dir, 'locked'), { mode: 0o000 });
  await chmod(join(dir, 'locked'), 0o000);
  try {
    await readCatalog(join(dir, 'locked'));
    assert.unreachable('an unreadable backup directory must not look empty');
  } catch (e) {
    assert.is((e as NodeJS.ErrnoException).code, 'EACCES');
  }
});

test.run();

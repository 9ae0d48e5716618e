// File names as Linux allows them, through the real CLI and real rsync: names that are not UTF-8
// (Latin-1 documents from old Windows shares and scanners), a newline in a name, 255-byte names,
// paths that with the backup folder in front are longer than PATH_MAX. run, verify, the restore's
// overview and the restore itself must see every such file exactly (issue 13, defect 4), and a
// source folder that disappears before rsync reads it is called that (defect 11).
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync, unlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rawPathOf, readIndex } from '../../src/backup-directory/folder-index';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('odd file names');

let root: string;
let env: CliEnv;

/** A path whose parts are given in Latin-1 bytes (one char per byte): "R\xf6ntgen.pdf" is 12 bytes with 0xf6. */
const at = (...parts: string[]): Buffer => Buffer.from(parts.join('/'), 'latin1');
/** The same for a part given as text (UTF-8). */
const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

const LATIN1_DIR = 'Befunde \xc4rzte';
const LATIN1_FILE = 'R\xf6ntgen.pdf';
const NEWLINE = 'neu\nzeile.txt';
const LONG_ASCII = `${'x'.repeat(251)}.txt`;
const LONG_LATIN1 = `${'\xe9'.repeat(251)}.pdf`;
const LONG_UTF8 = utf8(`${'ä'.repeat(125)}.pdf`);

/** Files below the source, as raw relative paths (one char per byte) → content. */
function oddFiles(withLatin1Dir: boolean): Map<string, string> {
  const f = new Map<string, string>([
    ['brief.txt', 'Sehr geehrte Frau Dr. …'],
    ['scan/a.txt', 'a'],
    ['scan/b.txt', 'bb'],
    ['notiz.txt', 'ccc'],
    [LATIN1_FILE, 'Röntgenbild'],
  ]);
  if (withLatin1Dir) {
    f.set(`${LATIN1_DIR}/Bericht M\xfcller.pdf`, 'Bericht');
    f.set(`${LATIN1_DIR}/unter/${LATIN1_FILE}`, 'tief');
    f.set(NEWLINE, 'zwei\nZeilen');
    f.set(LONG_ASCII, '255 Byte');
    f.set(LONG_LATIN1, '255 Byte Latin-1');
    f.set(LONG_UTF8, '254 Byte UTF-8');
  }
  return f;
}

function writeTree(dir: string, files: Map<string, string>): void {
  for (const [raw, content] of files) {
    const parts = raw.split('/');
    for (let i = 1; i < parts.length; i++) mkdirSync(at(dir, ...parts.slice(0, i)), { recursive: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(at(dir, raw), content);
  }
}

/** Every regular file below dir as raw path → content, read with Buffer paths (what is really there). */
function readTree(dir: string, rel = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(rel ? at(dir, rel) : at(dir), { withFileTypes: true, encoding: 'buffer' })) {
    const name = (e.name as unknown as Buffer).toString('latin1');
    const r = rel ? `${rel}/${name}` : name;
    if (e.isDirectory()) for (const [k, v] of readTree(dir, r)) out.set(k, v);
    else if (e.isFile()) out.set(r, readFileSync(at(dir, r), 'utf8'));
  }
  return out;
}

async function setup(name: string, files: Map<string, string>, opts: { backupDir?: string; keep?: number; mirrors?: unknown[] } = {}) {
  const dir = join(root, name);
  const src = join(dir, 'files');
  writeTree(src, files);
  const backupDir = opts.backupDir ?? join(dir, 'backups');
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: src }], retention: { keep: opts.keep ?? 10 }, ...(opts.mirrors ? { mirrors: opts.mirrors } : {}) }));
  return { dir, src, backupDir, configFile };
}

const onlyBackup = (dir: string): string => {
  const ids = readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n));
  assert.is(ids.length, 1, `one backup in ${dir}: ${ids.join(', ')}`);
  return ids[0]!;
};

async function indexPaths(backup: string): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readIndex(join(backup, 'files.index.jsonl.gz'))) out.push(rawPathOf(l));
  return out;
}

test.before(async () => {
  root = await makeTempDir('praxis-odd-names-');
  env = await cliEnv(root);
});

test.after(async () => {
  // Node's recursive rm stops at PATH_MAX (ENAMETOOLONG); GNU rm works from descriptors.
  await execa('rm', ['-rf', join(root, 'long'), join(root, 'long-retention'), join(root, 'deep'), join(root, 'deep-retention'), join(root, 'too-deep')], { reject: false });
  await runCleanups();
});

test('a folder named in Latin-1: run backs it up, the index holds every name byte for byte, verify and verify --deep find nothing', async () => {
  const files = oddFiles(true);
  const s = await setup('latin1-dir', files);
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const id = onlyBackup(s.backupDir);
  const backup = join(s.backupDir, id);
  assert.equal(readTree(join(backup, 'files')), files, 'the copy holds every file under its exact name');
  const paths = await indexPaths(backup);
  assert.equal([...paths].sort(), [...files.keys()].sort(), 'the index names every file with its exact bytes');
  assert.equal(paths, [...paths].sort(), 'index order: path bytes');
  const manifest = JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8'));
  assert.is(manifest.components[0].files, files.size);
  assert.is(manifest.components[0].index.format, 2);
  for (const args of [['verify', id], ['verify', id, '--deep']]) {
    const v = await runCli([...args, '--config', s.configFile], env.env);
    assert.is(v.code, 0, `${args.join(' ')}: ${v.stdout}${v.stderr}`);
  }
});

test('a file named in Latin-1 among others: verify does not call the other files missing', async () => {
  const s = await setup('latin1-file', oddFiles(false));
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const v = await runCli(['verify', '--config', s.configFile], env.env);
  assert.is(v.code, 0, v.stdout + v.stderr);
  assert.not.match(v.stdout + v.stderr, /fehlen/);
});

test('verify names a missing or changed file whose name is not UTF-8 or holds a newline, escaped and readable', async () => {
  const s = await setup('damaged', oddFiles(true));
  assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
  const copy = join(s.backupDir, onlyBackup(s.backupDir), 'files');
  unlinkSync(at(copy, LATIN1_DIR, 'unter', LATIN1_FILE));
  appendFileSync(at(copy, NEWLINE), ' und mehr');
  writeFileSync(at(copy, `extra-\xff.txt`), 'nicht im Backup');
  const v = await runCli(['verify', '--config', s.configFile], env.env);
  assert.is(v.code, 1, v.stdout + v.stderr);
  const text = v.stdout + v.stderr;
  assert.ok(text.includes('Befunde \\xc4rzte/unter/R\\xf6ntgen.pdf'), `missing file named escaped: ${text}`);
  assert.ok(text.includes('neu\\nzeile.txt ('), `changed size named escaped: ${text}`);
  assert.ok(text.includes('extra-\\xff.txt'), `extra file named escaped: ${text}`);
  assert.not.ok(text.includes('\ufffd'), 'no replacement characters');
});

test('a mirror copy of odd names is checked against the index: verify --target finds it whole, and names a lost file escaped', async () => {
  const files = oddFiles(true);
  // Another file system, as a USB disk is (a target on the backup's own disk is refused).
  const disk = await mountTmpfs(64);
  const target = join(disk.path, 'praxis');
  mkdirSync(target);
  const s = await setup('mirror', files, { mirrors: [{ name: 'usb', type: 'path', path: target, mode: 'all' }] });
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const id = onlyBackup(s.backupDir);
  assert.equal(readTree(join(target, id, 'files')), files, 'the mirror holds every file under its exact name');
  const ok = await runCli(['verify', '--target', 'usb', '--deep', '--config', s.configFile], env.env);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  unlinkSync(at(target, id, 'files', LATIN1_FILE));
  const bad = await runCli(['verify', '--target', 'usb', '--config', s.configFile], env.env);
  assert.is(bad.code, 1, bad.stdout + bad.stderr);
  assert.ok((bad.stdout + bad.stderr).includes('R\\xf6ntgen.pdf'), bad.stdout + bad.stderr);
});

test('restore: the overview names newer files escaped, and the restore puts back every odd name exactly', async () => {
  const files = oddFiles(true);
  const s = await setup('restore', files);
  assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
  const id = onlyBackup(s.backupDir);
  // After the backup: an odd file lost, one changed, a new one with a Latin-1 name.
  unlinkSync(at(s.src, LATIN1_DIR, `Bericht M\xfcller.pdf`));
  writeFileSync(at(s.src, NEWLINE), 'überschrieben');
  writeFileSync(at(s.src, 'Neu-\xe9.txt'), 'nach dem Backup');

  const plan = await runCli(['restore', id, '--dry-run', '--delete-newer-files', '--config', s.configFile, '--json'], env.env);
  assert.is(plan.code, 0, plan.stdout + plan.stderr);
  const ev = plan.events.find((e) => e.type === 'restore-plan')!;
  assert.equal(ev.plan.components[0].notInBackup, { count: 1, first: ['Neu-\\xe9.txt'] });

  const r = await runCli(['restore', id, '--yes', '--delete-newer-files', '--config', s.configFile], env.env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(readTree(s.src), files, 'the folder is the backup again, byte for byte');
});

test('an index written before format 2 (no line for names that are not UTF-8) still verifies: those files are not called extra, the others are checked', async () => {
  const s = await setup('format1', oddFiles(true));
  assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
  const id = onlyBackup(s.backupDir);
  const backup = join(s.backupDir, id);
  // What the previous version wrote for this tree, had it not failed: the UTF-8 names only, no "format".
  const indexFile = join(backup, 'files.index.jsonl.gz');
  const kept = gunzipSync(readFileSync(indexFile)).toString('utf8').split('\n').filter((l) => l && !l.includes('"b":'));
  const gz = gzipSync(kept.map((l) => `${l}\n`).join(''));
  writeFileSync(indexFile, gz);
  const manifestFile = join(backup, 'manifest.json');
  const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
  m.components[0].index = { path: 'files.index.jsonl.gz', sha256: createHash('sha256').update(gz).digest('hex'), files: kept.length, deep: false };
  writeFileSync(manifestFile, JSON.stringify(m, null, 2));
  const ok = await runCli(['verify', id, '--config', s.configFile], env.env);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  // The UTF-8 names are still compared: one gone is found.
  unlinkSync(at(backup, 'files', NEWLINE));
  const bad = await runCli(['verify', id, '--config', s.configFile], env.env);
  assert.is(bad.code, 1, bad.stdout + bad.stderr);
  assert.ok((bad.stdout + bad.stderr).includes('neu\\nzeile.txt'));
});

/** A tree whose paths, with a backup folder of about 900 bytes in front, are longer than PATH_MAX (4096 bytes). */
function deepFiles(): Map<string, string> {
  const deep = Array.from({ length: 14 }, (_, i) => `${String(i).padStart(2, '0')}${'\xe4'.repeat(236)}`);
  const files = new Map<string, string>([['oben.txt', 'oben']]);
  for (let i = 1; i <= deep.length; i++) files.set(`${deep.slice(0, i).join('/')}/d\xf6k.txt`, `Ebene ${i}`);
  return files;
}
const longDir = (name: string) => join(root, name, ...Array.from({ length: 4 }, (_, i) => `${i}${'b'.repeat(220)}`));

test('paths longer than PATH_MAX with the backup folder in front: run and verify --deep see every file', async () => {
  // rsync works inside the folders it copies (relative paths up to 4096 bytes); our walks start at
  // the backup folder, here about 900 bytes deep: 3 400 + 900 > 4 096.
  const files = deepFiles();
  const s = await setup('deep', files, { backupDir: longDir('long') });
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const id = onlyBackup(s.backupDir);
  const backup = join(s.backupDir, id);
  assert.ok(Buffer.byteLength(backup) + 1 + Math.max(...[...files.keys()].map((k) => k.length)) > 4096, 'the test reaches beyond PATH_MAX');
  assert.equal([...(await indexPaths(backup))].sort(), [...files.keys()].sort());
  const v = await runCli(['verify', id, '--deep', '--config', s.configFile], env.env);
  assert.is(v.code, 0, v.stdout + v.stderr);
});

test('retention removes a backup whose paths are longer than PATH_MAX', async () => {
  const s = await setup('deep-retention', deepFiles(), { backupDir: longDir('long-retention'), keep: 1 });
  assert.is((await runCli(['run', '--config', s.configFile], env.env)).code, 0);
  const first = onlyBackup(s.backupDir);
  writeFileSync(join(s.src, 'neu.txt'), 'neu');
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is.not(onlyBackup(s.backupDir), first);
  assert.equal(readdirSync(s.backupDir).filter((n) => n.startsWith(first)), [], 'nothing of the old backup is left');
});

test('a path rsync cannot copy (over 4096 bytes inside the folder): exit 1 naming it as too long, not as permissions; nothing half-made is left', async () => {
  const s = await setup('too-deep', new Map([['oben.txt', 'oben']]));
  // Deeper than one path may be: made step by step with cd, as a program working inside it would.
  const deep = Array.from({ length: 18 }, (_, i) => `${String(i).padStart(2, '0')}${'n'.repeat(238)}`);
  await execa('sh', ['-c', 'cd "$1" && shift && for d; do mkdir "$d" && cd -P "$d" || exit 1; done && echo tief > zu-tief.txt', 'sh', s.src, ...deep]);
  const r = await runCli(['run', '--config', s.configFile], env.env);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /rsync 23/);
  assert.match(r.stderr, /Pfade zu lang für rsync/);
  assert.not.match(r.stderr, /Zugriffsrechte/);
  assert.equal(readdirSync(s.backupDir), [], 'no backup and no .partial left');
});

test('rsync 23 because the source folder disappeared before rsync read it: said so, not "permissions"', async () => {
  const s = await setup('vanishing', oddFiles(false));
  // A stand-in in front of the real rsync removes the source folder, then runs rsync: the folder
  // is gone after our own check and before rsync reads it (a share unmounted during the dumps).
  const bin = join(s.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'rsync'),
    `#!/bin/sh\ncase "$1" in --version) ;; *) rm -rf '${s.src}' ;; esac\nexec /usr/bin/rsync "$@"\n`,
  );
  chmodSync(join(bin, 'rsync'), 0o755);
  const r = await runCli(['run', '--config', s.configFile], { ...env.env, PATH: `${bin}:${process.env.PATH}` });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.ok(!existsSync(s.src));
  assert.match(r.stderr, /ist verschwunden, während das Backup lief/);
  assert.match(r.stderr, new RegExp(s.src.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.not.match(r.stderr, /Zugriffsrechte/);
});

test.run();

// What of the macOS packaging can be checked without a Mac, checked here: scripts/package-mac.sh
// --dry-run builds the .app's directory tree on Linux and prints the Mac-only commands; the test
// reads the tree, parses Info.plist back with the plist package, runs the two launchers (shell
// scripts) with a stand-in qode that reports its argv, parses .github/workflows/macos.yml as YAML,
// and runs the test runner over test/darwin/ for its "skipped (needs macOS)" count. None of this
// proves the bundle starts on a Mac: test/darwin/ and the macOS workflow are for that.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import plist from 'plist';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { findUpwards } from '../../src/autostart/tray-program';
import { findManual } from '../../src/tray/manual-path';
import { makeTempDir, runCleanups } from '../helpers/temp';

const root = realpathSync(new URL('../..', import.meta.url).pathname);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const SCRIPT = join(root, 'scripts', 'package-mac.sh');

function sh(file: string, args: string[], opts: { cwd?: string } = {}) {
  const r = spawnSync(file, args, { cwd: opts.cwd ?? root, encoding: 'utf8', env: { ...process.env, LANG: 'C' }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const isExecutable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

const s = suite('macOS packaging, checked on Linux');
let out = '';
let app = '';
let printed = '';
let fakeQode = '';

s.before(async () => {
  const dir = await makeTempDir('pb-mac-bundle-');
  out = join(dir, 'out');
  // A stand-in for qode that prints its argv, one per line: the launchers' exec target.
  fakeQode = join(dir, 'qode');
  await writeFile(fakeQode, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
  const r = sh('bash', [SCRIPT, '--dry-run', '--no-build', '--out', out, '--qode', fakeQode]);
  assert.is(r.code, 0, `dry run failed:\n${r.out}\n${r.err}`);
  printed = r.out;
  app = join(realpathSync(out), 'Praxis-Backup.app');
});
s.after(runCleanups);

s('dry run: the bundle layout (launchers, qode, the app with dist, tray icons and handbook)', () => {
  const c = join(app, 'Contents');
  for (const f of ['Info.plist', 'Resources/app/package.json', 'Resources/app/dist/cli.js', 'Resources/app/dist/tray.js']) {
    assert.ok(existsSync(join(c, f)), `missing ${f}`);
  }
  for (const f of ['MacOS/Praxis-Backup', 'MacOS/qode', 'Resources/bin/praxis-backup']) assert.ok(isExecutable(join(c, f)), `not an executable file: ${f}`);
  // The template icons the tray uses on macOS, found the way the running app finds them (upwards from dist/).
  const trayDir = findUpwards(join(c, 'Resources', 'app', 'dist'), join('assets', 'tray'));
  assert.is(trayDir, join(c, 'Resources', 'app', 'assets', 'tray'));
  for (const f of ['ok-template.png', 'ok-template@2x.png', 'error-template.png', 'running-8-template@2x.png']) assert.ok(existsSync(join(trayDir!, f)), `missing tray icon ${f}`);
  // „Hilfe…“ finds the handbook inside the bundle, not the checkout's.
  assert.is(findManual('de', join(c, 'Resources', 'app', 'dist')), join(c, 'Resources', 'app', 'docs', 'handbuch.md'));
  assert.is(findManual('en', join(c, 'Resources', 'app', 'dist')), join(c, 'Resources', 'app', 'docs', 'manual.md'));
  // No qode.json: its "distPath" would put --require into NODE_OPTIONS for every child (launcher.sh).
  assert.not.ok(existsSync(join(c, 'MacOS', 'qode.json')));
});

s('Info.plist parsed back: LSUIElement, identifier, executable in MacOS/, version = package.json', () => {
  const info = plist.parse(readFileSync(join(app, 'Contents', 'Info.plist'), 'utf8')) as Record<string, unknown>;
  assert.is(info.LSUIElement, true);
  assert.is(info.CFBundleIdentifier, 'de.praxis-backup.app');
  assert.is(info.CFBundlePackageType, 'APPL');
  assert.is(info.CFBundleShortVersionString, pkg.version);
  assert.is(info.CFBundleVersion, pkg.version);
  assert.type(info.CFBundleExecutable, 'string');
  assert.ok(isExecutable(join(app, 'Contents', 'MacOS', info.CFBundleExecutable as string)), `CFBundleExecutable ${String(info.CFBundleExecutable)} is not in Contents/MacOS`);
  // The icon file Info.plist names is the one iconutil is told to write.
  assert.is(info.CFBundleIconFile, 'AppIcon');
  assert.ok(printed.includes(`iconutil -c icns ${join(realpathSync(out), 'AppIcon.iconset')} -o ${join(app, 'Contents', 'Resources', 'AppIcon.icns')}`), printed);
});

s('dry run: the Mac-only commands are printed, not run (codesign ad hoc, iconutil, hdiutil UDZO)', () => {
  assert.match(printed, /\[dry-run\] would run: codesign --force --deep --sign - --identifier de\.praxis-backup\.app /);
  assert.match(printed, /\[dry-run\] would run: codesign --verify --deep --strict/);
  assert.match(printed, /\[dry-run\] would run: plutil -lint \S+\/Contents\/Info\.plist/);
  assert.match(printed, /\[dry-run\] would run: sips -z 1024 1024 packaging\/macos\/AppIcon\.png --out \S+icon_512x512@2x\.png/);
  assert.match(printed, new RegExp(`\\[dry-run\\] would run: hdiutil create .* -format UDZO \\S+/Praxis-Backup-${pkg.version.replace(/\./g, '\\.')}\\.dmg`));
  assert.match(printed, /\[dry-run\] would run: \S+\/bin\/macdeployqt /);
  assert.not.ok(existsSync(join(out, `Praxis-Backup-${pkg.version}.dmg`)), 'a dry run wrote a .dmg');
  assert.not.ok(existsSync(join(app, 'Contents', 'Resources', 'AppIcon.icns')), 'a dry run wrote an .icns');
  // The source of the icon has the size the largest iconset entry (512@2x) needs: PNG IHDR width/height.
  const png = readFileSync(join(root, 'packaging', 'macos', 'AppIcon.png'));
  assert.equal([png.readUInt32BE(16), png.readUInt32BE(20)], [1024, 1024]);
});

s('launchers: the app starts qode with the bundle tray.js, the CLI with cli.js, also through a symlink and from elsewhere', async () => {
  const res = join(app, 'Contents', 'Resources', 'app', 'dist');
  const trayRun = sh(join(app, 'Contents', 'MacOS', 'Praxis-Backup'), ['--config', '/x y/praxis.json'], { cwd: '/' });
  assert.is(trayRun.code, 0, trayRun.err);
  assert.equal(trayRun.out.trimEnd().split('\n'), [join(res, 'tray.js'), '--config', '/x y/praxis.json']);
  // /usr/local/bin/praxis-backup → …/Resources/bin/praxis-backup: the symlink is followed to the bundle.
  const bin = join(realpathSync(out), 'usr-local-bin');
  await mkdir(bin, { recursive: true });
  await symlink(join(app, 'Contents', 'Resources', 'bin', 'praxis-backup'), join(bin, 'praxis-backup'));
  const cliRun = sh(join(bin, 'praxis-backup'), ['schedule', 'install'], { cwd: '/' });
  assert.is(cliRun.code, 0, cliRun.err);
  assert.equal(cliRun.out.trimEnd().split('\n'), [join(res, 'cli.js'), 'schedule', 'install']);
});

s('without --dry-run off a Mac: exit 2, saying it needs a Mac and naming --dry-run', () => {
  const r = sh('bash', [SCRIPT, '--out', join(out, 'real')]);
  assert.is(r.code, 2);
  assert.match(r.err, /needs a Mac/);
  assert.match(r.err, /--dry-run/);
  assert.not.ok(existsSync(join(out, 'real', 'Praxis-Backup.app')));
});

s('Info.plist writer refuses a version CFBundleVersion cannot hold (an npm prerelease)', () => {
  const r = sh('node', [join(root, 'packaging', 'macos', 'write-info-plist.mjs'), '--base', join(root, 'assets', 'Info.plist'), '--version', '0.2.0-rc.1', '--executable', 'Praxis-Backup', '--icon', 'AppIcon', '--out', join(out, 'never.plist')]);
  assert.is(r.code, 2);
  assert.match(r.err, /0\.2\.0-rc\.1/);
  assert.not.ok(existsSync(join(out, 'never.plist')));
});

s('the macOS workflow parses as YAML: macOS runner, setup, tests, darwin tests, package script, .dmg artifact', () => {
  const wf = YAML.parse(readFileSync(join(root, '.github', 'workflows', 'macos.yml'), 'utf8')) as {
    jobs: Record<string, { 'runs-on': string; steps: Array<{ name?: string; uses?: string; run?: string; with?: Record<string, string> }> }>;
  };
  const jobs = Object.values(wf.jobs);
  assert.is(jobs.length, 1);
  const job = jobs[0]!;
  assert.match(job['runs-on'], /^macos-/);
  const runs = job.steps.map((st) => st.run ?? '').join('\n');
  assert.match(runs, /bash scripts\/setup\.sh/);
  assert.match(runs, /npm test/);
  assert.match(runs, /node scripts\/run-tests\.mjs test\/darwin\//);
  assert.match(runs, /bash scripts\/package-mac\.sh --out build\/macos/);
  assert.match(runs, /open build\/macos\/Praxis-Backup\.app/);
  // Every script a step runs exists in this checkout.
  for (const m of runs.matchAll(/\b(scripts\/[\w.-]+)/g)) assert.ok(existsSync(join(root, m[1]!)), `the workflow runs ${m[1]}, which does not exist`);
  const upload = job.steps.find((st) => st.uses?.startsWith('actions/upload-artifact@'));
  assert.ok(upload, 'no upload-artifact step');
  assert.is(upload.with?.path, 'build/macos/*.dmg');
  assert.is(upload.with?.['if-no-files-found'], 'error');
});

s('test runner: test/darwin/ off a Mac ends "0 passed, 0 failed, skipped (needs macOS): N", N = the files\' markers', () => {
  const r = sh('node', [join(root, 'scripts', 'run-tests.mjs'), 'test/darwin/']);
  assert.is(r.code, 0, r.out + r.err);
  const last = r.out.trimEnd().split('\n').at(-1)!;
  const m = /^(\d+) passed, (\d+) failed, skipped \(needs macOS\): (\d+)$/.exec(last);
  assert.ok(m, `closing line: ${last}`);
  const markers = [...r.out.matchAll(/^\[needs macOS\] skipped (\d+)/gm)].map((x) => Number(x[1]));
  assert.ok(markers.length >= 4, `one marker per darwin test file expected: ${markers.join(', ')}`);
  assert.equal([Number(m[1]), Number(m[2]), Number(m[3])], [0, 0, markers.reduce((a, b) => a + b, 0)]);
});

s.run();

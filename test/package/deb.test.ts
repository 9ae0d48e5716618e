// The Linux package for real (issue 15): `scripts/package-deb.ts` builds the .deb from the dist/ and
// node_modules this checkout already has, lintian finds no error in it, `apt-get install ./….deb`
// installs it on this machine, the INSTALLED program prints its version, backs up a real PostgreSQL
// database and verifies it, writes scheduler units and an autostart entry that name the installed
// files, the menu-bar app started from the package's menu entry shows its icon under Xvfb, and
// `apt-get purge` removes every file of the package and leaves the config and the backups.
// And the acceptance path with the installed files: `init --yes` on a server nobody is
// logged in to yields a valid config, the schedule (lingering asked for), the tray at login (its
// icon shown), a first backup whose restore test passed, and the nightly job started from the
// written unit backs up again without a keyring; `schedule remove` + `tray remove` before the
// purge leave only config, state and backups in that HOME.
//
// Needs root (apt-get, dpkg), dpkg-deb, lintian, Xvfb; skipped with a visible count otherwise. The
// package is purged in the after-hook (and on SIGTERM/SIGINT through the cleanup registry) whatever
// failed, so a failed run never leaves it installed. Refuses to run when praxis-backup is installed
// already: it would purge somebody's installation.
import { execa } from 'execa';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDesktopEntry, splitExec } from '../../src/autostart/desktop-entry';
import { CLI } from '../helpers/cli';
import { startDisplay } from '../helpers/display';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { makeLoopDisk, mountsOf } from '../helpers/loop-disk';
import { createSampleFiles, createSamplePostgres } from '../helpers/sample-practice';
import { systemdStandIns } from '../helpers/systemd-stand-ins';
import { makeTempDir, registerCleanup, runCleanups, waitUntil } from '../helpers/temp';

const test = suite('.deb package: build, lintian, install, run, purge');
const ROOT = resolve(import.meta.dirname, '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const LIB = '/usr/lib/praxis-backup';
const BIN = '/usr/bin/praxis-backup';
const MENU = '/usr/share/applications/praxis-backup.desktop';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = [
  ...(process.getuid?.() === 0 ? [] : ['root']),
  ...['dpkg-deb', 'dpkg-shlibdeps', 'apt-get', 'lintian', 'Xvfb', 'trayer'].filter((t) => !has(t)),
];
const skipped: string[] = [];
/** A test of the package: skipped (counted, named in the summary) when this machine cannot install packages. */
const real = (name: string, fn: () => Promise<void>) =>
  test(name, async () => {
    if (missing.length) {
      skipped.push(name);
      return;
    }
    await fn();
  });

const installedStatus = () => spawnSync('dpkg-query', ['-W', '-f=${db:Status-Status}', PKG.name], { encoding: 'utf8' }).stdout.trim();
/** Another apt-get or dpkg on this machine (an admin, unattended-upgrades) holds the lock for a while: wait for it. */
const WAIT_FOR_LOCK = ['-o', 'DPkg::Lock::Timeout=300'];
const apt = (args: string[], cwd = ROOT) =>
  execa('apt-get', [...WAIT_FOR_LOCK, ...args], { cwd, reject: false, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, all: true });

let root: string;
let home: string;
let deb = '';
let installedByUs = false;
let packageFiles: string[] = [];
let pg: PgServer;
let configFile: string;
let backupDir: string;

/** The environment of the installed program: its own HOME, no node of ours on PATH needed. */
const appEnv = () => ({
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_STATE_HOME: join(home, '.local', 'state'),
  XDG_DATA_HOME: join(home, '.local', 'share'),
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'de_DE.UTF-8',
  TZ: 'UTC',
  PRAXIS_BACKUP_NOTIFY: 'none',
  PRAXIS_BACKUP_TEST_NOW: '2026-11-20T02:00:00Z',
});
const installed = (args: string[], extra: Record<string, string> = {}) =>
  execa(BIN, args, { env: { ...appEnv(), ...extra }, extendEnv: false, reject: false, stdin: 'ignore', all: true });

function purge(): void {
  if (!installedByUs) return;
  const r = spawnSync('apt-get', ['purge', '-y', ...WAIT_FOR_LOCK, PKG.name], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8' });
  if (r.status === 0) installedByUs = false;
  else process.stderr.write(`[deb.test] apt-get purge ${PKG.name} failed: ${r.stderr}\n`);
}

test.before(async () => {
  root = await makeTempDir('praxis-deb-');
  home = join(root, 'home');
  if (missing.length) return;
  if (installedStatus() === 'installed') throw new Error(`${PKG.name} is installed on this machine already; this test installs and purges it. Remove it first: apt-get purge ${PKG.name}`);
  registerCleanup(purge, { label: `apt-get purge ${PKG.name}`, sync: purge });
  // Superuser "postgres", trust on TCP: what init finds on a fresh Debian server without being told a user.
  pg = await startPostgres({ authHost: 'trust', user: 'postgres' });
  await createSamplePostgres(pg, 'tomedo', { patients: 20, visitsPerPatient: 2 });
});

test.after(async () => {
  purge();
  await runCleanups();
  if (skipped.length) console.log(`\n  skipped (needs ${missing.join(', ')}): ${skipped.length}`);
});

test('`praxis-backup --version` of the checkout prints package.json\'s version, and nothing else', async () => {
  const r = await execa(process.execPath, [CLI, '--version'], { reject: false });
  assert.is(r.exitCode, 0, r.stderr);
  assert.is(r.stdout, PKG.version);
});

real('builds the .deb from the dist/ and node_modules the checkout has, runtime files only', async () => {
  const out = join(root, 'deb');
  const r = await execa(process.execPath, ['--import', 'tsx', 'scripts/package-deb.ts', '--out', out], { cwd: ROOT, reject: false, all: true });
  assert.is(r.exitCode, 0, r.all);
  const arch = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();
  deb = join(out, `${PKG.name}_${PKG.version}_${arch}.deb`);
  assert.ok(existsSync(deb), r.all);
  const field = (f: string) => spawnSync('dpkg-deb', ['-f', deb, f], { encoding: 'utf8' }).stdout.trim();
  assert.is(field('Version'), PKG.version);
  assert.is(field('Architecture'), arch);
  const depends = field('Depends').split(/,\s*/).map((d) => d.split(' ')[0]);
  for (const d of ['libqt6core6', 'libqt6gui6', 'libqt6widgets6', 'libsecret-1-0', 'rsync', 'postgresql-client', 'mariadb-client']) assert.ok(depends.includes(d), `Depends lacks ${d}: ${field('Depends')}`);

  const list = spawnSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
  const paths = list.split('\n').filter(Boolean).map((l) => l.slice(l.indexOf('./') + 1).replace(/ -> .*$/, ''));
  for (const p of [BIN, `${LIB}/bin/node`, `${LIB}/dist/cli.js`, `${LIB}/dist/tray.js`, `${LIB}/package.json`, `${LIB}/docs/handbuch.md`, `${LIB}/docs/manual.md`, `${LIB}/assets/tray/ok.png`, `${LIB}/build/native/qode-shim.node`, `${LIB}/node_modules/@nodegui/nodegui/build/Release/nodegui_core.node`, `${LIB}/node_modules/keytar/build/Release/keytar.node`, `${LIB}/node_modules/pdfkit/package.json`, `${LIB}/node_modules/nodemailer/package.json`, `${LIB}/node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf`, MENU, '/usr/share/icons/hicolor/22x22/apps/praxis-backup.png', '/usr/share/doc/praxis-backup/copyright', '/usr/share/doc/praxis-backup/changelog.gz']) {
    assert.ok(paths.includes(p), `${p} is not in the package`);
  }
  // Build-only packages and build trees stay out; everything of the package is root's.
  for (const p of ['/node_modules/cmake-js/', '/node_modules/@nodegui/qode/', '/node_modules/7zip-bin/', '/node_modules/typescript/', '/node_modules/webpack/', '/nodegui/src/', '/nodegui/build/CMakeFiles/', '/keytar/src/']) {
    assert.not.ok(paths.some((x) => x.includes(p)), `${p} should not be in the package`);
  }
  assert.not.ok(list.split('\n').filter(Boolean).some((l) => !l.includes(' root/root ')), 'a file not owned by root:root');
  // The bundle finds docs/, assets/ and the qode shim from where it runs, not from the build machine's sources.
  const x = join(root, 'x');
  spawnSync('dpkg-deb', ['-x', deb, x]);
  for (const f of readdirSync(join(x, LIB.slice(1), 'dist'))) assert.not.match(readFileSync(join(x, LIB.slice(1), 'dist', f), 'utf8'), `file://${ROOT}/`, f);
  console.log(`  ${deb}: ${(statSync(deb).size / 1e6).toFixed(1)} MB, ${paths.length} entries`);
});

real('lintian finds no error (warnings are listed)', async () => {
  assert.ok(deb, 'no .deb was built');
  const r = await execa('lintian', ['--no-tag-display-limit', deb], { reject: false, all: true });
  const lines = String(r.all).split('\n').filter((l) => /^[EWIPX]: /.test(l));
  const errors = lines.filter((l) => l.startsWith('E: '));
  assert.equal(errors, [], r.all);
  // lintian exits 1 for errors only; anything else (2) is lintian failing to run.
  assert.is(r.exitCode, 0, r.all);
  for (const w of lines.filter((l) => l.startsWith('W: '))) console.log(`  lintian ${w}`);
});

real('apt-get install ./….deb installs it; the files are the package\'s', async () => {
  assert.ok(deb, 'no .deb was built');
  installedByUs = true; // from here on the after-hook purges, whatever apt-get did
  const r = await apt(['install', '-y', `./${deb.split('/').pop()}`], resolve(deb, '..'));
  assert.is(r.exitCode, 0, r.all);
  assert.is(installedStatus(), 'installed');
  packageFiles = spawnSync('dpkg', ['-L', PKG.name], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n').filter(Boolean);
  assert.ok(packageFiles.includes(BIN) && packageFiles.includes(`${LIB}/bin/node`), packageFiles.slice(0, 20).join('\n'));
  assert.is(statSync(BIN).mode & 0o777, 0o755);
});

real('the installed `praxis-backup --version` prints package.json\'s version, without any node on PATH', async () => {
  const r = await execa(BIN, ['--version'], { env: { PATH: '/nonexistent' }, extendEnv: false, reject: false, all: true });
  assert.is(r.exitCode, 0, r.all);
  assert.is(r.stdout, PKG.version);
  // Found on PATH as an admin types it, too.
  const onPath = await execa('sh', ['-c', 'praxis-backup --version'], { env: appEnv(), extendEnv: false, reject: false, all: true });
  assert.is(onPath.stdout, PKG.version, onPath.all);
});

real('the installed program backs up a real PostgreSQL database and verifies the backup', async () => {
  configFile = join(home, '.config', 'praxis-backup', 'config.json');
  backupDir = join(home, 'Backups');
  await mkdir(join(home, '.config', 'praxis-backup'), { recursive: true });
  const component = { name: 'datenbank', type: 'postgres', database: 'tomedo', host: pg.host, port: pg.port, user: pg.user, password: 'none' };
  await writeFile(configFile, JSON.stringify({ backupDir, components: [component], retention: { keep: 3 }, schedule: { cron: '30 2 * * *' } }, null, 2));
  // The default config (no --config): the one in the temp HOME.
  const run = await installed(['run']);
  assert.is(run.exitCode, 0, run.all);
  const backups = readdirSync(backupDir).filter((d) => /^\d{8}_\d{6}$/.test(d));
  assert.equal(backups, ['20261120_020000'], run.all);
  const dump = readdirSync(join(backupDir, backups[0]!), { recursive: true }).map(String);
  assert.ok(dump.some((f) => f.includes('datenbank')), `no dump of „datenbank“ in ${dump.join(', ')}`);
  const verify = await installed(['verify', '--restore-test', '--json']);
  assert.is(verify.exitCode, 0, verify.all);
  // The PDF parts (pdfkit, its fonts from the bundled dejavu-fonts-ttf) load from the package too.
  const concept = await installed(['concept', '--out', join(root, 'konzept.pdf')]);
  assert.is(concept.exitCode, 0, concept.all);
  assert.is(readFileSync(join(root, 'konzept.pdf')).subarray(0, 5).toString(), '%PDF-');
});

real('schedule render and tray install of the installed program name the installed files, as the menu entry does', async () => {
  const units = await installed(['schedule', 'render', '--for', 'systemd']);
  assert.is(units.exitCode, 0, units.all);
  const exec = /^ExecStart=(.*)$/m.exec(units.stdout)?.[1] ?? '';
  assert.ok(exec.startsWith(`${LIB}/bin/node ${LIB}/dist/cli.js run --scheduled`), units.stdout);

  const tray = await installed(['tray', 'install']);
  assert.is(tray.exitCode, 0, tray.all);
  const mine = parseDesktopEntry(readFileSync(join(home, '.config', 'autostart', 'praxis-backup.desktop'), 'utf8'))!;
  const pkgEntry = parseDesktopEntry(readFileSync(MENU, 'utf8'))!;
  assert.equal(splitExec(pkgEntry.Exec!), [`${LIB}/bin/node`, '--max-semi-space-size=1', `${LIB}/dist/tray.js`]);
  assert.equal(splitExec(mine.Exec!), splitExec(pkgEntry.Exec!));
  assert.is(mine.Icon, pkgEntry.Icon);
  assert.ok(existsSync(`/usr/share/icons/hicolor/22x22/apps/${pkgEntry.Icon}.png`));
  if (has('desktop-file-validate')) {
    const v = spawnSync('desktop-file-validate', [MENU], { encoding: 'utf8' });
    assert.is(v.status, 0, v.stdout + v.stderr);
  }
  const removed = await installed(['tray', 'remove']);
  assert.is(removed.exitCode, 0, removed.all);
});

/** The installed packages praxis-backup depends on, directly or through them (dpkg's view of this machine). */
function dependencyClosure(): Set<string> {
  const seen = new Set<string>();
  const queue = [PKG.name];
  while (queue.length) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const r = spawnSync('dpkg-query', ['-W', '-f=${Depends},${Pre-Depends}', p], { encoding: 'utf8' });
    for (const alt of r.stdout.split(',')) for (const d of alt.split('|')) {
      const name = d.trim().split(/[ :(]/)[0];
      if (name && !seen.has(name) && spawnSync('dpkg-query', ['-W', name]).status === 0) queue.push(name);
    }
  }
  return seen;
}

/**
 * Starts argv (a desktop entry's Exec) under its own Xvfb with trayer as the tray host, as a login
 * would, and waits until the app traced its icon and trayer embedded it. stop() ends both.
 */
async function trayShowsIcon(argv: string[], env: Record<string, string>, traceName: string) {
  const display = await startDisplay({ tray: true });
  const trace = join(root, traceName);
  const app = execa(argv[0]!, argv.slice(1), { env: { ...env, ...display.env, PRAXIS_BACKUP_TRAY_TRACE: trace, DBUS_SESSION_BUS_ADDRESS: '' }, extendEnv: false, reject: false, stdin: 'ignore', all: true });
  const stopApp = async () => {
    app.kill('SIGTERM');
    await app;
  };
  registerCleanup(stopApp, { label: 'installed tray app', sync: () => app.kill('SIGKILL') });
  const traced = () => (existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: string }) : []);
  assert.ok(await waitUntil(async () => app.exitCode !== null || traced().some((e) => e.t === 'icon'), 60_000), `no icon traced: ${JSON.stringify(traced())}`);
  if (app.exitCode !== null) assert.unreachable(`the app exited (${app.exitCode}): ${(await app).all}`);
  const panel = async () => {
    const tree = await display.tree();
    return tree.slice(Math.max(0, tree.indexOf('"panel"')));
  };
  assert.ok(await waitUntil(async () => /"node": \("node" "node"\)/.test(await panel()), 60_000), 'the icon was not embedded in the tray');
  // 'ready' may come after the embedding on a loaded machine: waited for, not looked at once.
  assert.ok(await waitUntil(async () => traced().some((e) => e.t === 'ready'), 60_000), JSON.stringify(traced()));
  return {
    app,
    display,
    stop: async () => {
      await stopApp();
      await display.stop();
    },
  };
}

real('the menu-bar app started as the package\'s menu entry says shows its icon under Xvfb; every Qt plugin it loads comes with a dependency', async () => {
  const argv = splitExec(parseDesktopEntry(readFileSync(MENU, 'utf8'))!.Exec!);
  const { app, display, stop } = await trayShowsIcon(argv, appEnv(), 'tray-trace.jsonl');
  // It is the installed runtime and the installed files that run.
  const cmdline = readFileSync(`/proc/${app.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  assert.equal(cmdline, argv);
  const maps = readFileSync(`/proc/${app.pid}/maps`, 'utf8');
  assert.match(maps, `${LIB}/node_modules/@nodegui/nodegui/build/Release/nodegui_core.node`);
  assert.match(maps, `${LIB}/build/native/qode-shim.node`);
  // Qt loads its platform and image plugins at run time (no ELF dependency shows them): each one's
  // package must come with the package's dependencies, or a practice's server would lack it.
  const plugins = [...new Set([...maps.matchAll(/\s(\/\S*\/qt6\/plugins\/\S+\.so)$/gm)].map((m) => m[1]!))];
  assert.ok(plugins.some((p) => p.includes('/platforms/libqxcb')), plugins.join('\n'));
  const closure = dependencyClosure();
  for (const p of plugins) {
    const owner = spawnSync('dpkg', ['-S', p], { encoding: 'utf8' }).stdout.split(':')[0]!.trim();
    assert.ok(closure.has(owner), `${p} comes with ${owner}, which praxis-backup does not depend on`);
  }
  await display.screenshot('deb-installed-tray.png');
  await stop();
});

// The acceptance of issue 15 with the installed package: `praxis-backup init --yes` on a server
// nobody is logged in to (no D-Bus, no DISPLAY, no keyring at all), PostgreSQL with trust
// authentication, a folder and a loop disk as the USB disk. systemctl/loginctl are stand-ins on
// PATH (no systemd here) so the schedule install is exercised up to the units it writes; the
// nightly job is then started as its timer would, from the written ExecStart=.
const SERVER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
let server: { home: string; configFile: string; backupDir: string; bin: string; callsLog: string; mounts: string; firstBackup: string; nightBackup: string } | undefined;

/** A job or an ssh/sudo shell with nobody logged in to a desktop: no DBUS_SESSION_BUS_ADDRESS, no DISPLAY, no XDG_RUNTIME_DIR. */
function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  const s = server!;
  const env = {
    HOME: s.home,
    USER: 'praxis',
    PATH: `${s.bin}:${SERVER_PATH}`,
    LANG: 'de_DE.UTF-8',
    TZ: 'UTC',
    PRAXIS_BACKUP_NOTIFY: 'none',
    PRAXIS_BACKUP_MOUNT_BASE: s.mounts,
    // The clock of init's first backup; the nightly run and status set their own.
    PRAXIS_BACKUP_TEST_NOW: '2026-11-20T09:00:00Z',
    ...extra,
  };
  assert.not.ok('DBUS_SESSION_BUS_ADDRESS' in env || 'DISPLAY' in env || 'XDG_RUNTIME_DIR' in env);
  return env;
}

/** ExecStart=/Environment= of a unit file as systemd reads them ("…" quoting, $$ and %% doubled). */
function unitCommand(file: string): { argv: string[]; env: Record<string, string> } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const unescape = (w: string) => (w.startsWith('"') ? w.slice(1, -1).replace(/\\(.)/g, '$1') : w).replace(/\$\$/g, '$').replace(/%%/g, '%');
  const exec = lines.find((l) => l.startsWith('ExecStart='))!.slice('ExecStart='.length);
  const argv = (exec.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []).map(unescape);
  const env = Object.fromEntries(lines.filter((l) => l.startsWith('Environment=')).map((l) => l.slice('Environment='.length).split(/=(.*)/s).slice(0, 2)));
  return { argv, env };
}

real('init --yes of the installed program, nobody logged in: trust PostgreSQL with password "none", a folder, the USB disk; config valid, schedule installed with lingering, tray at login, first backup with its restore test passed', async () => {
  const base = join(root, 'server');
  const home = join(base, 'home');
  await mkdir(home, { recursive: true });
  const files = join(base, 'praxis', 'Anhaenge');
  await createSampleFiles(files, { files: 12 });
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'PRAXIS-USB' });
  const sd = systemdStandIns(base, { linger: 'no' });
  server = { home, configFile: join(home, '.config', 'praxis-backup', 'config.json'), backupDir: join(home, 'Backups'), bin: sd.bin, callsLog: sd.callsLog, mounts: join(base, 'mounts'), firstBackup: '', nightBackup: '' };
  const started = Date.now();
  // Unencrypted: an encrypted disk's passphrase lives in the keyring, which a server without a desktop does not have.
  const r = await execa(BIN, ['init', '--yes', '--json', '--postgres', `${pg.host}:${pg.port}`, '--folder', files, '--backup-dir', server.backupDir, '--disk', disk.uuid, '--no-encrypt'], {
    env: serverEnv(),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  console.log(`  init --yes: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.is(r.exitCode, 0, `${r.stderr}\n${r.stdout}`);
  const ev = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
  assert.equal(ev.filter((e) => e.type === 'apply-stage' && e.state === 'failed'), [], r.stdout);

  // The config, loaded by the installed program (status refuses an invalid one).
  const config = JSON.parse(readFileSync(server.configFile, 'utf8'));
  const db = config.components.find((c: any) => c.type === 'postgres');
  assert.equal([db?.database, db?.port, db?.password], ['tomedo', pg.port, 'none'], JSON.stringify(config.components));
  assert.ok(config.components.some((c: any) => c.type === 'folder' && c.path === files), JSON.stringify(config.components));
  assert.equal(config.mirrors.map((m: any) => [m.name, m.volume?.uuid, m.encrypt === true]), [['usb', disk.uuid, false]]);
  const summary = ev.find((e) => e.type === 'apply-summary')!;
  assert.is(summary.restoreTest, 'passed');
  assert.is(summary.configFile, server.configFile);
  server.firstBackup = summary.backupId;
  // status: the config loads, the last run is this backup, nothing to alert about (exit 1 would be an alert).
  const st = await execa(BIN, ['status', '--json'], { env: serverEnv({ PRAXIS_BACKUP_TEST_NOW: '2026-11-20T09:05:00Z' }), extendEnv: false, reject: false, stdin: 'ignore' });
  assert.is(st.exitCode, 0, `${st.stderr}\n${st.stdout}`);
  assert.match(st.stdout, server.firstBackup);

  // The first backup: there, verified with the restore test, copied onto the disk and the disk unmounted.
  const verification = JSON.parse(readFileSync(join(server.backupDir, server.firstBackup, 'verification.json'), 'utf8'));
  assert.equal([verification.ok, verification.checked.restoreTest], [true, true]);
  assert.equal(ev.find((e) => e.type === 'finished')?.summary.mirrors.map((m: any) => [m.name, m.result]), [['usb', 'success']]);
  assert.equal(mountsOf(disk.device), [], 'unmounted again');

  // The schedule: the units run the INSTALLED node and cli.js, and lingering was asked for, so the timer runs with nobody logged in.
  const unitDir = join(home, '.config', 'systemd', 'user');
  const { argv } = unitCommand(join(unitDir, 'praxis-backup.service'));
  assert.equal(argv, [`${LIB}/bin/node`, `${LIB}/dist/cli.js`, 'run', '--scheduled', '--config', server.configFile]);
  assert.match(readFileSync(join(unitDir, 'praxis-backup.timer'), 'utf8'), /^OnCalendar=Mon\.\.Fri \*-\*-\* 03:15:00$/m);
  const calls = readFileSync(server.callsLog, 'utf8');
  assert.match(calls, 'loginctl --no-ask-password enable-linger praxis');
  assert.match(calls, /systemctl --user enable --now praxis-backup\.timer/);

  // The tray at the next login: the autostart entry starts the installed tray, and that shows its icon.
  const entry = parseDesktopEntry(readFileSync(join(home, '.config', 'autostart', 'praxis-backup.desktop'), 'utf8'))!;
  const trayArgv = splitExec(entry.Exec!);
  assert.equal(trayArgv, [...splitExec(parseDesktopEntry(readFileSync(MENU, 'utf8'))!.Exec!), '--config', server.configFile]);
  const { app, display, stop } = await trayShowsIcon(trayArgv, { ...serverEnv(), PATH: SERVER_PATH }, 'server-tray-trace.jsonl');
  assert.equal(readFileSync(`/proc/${app.pid}/cmdline`, 'utf8').split('\0').filter(Boolean), trayArgv);
  await display.screenshot('deb-init-tray-after-login.png');
  await stop();
});

real('the nightly job as its timer starts it (the unit\'s ExecStart=, nobody logged in): a second backup, no keyring touched', async () => {
  assert.ok(server?.firstBackup, 'init --yes did not run');
  const { argv, env } = unitCommand(join(server.home, '.config', 'systemd', 'user', 'praxis-backup.service'));
  // What systemd's user manager gives a job (HOME, USER, PATH) plus the unit's Environment=; no
  // D-Bus session: any keyring lookup fails here, so a run that succeeds asked none.
  const started = Date.now();
  const r = await execa(argv[0]!, argv.slice(1), { env: { ...serverEnv({ PRAXIS_BACKUP_TEST_NOW: '2026-11-23T03:15:00Z', PATH: SERVER_PATH }), ...env }, extendEnv: false, reject: false, stdin: 'ignore', all: true });
  console.log(`  nightly run: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.is(r.exitCode, 0, r.all);
  assert.not.match(String(r.all), /Schlüsselbund|Secret Service|D-Bus/);
  server.nightBackup = '20261123_031500';
  assert.equal(readdirSync(server.backupDir).filter((d) => /^\d{8}_\d{6}$/.test(d)).sort(), [server.firstBackup, server.nightBackup].sort());
  const manifest = JSON.parse(readFileSync(join(server.backupDir, server.nightBackup, 'manifest.json'), 'utf8'));
  assert.ok(manifest.components.some((c: any) => c.type === 'postgres'), JSON.stringify(manifest.components));
  const st = await execa(BIN, ['status', '--json'], { env: serverEnv({ PRAXIS_BACKUP_TEST_NOW: '2026-11-23T03:20:00Z' }), extendEnv: false, reject: false, stdin: 'ignore' });
  assert.is(st.exitCode, 0, `${st.stderr}\n${st.stdout}`);
  const status = JSON.parse(st.stdout.trim().split('\n').at(-1)!);
  assert.equal([status.lastRun?.backupId, status.lastRun?.result], [server.nightBackup, 'success'], st.stdout);
});

// Before removing the package, each user who set it up removes his own timer and autostart entry
// (the README says so). No prerm does it: a maintainer script must not edit users' homes, and root
// cannot reach each user's systemd manager to stop a timer anyway; units left behind would start
// a program that is gone every night.
real('before apt-get purge: `schedule remove` and `tray remove` leave nothing in HOME but the config, the state (logs) and the backups', async () => {
  assert.ok(server?.firstBackup, 'init --yes did not run');
  for (const args of [['schedule', 'remove'], ['tray', 'remove']]) {
    const r = await execa(BIN, args, { env: serverEnv(), extendEnv: false, reject: false, stdin: 'ignore', all: true });
    assert.is(r.exitCode, 0, `${args.join(' ')}: ${r.all}`);
  }
  assert.match(readFileSync(server.callsLog, 'utf8'), /systemctl --user disable --now praxis-backup\.timer/);
  assert.equal(leftInHome(server.home), []);
});

/**
 * Files in a HOME other than the config, the state folder (logs, status) and the backups. Not ours
 * either: ~/.dbus/session-bus/, libdbus's record of the bus it autolaunched for the Xvfb "login"
 * here, which has no session bus (a desktop login has one; any X program would leave it).
 */
function leftInHome(home: string): string[] {
  const kept = ['.config/praxis-backup/', '.local/state/praxis-backup/', 'Backups/', '.dbus/session-bus/'];
  return readdirSync(home, { recursive: true, withFileTypes: true })
    .filter((d) => !d.isDirectory())
    .map((d) => join(d.parentPath, d.name).slice(home.length + 1))
    .filter((f) => !kept.some((k) => f.startsWith(k)));
}

real('apt-get purge removes every file of the package; the config and the backups stay', async () => {
  assert.ok(installedByUs && packageFiles.length > 0, 'the package was not installed');
  const r = await apt(['purge', '-y', PKG.name]);
  assert.is(r.exitCode, 0, r.all);
  installedByUs = false;
  assert.ok(['', 'not-installed'].includes(installedStatus()), `dpkg still knows ${PKG.name}: ${installedStatus()}`);
  // Directories the package shares with the system (/usr, /usr/share/icons …) stay; its own go.
  const left = packageFiles.filter((p) => existsSync(p) && (!statSync(p).isDirectory() || p.startsWith(LIB) || p.startsWith('/usr/share/doc/praxis-backup')));
  assert.equal(left, []);
  assert.ok(existsSync(configFile), 'the config is gone');
  assert.equal(readdirSync(backupDir).filter((d) => /^\d{8}_\d{6}$/.test(d)), ['20261120_020000']);
  // The server set up with init: its config and both backups stay, nothing else of ours.
  if (server?.nightBackup) {
    assert.ok(existsSync(server.configFile), 'the config of init is gone');
    assert.equal(readdirSync(server.backupDir).filter((d) => /^\d{8}_\d{6}$/.test(d)).sort(), [server.firstBackup, server.nightBackup].sort());
    assert.equal(leftInHome(server.home), []);
  }
});

test.run();

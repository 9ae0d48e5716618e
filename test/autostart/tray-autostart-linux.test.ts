// `praxis-backup tray install|remove|status` on Linux through the built CLI (dist/cli.js), in a temp
// HOME with its own XDG dirs: the desktop entries are read with a parser of this test's own and by
// GLib (`gio launch` starts the menu-bar app from the autostart entry's Exec line under Xvfb with a
// real tray host, and the icon appears); desktop-file-validate checks them when it is installed.
import { execa } from 'execa';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { startDisplay } from '../helpers/display';
import { TRAY } from '../helpers/tray-app';
import { makeTempDir, registerCleanup, runCleanups, waitUntil } from '../helpers/temp';

const test = suite('tray autostart (Linux)');
const ASSETS = resolve(import.meta.dirname, '../../assets/tray');
let root: string;
let env: CliEnv;
let autostart: string;
let menu: string;
let icon1: string;
let icon2: string;
const skipped: string[] = [];

test.before(async () => {
  root = await makeTempDir('praxis-tray-autostart-');
  env = await cliEnv(root, { XDG_DATA_HOME: join(root, 'home', '.local', 'share') });
  autostart = join(env.env.XDG_CONFIG_HOME!, 'autostart', 'praxis-backup.desktop');
  menu = join(env.env.XDG_DATA_HOME!, 'applications', 'praxis-backup.desktop');
  icon1 = join(env.env.XDG_DATA_HOME!, 'icons', 'hicolor', '22x22', 'apps', 'praxis-backup.png');
  icon2 = join(env.env.XDG_DATA_HOME!, 'icons', 'hicolor', '22x22@2', 'apps', 'praxis-backup.png');
});
test.after(async () => {
  await runCleanups();
  if (skipped.length) console.log(`\n  skipped (needs ${skipped.join(', ')}): ${skipped.length}`);
});

/** This test's own reading of a desktop entry: the [Desktop Entry] group's key=value lines, as written. */
function keys(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  let group = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('[')) group = line;
    else if (group === '[Desktop Entry]' && /^[A-Za-z0-9-]+(\[[a-z_A-Z@]+\])?=/.test(line)) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    else assert.ok(line === '' || line.startsWith('#'), `a line that is no comment, group or key=value: ${line}`);
  }
  return out;
}

/** Every file below the home, relative, with its bytes: what "leaves nothing" is compared with. */
function snapshot(): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of readdirSync(env.home, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    m.set(relative(env.home, p) + (e.isDirectory() ? '/' : ''), e.isFile() ? readFileSync(p, 'base64') : '');
  }
  return m;
}

const pngSize = (file: string) => {
  const b = readFileSync(file);
  assert.is(b.subarray(1, 4).toString(), 'PNG', file);
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
};

test('status before install: not set up (exit 0), names the command that sets it up', async () => {
  const r = await runCli(['tray', 'status'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), 'Start bei der Anmeldung: nicht eingerichtet („praxis-backup tray install“ richtet ihn ein).');
  const j = await runCli(['tray', 'status', '--json'], env.env);
  assert.is(j.events[0]!.installed, false);
  assert.equal(j.events[0]!.files.map((f: any) => f.installed), [false, false, false, false]);
});

test('install: autostart and menu entries with absolute Exec of this node and dist/tray.js, icons from assets, 0644', async () => {
  // Something of the user's own in the autostart folder: install and remove must not touch it.
  mkdirSync(join(env.env.XDG_CONFIG_HOME!, 'autostart'), { recursive: true });
  writeFileSync(join(env.env.XDG_CONFIG_HOME!, 'autostart', 'other.desktop'), '[Desktop Entry]\nType=Application\nName=Other\nExec=/bin/true\n');
  const before = snapshot();
  const r = await runCli(['tray', 'install'], env.env);
  assert.is(r.code, 0, r.stderr);
  for (const f of [icon1, icon2, menu, autostart]) assert.ok(r.stdout.includes(f), `${f} not named in:\n${r.stdout}`);
  assert.ok(r.stdout.includes(`Gestartet wird: ${process.execPath} --max-semi-space-size=1 ${TRAY}`), r.stdout);
  const a = keys(autostart);
  const m = keys(menu);
  assert.is(a.Exec, `${process.execPath} --max-semi-space-size=1 ${TRAY}`);
  assert.is(m.Exec, a.Exec);
  assert.ok(existsSync(process.execPath) && existsSync(TRAY));
  assert.is(a['X-GNOME-Autostart-enabled'], 'true');
  assert.not.ok('X-GNOME-Autostart-enabled' in m, 'the menu entry is not an autostart switch');
  for (const e of [a, m]) {
    assert.is(e.Type, 'Application');
    assert.is(e.Name, 'Praxis-Backup');
    assert.is(e.Icon, 'praxis-backup', 'a theme icon name: no path, no extension');
    assert.is(e.Terminal, 'false');
    assert.is(e['GenericName[de]'], 'Datensicherung des Praxisservers');
    assert.is(e.GenericName, 'Practice server backup');
    assert.match(e['Comment[de]']!, /Menüleiste/);
    assert.match(e.Comment!, /menu bar/);
  }
  assert.equal(pngSize(icon1), [22, 22]);
  assert.equal(pngSize(icon2), [44, 44]);
  assert.ok(readFileSync(icon1).equals(readFileSync(join(ASSETS, 'ok.png'))));
  assert.ok(readFileSync(icon2).equals(readFileSync(join(ASSETS, 'ok@2x.png'))));
  for (const f of [icon1, icon2, menu, autostart]) assert.is(statSync(f).mode & 0o777, 0o644, f);
  // Nothing else appeared (no temp files left over), nothing else changed.
  const after = snapshot();
  const added = [...after.keys()].filter((k) => !before.has(k) && !k.endsWith('/'));
  assert.equal(added.sort(), [autostart, menu, icon1, icon2].map((f) => relative(env.home, f)).sort());
  for (const [k, v] of before) assert.is(after.get(k), v, k);
});

test('the entries pass desktop-file-validate (when installed: apt package desktop-file-utils)', async () => {
  const which = await execa('sh', ['-c', 'command -v desktop-file-validate'], { reject: false });
  if (which.exitCode !== 0) {
    skipped.push('desktop-file-validate');
    console.log('\n  skipped: desktop-file-validate is not installed (apt package desktop-file-utils)');
    return;
  }
  for (const f of [menu, autostart]) {
    const r = await execa('desktop-file-validate', [f], { reject: false });
    assert.is(r.exitCode, 0, `${f}: ${r.stdout}${r.stderr}`);
  }
});

test('status after install: everything present and current, the command line, exit 0', async () => {
  const r = await runCli(['tray', 'status'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Start bei der Anmeldung: eingerichtet\.$/m);
  for (const f of [icon1, icon2, menu, autostart]) assert.ok(r.stdout.includes(`  ${f}: vorhanden\n`), r.stdout);
  const j = (await runCli(['tray', 'status', '--json'], env.env)).events[0]!;
  assert.is(j.installed, true);
  assert.equal(j.argv, [process.execPath, '--max-semi-space-size=1', TRAY]);
  assert.ok(j.files.every((f: any) => f.current && f.missing.length === 0), JSON.stringify(j.files));
  assert.equal(j.missing, []);
});

test('a second install is idempotent: same files, same bytes, nothing added', async () => {
  const before = snapshot();
  const r = await runCli(['tray', 'install'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.equal([...snapshot().entries()], [...before.entries()]);
});

test('the autostart entry starts the menu-bar app: gio launch (GLib, as the session does) under Xvfb, the icon appears', async () => {
  const display = await startDisplay({ tray: true });
  const trace = join(root, 'tray-trace.jsonl');
  const childEnv = { ...env.env, ...display.env, PATH: process.env.PATH!, PRAXIS_BACKUP_TRAY_TRACE: trace, DBUS_SESSION_BUS_ADDRESS: '' };
  // The app inherits gio's stdout and stderr: files, not pipes, or this would wait for the app to end.
  const gioOut = join(root, 'gio-launch.out');
  const fd = openSync(gioOut, 'w');
  const r = spawnSync('gio', ['launch', autostart], { env: childEnv, stdio: ['ignore', fd, fd], timeout: 60_000 });
  closeSync(fd);
  assert.is(r.status, 0, readFileSync(gioOut, 'utf8'));
  const pidFile = join(env.stateDir, 'tray.pid');
  const stop = () => {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      /* not started or already gone */
    }
  };
  registerCleanup(stop, { label: 'tray started by gio launch', sync: stop });
  const traced = () => (existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  assert.ok(await waitUntil(async () => traced().some((e) => e.t === 'icon'), 60_000), `no icon traced: ${JSON.stringify(traced())}`);
  // Without a config the app shows its error state; what matters is that it runs and has an icon in the tray.
  assert.ok(await waitUntil(async () => /"node": \("node" "node"\)/.test((await display.tree()).slice((await display.tree()).indexOf('"panel"'))), 60_000), 'the icon was not embedded in the tray');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  assert.equal(cmdline, [process.execPath, '--max-semi-space-size=1', TRAY]);
  await display.screenshot('autostart-tray.png');
  stop();
  assert.ok(await waitUntil(async () => !existsSync(`/proc/${pid}`), 30_000), 'the app did not end on SIGTERM');
  await display.stop();
});

test('status: a switched-off entry and a gone Node binary are named, with the fix', async () => {
  const original = readFileSync(autostart, 'utf8');
  const gone = join(root, 'node-22.1.0', 'bin', 'node');
  writeFileSync(autostart, original.replace(`Exec=${process.execPath} `, `Exec=${gone} `).replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
  const r = await runCli(['tray', 'status'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(`Achtung: ${gone} gibt es nicht mehr (Node aktualisiert oder Praxis-Backup verschoben?), die App startet so nicht. Bitte „praxis-backup tray install“ erneut ausführen.`), r.stdout);
  assert.ok(r.stdout.includes(`  ${autostart}: vorhanden, aber von einer anderen Installation oder Version`), r.stdout);
  assert.match(r.stdout, /in den Einstellungen der Arbeitsumgebung abgeschaltet/);
  const en = await runCli(['tray', 'status', '--json'], { ...env.env, LANG: 'en_GB.UTF-8' });
  assert.equal(en.events[0]!.missing, [gone]);
  assert.is(en.events[0]!.files[0].disabled, true);
  // install repairs both.
  assert.is((await runCli(['tray', 'install'], env.env)).code, 0);
  assert.is(readFileSync(autostart, 'utf8'), original);
});

test('status: a file gone since install makes it partial, naming the file; install puts it back', async () => {
  unlinkSync(icon2);
  const r = await runCli(['tray', 'status'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Start bei der Anmeldung: nur teilweise eingerichtet; „praxis-backup tray install“ ergänzt den Rest\.$/m);
  assert.ok(r.stdout.includes(`  ${icon2}: fehlt\n`), r.stdout);
  assert.is((await runCli(['tray', 'install'], env.env)).code, 0);
  assert.ok(readFileSync(icon2).equals(readFileSync(join(ASSETS, 'ok@2x.png'))));
});

test('install --config: the app gets the absolute config path', async () => {
  const r = await runCli(['tray', 'install', '--config', 'praxis.json'], { ...env.env, LANG: 'en_GB.UTF-8' });
  assert.is(r.code, 0, r.stderr);
  assert.is(keys(autostart).Exec, `${process.execPath} --max-semi-space-size=1 ${TRAY} --config ${resolve('praxis.json')}`);
  assert.ok(r.stdout.includes('Praxis-Backup now starts in the menu bar at every login.'), r.stdout);
  // status without --config compares with the default: not current; with it: current.
  const without = (await runCli(['tray', 'status', '--json'], env.env)).events[0]!;
  assert.is(without.files[0].current, false);
  const withIt = (await runCli(['tray', 'status', '--json', '--config', 'praxis.json'], env.env)).events[0]!;
  assert.is(withIt.files[0].current, true);
});

test('remove deletes exactly what install wrote; the home is as before install; a second remove says so', async () => {
  const r = await runCli(['tray', 'remove'], env.env);
  assert.is(r.code, 0, r.stderr);
  for (const f of [autostart, menu, icon1, icon2]) {
    assert.ok(r.stdout.includes(`Entfernt: ${f}`), r.stdout);
    assert.not.ok(existsSync(f), f);
  }
  assert.match(r.stdout, /läuft weiter, bis sie mit „Beenden“/);
  // What the app itself made while it ran (its state folder; Qt's autolaunched D-Bus) is not install's.
  const left = [...snapshot().keys()].filter((k) => !k.startsWith('.local/state/') && !k.startsWith('.dbus/'));
  assert.equal(left.sort(), ['.config/', '.config/autostart/', '.config/autostart/other.desktop', '.local/', '.local/share/'].sort());
  const again = await runCli(['tray', 'remove'], env.env);
  assert.is(again.code, 0);
  assert.is(again.stdout.trim(), 'Der Start bei der Anmeldung war nicht eingerichtet; nichts zu entfernen.');
  assert.match((await runCli(['tray', 'status'], env.env)).stdout, /nicht eingerichtet/);
});

test('remove leaves an entry at our path that we did not write', async () => {
  mkdirSync(join(env.env.XDG_DATA_HOME!, 'applications'), { recursive: true });
  const mine = '[Desktop Entry]\nType=Application\nName=Praxis-Backup (by hand)\nExec=/opt/pb/tray\n';
  writeFileSync(menu, mine);
  const r = await runCli(['tray', 'remove', '--json'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.events[0]!.removed, []);
  assert.equal(r.events[0]!.kept, [menu]);
  assert.is(readFileSync(menu, 'utf8'), mine);
});

test('bad arguments: exit 2 with the reason', async () => {
  for (const args of [['tray'], ['tray', 'start'], ['tray', 'install', 'extra'], ['tray', 'install', '--bogus'], ['tray', 'remove', '--config', '/x.json'], ['tray', 'install', '--keep-running']]) {
    const r = await runCli(args, env.env);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^Ungültige Angabe: .+„praxis-backup tray --help“/, args.join(' '));
  }
});

test('the CLI this test runs is the built one', () => {
  assert.ok(existsSync(CLI));
});

test.run();

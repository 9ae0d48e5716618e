// `schedule install` / `schedule status` through the built CLI (dist/cli.js) with lingering in each
// state. This machine has no systemd user manager and no logind, so `systemctl` and `loginctl` are
// stand-in scripts first in PATH: they answer as the real tools do (the lines of linger.test.ts)
// and log their argv; everything else — the runner, the CLI, the unit files, the exit code — is the
// real thing. The user is one no /var/lib/systemd/linger file can exist for.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('linger CLI');
const USER = 'praxis-linger-test';
let root: string;
let bin: string;
let env: CliEnv;
let config: string;

const STANDIN = `#!/bin/sh
dir=$(dirname "$0")
echo "$(basename "$0") $*" >> "$dir/calls.log"
mode=$(cat "$dir/mode")
case "$(basename "$0")" in
systemctl)
  case " $* " in *" show "*) printf 'LoadState=loaded\\nActiveState=active\\nUnitFileState=enabled\\n' ;; esac
  exit 0 ;;
loginctl)
  case "$1" in
  show-user) [ "$mode" = on ] && echo Linger=yes || echo Linger=no; exit 0 ;;
  --no-ask-password) [ "$mode" = refuse ] && { echo 'Could not enable linger: Access denied' >&2; exit 1; }; exit 0 ;;
  esac ;;
esac
exit 64
`;

test.before(async () => {
  root = await makeTempDir('praxis-linger-cli-');
  bin = join(root, 'bin');
  mkdirSync(bin);
  for (const tool of ['systemctl', 'loginctl']) {
    writeFileSync(join(bin, tool), STANDIN);
    chmodSync(join(bin, tool), 0o755);
  }
  env = await cliEnv(root, { PATH: `${bin}:${process.env.PATH}`, USER });
  const src = join(root, 'files');
  mkdirSync(src);
  config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'files', type: 'folder', path: src }], schedule: { cron: '15 3 * * 1-5' } }));
});
test.after(() => runCleanups());

/** Sets what loginctl answers and forgets earlier calls; returns a reader of the calls since. */
function mode(m: 'on' | 'off' | 'refuse'): () => string[] {
  writeFileSync(join(bin, 'mode'), m);
  writeFileSync(join(bin, 'calls.log'), '');
  return () => readFileSync(join(bin, 'calls.log'), 'utf8').trim().split('\n');
}

test('precondition: no linger file for the test user on this machine', () => {
  assert.not.ok(existsSync(join('/var/lib/systemd/linger', USER)));
});

test('off and polkit refuses: installed, exit 3, the sudo command (de), and --json says so too', async () => {
  const calls = mode('refuse');
  const r = await runCli(['schedule', 'install', '--config', config], env.env);
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.ok(existsSync(join(env.home, '.config', 'systemd', 'user', 'praxis-backup.timer')));
  assert.ok(calls().includes(`loginctl --no-ask-password enable-linger ${USER}`), calls().join('\n'));
  assert.match(r.stdout, new RegExp(`läuft NUR, solange ${USER} angemeldet ist`));
  assert.match(r.stdout, new RegExp(`„sudo loginctl enable-linger ${USER}“`));
  assert.match(r.stdout, /loginctl: Could not enable linger: Access denied/);
  const j = await runCli(['schedule', 'install', '--config', config, '--json'], env.env);
  assert.is(j.code, 3, j.stderr);
  assert.equal(j.events[0]!.linger, { user: USER, state: 'off', enabled: false, detail: ['Could not enable linger: Access denied'] });
});

test('off and enable works: exit 0, said; status then reads the state logind reports', async () => {
  const calls = mode('off');
  const r = await runCli(['schedule', 'install', '--config', config], { ...env.env, LANG: 'en_GB.UTF-8' });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(calls().filter((c) => c.startsWith('loginctl')), [`loginctl show-user ${USER} --property=Linger`, `loginctl --no-ask-password enable-linger ${USER}`]);
  assert.match(r.stdout, new RegExp(`lingering switched on for ${USER}`));
});

test('on already: exit 0, loginctl only asked, nothing enabled', async () => {
  const calls = mode('on');
  const r = await runCli(['schedule', 'install', '--config', config], env.env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(calls().filter((c) => c.startsWith('loginctl')), [`loginctl show-user ${USER} --property=Linger`]);
  assert.match(r.stdout, /schon eingeschaltet – der Zeitplan läuft auch ohne Anmeldung/);
});

test('schedule status: „läuft auch ohne Anmeldung“ / „läuft NUR, solange … angemeldet ist“, in German and English', async () => {
  mode('on');
  const on = await runCli(['schedule', 'status', '--config', config], env.env);
  assert.is(on.code, 0, on.stderr);
  assert.match(on.stdout, /^Ohne Anmeldung: läuft auch ohne Anmeldung/m);
  const onEn = await runCli(['schedule', 'status', '--config', config], { ...env.env, LANG: 'en_GB.UTF-8' });
  assert.match(onEn.stdout, /^Without login: runs with nobody logged in too/m);
  mode('off');
  const off = await runCli(['schedule', 'status', '--config', config], env.env);
  assert.match(off.stdout, new RegExp(`^Ohne Anmeldung: läuft NUR, solange ${USER} angemeldet ist`, 'm'));
  const offEn = await runCli(['schedule', 'status', '--config', config, '--json'], { ...env.env, LANG: 'en_GB.UTF-8' });
  assert.equal(offEn.events[0]!.linger, { user: USER, state: 'off' });
  assert.ok(offEn.events[0]!.notes.some((n: { text: string }) => n.text.startsWith(`Without login: runs ONLY while ${USER} is logged in`)), JSON.stringify(offEn.events[0]!.notes));
});

test.run();

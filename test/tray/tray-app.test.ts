// The whole menu-bar app, headless but real: Xvfb, trayer as the system tray, the built app
// (dist/tray.js) as its own process, xdotool clicking its icon and menu, a real backup of a real
// PostgreSQL database and a folder by the real CLI, and screenshots of what the admin sees
// (test-output/screenshots/).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv } from '../helpers/cli';
import { startDisplay, type TestDisplay } from '../helpers/display';
import { startPostgres } from '../helpers/postgres';
import { createSampleFiles, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, visibly, waitUntil } from '../helpers/temp';
import { startTrayApp, type RunningTray, type TraceEntry } from '../helpers/tray-app';

let display: TestDisplay;
let tray: RunningTray;
let backupDir: string;
let root: string;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const openMenu = () => tray.openMenu();
const choose = (menu: TraceEntry, action: string) => tray.choose(menu, action);

test.before(visibly(async () => {
  root = await makeTempDir('tray-app');
  const pg = await startPostgres();
  await createSamplePostgres(pg, 'praxis', { patients: 200 });
  const files = join(root, 'Anhaenge');
  await createSampleFiles(files, { files: 300, bytesEach: 64 * 1024 });
  backupDir = join(root, 'backups');
  const { env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_PASSWORD_DATENBANK: pg.password });
  const configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir,
      components: [
        { name: 'datenbank', type: 'postgres', database: 'praxis', host: '127.0.0.1', port: pg.port, user: pg.user },
        { name: 'anhaenge', type: 'folder', path: files },
      ],
      retention: { keep: 3 },
      schedule: { cron: '15 3 * * 1-5' },
      // The run waits in its hook until the test has seen it running in the menu (file `release`).
      hooks: { beforeBackup: { command: ['sh', '-c', 'while [ ! -e "$0" ]; do sleep 0.05; done', join(root, 'release')], timeoutSeconds: 86400 } },
    }),
  );
  display = await startDisplay({ tray: true });
  tray = await startTrayApp(display, ['--config', configFile], env, join(root, 'trace.jsonl'));
}));

test('the app starts and its icon appears in the tray', async () => {
  const ready = await tray.waitFor((e) => e.t === 'ready', 60_000);
  assert.ok(ready.ms > 0);
  assert.ok(await waitUntil(async () => !!(await tray.iconCentre()), 60_000), 'icon embedded by trayer');
  const view = tray.trace().filter((e) => e.t === 'view').at(-1)!;
  assert.is(view.icon, 'warning', 'no backup yet');
  // The alert is said once (not at every status poll): no backup on the backup folder yet.
  const alert = await tray.waitFor((e) => e.t === 'notify' && e.title === 'Praxis-Backup: bitte prüfen', 60_000);
  assert.match(alert.body, /Noch keine Sicherung auf „Sicherungsverzeichnis“/);
  await display.screenshot('tray-icon.png');
});

test('a real click path on „Backup jetzt“ runs a real backup; the menu shows it running; a notification says it is done', async () => {
  const menu = await openMenu();
  const entries = (menu.menu as any[]).map((e) => e.text).filter(Boolean);
  assert.ok(entries.includes('Backup jetzt'), entries.join(' | '));
  assert.ok(entries.includes('Noch keine Sicherung: bitte „Backup jetzt“ starten.'));
  await display.screenshot('menu.png');
  await choose(menu, 'backupNow');

  await tray.waitFor((e) => e.t === 'view' && e.icon === 'running', 60_000);
  const running = await openMenu();
  const lines = (running.menu as any[]).map((e) => e.text).filter(Boolean);
  assert.ok(lines.some((l: string) => l.startsWith('Sicherung läuft')), lines.join(' | '));
  assert.ok(lines.includes('Abbrechen'));
  assert.not.ok(lines.includes('Backup jetzt'), 'no second start while one runs');
  await display.screenshot('menu-running.png');
  await display.xdotool(['key', 'Escape']);
  writeFileSync(join(root, 'release'), '');

  const done = await tray.waitFor((e) => e.t === 'notify' && e.title !== 'Praxis-Backup: bitte prüfen', 120_000);
  assert.is(done.title, 'Sicherung abgeschlossen', JSON.stringify(done));
  assert.match(done.body, /^Dauer .+, .+ (KB|MB)\.$/);
  await pause(500);
  await display.screenshot('notification.png');
  const exit = await tray.waitFor((e) => e.t === 'run-exit', 60_000);
  assert.is(exit.exitCode, 0);
  const ids = readdirSync(backupDir).filter((n) => /^\d{8}_\d{6}$/.test(n));
  assert.is(ids.length, 1);
  assert.ok(existsSync(join(backupDir, ids[0]!, 'datenbank.pgdump')));
  assert.ok(existsSync(join(backupDir, ids[0]!, 'manifest.json')));
  await tray.waitFor((e) => e.t === 'view' && e.icon === 'ok', 60_000);
  const after = await openMenu();
  const texts = (after.menu as any[]).map((e) => e.text).filter(Boolean);
  // The app reads the real clock: a backup just before midnight is „gestern“ in a menu opened after it.
  assert.ok(texts.some((l: string) => /^Letzte Sicherung: (heute|gestern) \d\d:\d\d ✓$/.test(l)), texts.join(' | '));
  assert.ok(texts.some((l: string) => /^Nächste Sicherung: /.test(l)));
  await display.screenshot('menu-after.png');
  await display.xdotool(['key', 'Escape']);
});

test('the credentials popover, the settings, log and restore windows open from the menu', async () => {
  for (const [action, shot] of [
    ['credentials', 'app-credentials-popover.png'],
    ['settings', 'app-settings.png'],
    ['showLog', 'app-log-window.png'],
    ['restore', 'app-restore-window.png'],
  ] as const) {
    const menu = await openMenu();
    await choose(menu, action);
    await pause(800);
    await display.screenshot(shot);
  }
  assert.is(tray.child.exitCode, null, 'the app is still running');
  assert.is(tray.trace().filter((e) => e.t === 'notify' && e.title === 'Praxis-Backup: bitte prüfen').length, 1, 'the alert was said once');
});

test.after(async () => {
  await runCleanups();
});
test.run();

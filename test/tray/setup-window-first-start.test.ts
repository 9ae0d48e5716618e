// The built menu-bar app (dist/tray.js) on Xvfb with trayer: started with a config file that does
// not exist, it opens the first-run assistant by itself, and its discovery finds the server named
// in PRAXIS_BACKUP_DISCOVER_POSTGRES (a PostgreSQL with trust authentication on a random port) and
// proposes its „tomedo“; its menu offers „Einrichtungsassistent…“ to open it again. Started with a
// config, it opens no such window and the menu has no such entry.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv } from '../helpers/cli';
import { startDisplay, type TestDisplay } from '../helpers/display';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';
import { startTrayApp } from '../helpers/tray-app';

const test = suite('tray: the first start without a config opens the setup window');
test.after(runCleanups);

let display: TestDisplay;
let pg: PgServer;
let root: string;
let env: Record<string, string>;

test.before(visibly(async () => {
  [display, pg] = await Promise.all([startDisplay({ tray: true }), startPostgres({ authHost: 'trust' })]);
  await createSamplePostgres(pg, 'tomedo', { patients: 10 });
  root = await makeTempDir('tray-first-start');
  ({ env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_DISCOVER_POSTGRES: `${pg.user}@127.0.0.1:${pg.port}` }));
}));

test('no config: the assistant opens on its own, finds the named server and proposes its practice database', async () => {
  const configFile = join(root, 'neu', 'config.json');
  const tray = await startTrayApp(display, ['--config', configFile], env, join(root, 'trace-new.jsonl'));
  try {
    const ready = await tray.waitFor((e) => e.t === 'ready');
    assert.is(ready.firstStart, true);
    await tray.waitFor((e) => e.t === 'window' && e.which === 'setup');
    // Its first page, as first painted: looking, not „nothing found“.
    const first = await tray.waitFor((e) => e.t === 'setup');
    assert.equal([first.step, first.busy, first.problems], ['databases', 'Suche Datenbankserver (PostgreSQL, MariaDB/MySQL) …', []]);
    const found = await tray.waitFor((e) => e.t === 'setup' && e.busy === null, 120_000, tray.trace().findIndex((e) => e.t === 'setup') + 1);
    assert.is(found.step, 'databases');
    const ours = (found.databases as { text: string; checked: boolean }[]).filter((d) => d.text.includes(`127.0.0.1:${pg.port}`));
    assert.equal(ours.map((d) => [d.text.replace(/\(\d+(,\d)? [KM]B\)$/, '(…)'), d.checked]), [[`tomedo – PostgreSQL auf 127.0.0.1:${pg.port} (…)`, true]]);
    const title = await display.xdotool(['search', '--name', '^Einrichtung']).catch(() => '');
    assert.ok(title.trim() !== '', 'the window is on the screen');
    await display.screenshot('setup-window-first-start.png');
    assert.not.ok(existsSync(configFile), 'nothing written before the admin says so');
    // Not set up yet: the menu offers the assistant again (after „Später“ it is the way back).
    const menu = await tray.openMenu();
    assert.is((menu.menu as { action?: string; text?: string }[]).find((e) => e.action === 'setup')?.text, 'Einrichtungsassistent…');
    const before = tray.trace().length;
    await tray.choose(menu, 'setup');
    await tray.waitFor((e) => e.t === 'window' && e.which === 'setup', 60_000, before);
  } finally {
    await tray.stop();
  }
});

test('with a config: no assistant', async () => {
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'files', type: 'folder', path: root }] }));
  const tray = await startTrayApp(display, ['--config', configFile], env, join(root, 'trace-old.jsonl'));
  try {
    const ready = await tray.waitFor((e) => e.t === 'ready');
    // The app decides at start, and says so: the window below would have been asked for right then.
    assert.is(ready.firstStart, false);
    const view = await tray.waitFor((e) => e.t === 'view');
    assert.not.ok((view.menu as { action?: string }[]).some((e) => e.action === 'setup'), 'set up: no assistant in the menu');
    assert.not.ok(tray.trace().some((e) => e.t === 'window' || e.t === 'setup' || e.t === 'window-error'), JSON.stringify(tray.trace().map((e) => e.t)));
  } finally {
    await tray.stop();
  }
});

test.run();

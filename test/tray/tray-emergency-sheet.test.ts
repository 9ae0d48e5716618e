// „Notfallblatt „<mirror>“ drucken…“ end to end: the built menu-bar app on Xvfb + trayer, a real
// right click on its icon, the entry chosen with the keyboard, the real CLI writing the sheet with
// the passphrase it reads from a real (private) gnome-keyring, and the app handing the file to the
// desktop's opener. What must never happen is checked too: the passphrase in a log, the status
// file, the app's output or trace; and when no passphrase is stored, a sheet or an open. When the
// opener fails, the notification must not claim the sheet was opened.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { generatePassphrase } from '../../src/encryption/passphrase';
import { allText } from '../helpers/cli';
import { installFakeOpener, type FakeOpener } from '../helpers/fake-opener';
import { startDisplay, type TestDisplay } from '../helpers/display';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, visibly, waitUntil } from '../helpers/temp';
import { startTrayApp, type RunningTray } from '../helpers/tray-app';

const MIRROR = 'tresor';
const ID = `encryption://${MIRROR}`;
const ITEM = `Notfallblatt „${MIRROR}“ drucken…`;

let display: TestDisplay;
let keyring: TestKeyring;
let tray: RunningTray;
let desktop: string;
let stateDir: string;
let traceFile: string;
let opener: FakeOpener;
const passphrase = generatePassphrase();

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every call of the stand-in opener: its argv (without the program). */
const opened = () => opener.calls();

/** The passphrase as typed, or its characters without the dashes: either is a leak. */
const leaks = (text: string) => text.includes(passphrase) || text.includes(passphrase.replaceAll('-', ''));

/** Files below dir whose name says they are a sheet. */
function sheetsBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => /Notfallblatt/.test(n));
}

test.before(visibly(async () => {
  const root = await makeTempDir('tray-sheet');
  keyring = await startKeyring();
  await keyring.store(ID, passphrase);
  // The desktop the CLI finds (~/Desktop): where an admin at the server looks for the sheet.
  desktop = join(keyring.home, 'Desktop');
  mkdirSync(desktop);
  stateDir = join(keyring.env.XDG_STATE_HOME!, 'praxis-backup');

  // On Linux the app opens files with `xdg-open`; no desktop here, so a stand-in first on PATH
  // records what it is asked to open (test/helpers/fake-opener.ts).
  opener = installFakeOpener(root);

  const files = join(root, 'Anhaenge');
  await createSampleFiles(files, { files: 3, bytesEach: 1024 });
  const configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir: join(root, 'backups'),
      components: [{ name: 'anhaenge', type: 'folder', path: files }],
      retention: { keep: 3 },
      // Not set up (no gocryptfs on the target): the sheet needs only the stored passphrase.
      mirrors: [{ name: MIRROR, type: 'path', path: join(root, 'tresor-platte'), mode: 'all', encrypt: true }],
    }),
  );
  display = await startDisplay({ tray: true });
  traceFile = join(root, 'trace.jsonl');
  const env = { ...keyring.env, PATH: `${opener.bin}:${keyring.env.PATH}`, LANG: 'de_DE.UTF-8', LC_ALL: '', LC_MESSAGES: '' };
  tray = await startTrayApp(display, ['--config', configFile], env, traceFile);
  await tray.waitFor((e) => e.t === 'ready', 60_000);
  assert.ok(await waitUntil(async () => !!(await tray.iconCentre()), 60_000), 'icon embedded by trayer');
}));

test('the menu offers the Notfallblatt of the encrypted mirror; choosing it writes the sheet and opens exactly that file', async () => {
  const menu = await tray.openMenu();
  const texts = (menu.menu as any[]).map((e) => e.text).filter(Boolean);
  assert.ok(texts.includes(ITEM), texts.join(' | '));
  await display.screenshot('menu-emergency-sheet.png');
  const before = tray.trace().length;
  const click = await tray.choose(menu, 'emergencySheet', MIRROR);
  assert.is(click.arg, MIRROR);

  const note = await tray.waitFor((e) => e.t === 'notify' && e.title === 'Notfallblatt', 30_000, before);
  assert.is(note.level, 'info', JSON.stringify(note));
  const names = readdirSync(desktop);
  assert.is(names.length, 1, names.join(', '));
  assert.match(names[0]!, new RegExp(`^Notfallblatt-${MIRROR}-.+\\.html$`));
  const file = join(desktop, names[0]!);
  assert.ok(note.body.includes(file), note.body);
  assert.match(note.body, /wurde geöffnet/);
  assert.is((statSync(file).mode & 0o777).toString(8), '600');
  const html = readFileSync(file, 'utf8');
  // Printed in boxes of five (one <span> a group): the box's text is the passphrase as typed.
  const box = /<div class="pass">(.*?)<\/div>/.exec(html)?.[1] ?? '';
  assert.is(box.replace(/<[^>]+>/g, ''), passphrase, 'the passphrase is on the sheet');
  assert.match(html, new RegExp(`<title>[^<]*– ${MIRROR}</title>`), 'the mirror is named on the sheet');
  assert.equal(opened(), [[file]], 'xdg-open got exactly the sheet, once');

  // Nowhere else: logs and status file (the state dir), the app's output, its trace, the notification.
  assert.ok(leaks(box.replace(/<[^>]+>/g, '')), 'the check below finds the passphrase where it is');
  assert.ok(existsSync(join(stateDir, 'status.json')), `the status file is where the search looks: ${stateDir}`);
  assert.not.ok(leaks(allText(stateDir)), 'not in the logs or the status file');
  assert.is(sheetsBelow(stateDir).length, 0, 'no second copy in the state dir');
  const out = tray.output();
  assert.not.ok(leaks(out.stdout) || leaks(out.stderr), 'not in the app’s stdout/stderr');
  assert.not.ok(leaks(readFileSync(traceFile, 'utf8')), 'not in the trace (menus, clicks, notifications)');
});

test('the opener fails (no desktop to open with): the sheet is written all the same, the notification does not claim it was opened', async () => {
  rmSync(join(desktop, readdirSync(desktop)[0]!));
  opener.failing(true);
  const openedBefore = opened().length;
  const menu = await tray.openMenu();
  const before = tray.trace().length;
  await tray.choose(menu, 'emergencySheet', MIRROR);
  const note = await tray.waitFor((e) => e.t === 'notify' && e.title === 'Notfallblatt', 30_000, before);
  const names = readdirSync(desktop);
  assert.is(names.length, 1, names.join(', '));
  const file = join(desktop, names[0]!);
  assert.equal(opened().slice(openedBefore), [[file]], 'the opener was asked');
  assert.is(note.level, 'info', JSON.stringify(note));
  assert.ok(note.body.startsWith(`Notfallblatt geschrieben: ${file}\n`), note.body);
  assert.not.match(note.body, /geöffnet/);
  assert.is((statSync(file).mode & 0o777).toString(8), '600');
  assert.not.ok(leaks(readFileSync(traceFile, 'utf8')) || leaks(tray.output().stderr), 'no passphrase in the trace or output');
  rmSync(file);
  opener.failing(false);
});

test('no passphrase stored: the notification says so; no sheet is written, nothing is opened', async () => {
  assert.equal(readdirSync(desktop), [], 'the desktop is empty before');
  const cleared = await execa('secret-tool', ['clear', 'service', 'Praxis-Backup', 'account', ID], { env: keyring.env, extendEnv: false, reject: false });
  assert.is(cleared.exitCode, 0, cleared.stderr);
  assert.is(await keyring.lookup(ID), null);
  const openedBefore = opened().length;

  const menu = await tray.openMenu();
  const before = tray.trace().length;
  await tray.choose(menu, 'emergencySheet', MIRROR);
  const note = await tray.waitFor((e) => e.t === 'notify' && e.title === 'Notfallblatt', 30_000, before);
  assert.is(note.level, 'error', JSON.stringify(note));
  assert.match(note.body, /^Das Notfallblatt konnte nicht geschrieben werden: /);
  assert.ok(note.body.includes(`kein Passwort „${ID}“ gespeichert`), note.body);
  await pause(500);
  await display.screenshot('notification-emergency-sheet-failed.png');
  assert.equal(readdirSync(desktop), [], 'no sheet on the desktop');
  assert.is(sheetsBelow(keyring.home).length, 0, 'no sheet anywhere in HOME');
  assert.is(opened().length, openedBefore, 'nothing opened');
  assert.is(tray.child.exitCode, null, 'the app is still running');
});

test.after(async () => {
  await runCleanups();
});
test.run();

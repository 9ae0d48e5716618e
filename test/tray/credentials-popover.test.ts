// The credentials popover on a real X display, typed into and clicked with xdotool, against a real
// smbd and a private gnome-keyring: wrong password → red line, right one → green, save → keyring.
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose } from '../../src/app/compose';
import type { CredentialsPopover as Popover } from '../../src/tray/windows/credentials-popover';
import type { TestKeyring } from '../helpers/keyring';
import { startQt, type TestQt } from '../helpers/qt';
import type { SambaServer } from '../helpers/samba';
import { runCleanups, waitUntil, visibly } from '../helpers/temp';
import { filesHolding, startShareAndKeyring } from './share-and-keyring';

const test = suite('tray credentials popover (Xvfb, real smbd, real keyring)');

const SMB_PW = ' Praxis-NAS "#2" ok';
const WRONG = 'Falsch-Passwort-XYZ-987';

let kr: TestKeyring;
let smb: SambaServer;
let q: TestQt;
let popover: Popover;
let configFile: string;
const held = new Set<string>();
let closedCalls = 0;

test.before(visibly(async () => {
  q = await startQt();
  ({ kr, smb, configFile } = await startShareAndKeyring(SMB_PW, { second: 'smb://nas2.local/archiv' }));
  const { CredentialsPopover } = await import('../../src/tray/windows/credentials-popover');
  popover = new CredentialsPopover({
    app: compose(process.env),
    configFile,
    lang: 'de',
    pump: { hold: (r) => held.add(r), release: (r) => held.delete(r) },
  });
  popover.onClosed = () => closedCalls++;
}));
test.after(runCleanups);

function w() {
  const parts = popover.widgets;
  if (!parts) throw new Error('the popover is not open');
  return parts;
}

/** The centre of a widget in screen coordinates, for xdotool. */
function centre(widget: { mapToGlobal(p: any): { x(): number; y(): number }; width(): number; height(): number }): [number, number] {
  const p = widget.mapToGlobal(new q.qt.QPoint(Math.floor(widget.width() / 2), Math.floor(widget.height() / 2)));
  return [p.x(), p.y()];
}

async function click(widget: Parameters<typeof centre>[0]): Promise<void> {
  const [x, y] = centre(widget);
  await q.display.xdotool(['mousemove', String(x), String(y), 'click', '1']);
  await q.settle(100);
}

async function typePassword(text: string): Promise<void> {
  w().password.setText('');
  await click(w().password);
  await q.display.xdotool(['type', '--delay', '5', text]);
  await q.settle(150);
}

/** Waits for the result line to leave „wird geprüft …“ / „wird gespeichert …“. */
async function result(): Promise<{ state: string; text: string }> {
  const done = await waitUntil(async () => {
    await q.settle(50);
    return w().result.property('state').toString() !== 'pending';
  }, 60_000);
  assert.ok(done, 'no result within 60 s');
  return { state: w().result.property('state').toString(), text: w().result.text() };
}

test('opens frameless under the given point, on screen, prefilled from the first smb mirror with a choice of both', async () => {
  popover.showAt({ x: 1010, y: 28 });
  assert.ok(await waitUntil(async () => (await q.settle(50), w().server.text() !== ''), 10_000), 'prefill');
  await q.settle(200);
  assert.ok(held.has('credentials-popover'), 'fast pumping while open');
  assert.is(w().server.text(), `127.0.0.1:${smb.port}`);
  assert.is(w().share.text(), 'backup');
  assert.is(w().user.text(), smb.user);
  assert.ok(w().mirror.isVisible(), 'two mirrors: a choice');
  assert.is(w().mirror.count(), 2);
  assert.is(w().password.echoMode(), q.qt.EchoMode.Password);
  const g = w().window.geometry();
  assert.ok(g.left() >= 0 && g.left() + g.width() <= 1024, `x ${g.left()}+${g.width()} off screen`);
  assert.ok(g.top() >= 28, `y ${g.top()} not under the point`);
  // What a window manager reads: decorations 0 (frameless), a utility window (Tool), kept on top.
  const xprop = await execa('xprop', ['-id', String(w().window.winId()), '_MOTIF_WM_HINTS', '_NET_WM_WINDOW_TYPE', '_NET_WM_STATE'], { env: { ...process.env, DISPLAY: q.display.name } });
  assert.match(xprop.stdout, /_MOTIF_WM_HINTS\(_MOTIF_WM_HINTS\) = 0x2, 0x[0-9a-f]+, 0x0,/);
  assert.match(xprop.stdout, '_NET_WM_WINDOW_TYPE_UTILITY');
  assert.match(xprop.stdout, '_NET_WM_STATE_ABOVE');
  w().mirror.setCurrentIndex(1);
  await q.settle(100);
  assert.is(w().server.text(), 'nas2.local');
  w().mirror.setCurrentIndex(0);
  await q.settle(100);
});

test('a wrong typed password: red inline error naming the cause; nothing stored', async () => {
  await typePassword(WRONG);
  assert.is(w().password.text(), WRONG, 'xdotool typed into the password field');
  await click(w().test);
  const r = await result();
  assert.is(r.state, 'error');
  assert.match(r.text, 'Benutzername oder Passwort falsch (NT_STATUS_LOGON_FAILURE)');
  assert.not.ok(r.text.includes(WRONG));
  assert.is(await kr.lookup(`smb://${smb.user}@127.0.0.1:${smb.port}/backup`), null);
  await q.display.screenshot('credentials-popover-error.png');
});

test('the right typed password: green „erfolgreich“; save puts exactly it into the keyring and clears the field', async () => {
  await typePassword(SMB_PW);
  assert.is(w().password.text(), SMB_PW);
  await click(w().test);
  const ok = await result();
  assert.is(ok.state, 'ok', ok.text);
  assert.match(ok.text, 'erfolgreich, Inhalt der Freigabe „backup“ gelesen');
  await q.display.screenshot('credentials-popover.png');

  await click(w().save);
  const saved = await result();
  assert.is(saved.state, 'ok', saved.text);
  assert.match(saved.text, 'liegt jetzt im Schlüsselbund (Secret Service)');
  assert.is(w().password.text(), '', 'the password field is cleared after saving');
  const id = `smb://${smb.user}@127.0.0.1:${smb.port}/backup`;
  assert.is(await kr.lookup(id), SMB_PW);
  assert.equal(filesHolding(kr.dir, SMB_PW.trim()), [], 'password in a file');
});

test('an empty field: the error names it, without asking the NAS', async () => {
  w().share.setText('');
  await click(w().save);
  const r = await result();
  assert.is(r.state, 'error');
  assert.is(r.text, 'Bitte „Freigabe“ ausfüllen.');
  assert.ok(w().share.hasFocus(), 'the cursor is put into the field');
});

test('Escape closes it: onClosed, pump released; it opens again', async () => {
  await click(w().server);
  await q.display.xdotool(['key', 'Escape']);
  await q.settle(200);
  assert.is(popover.isOpen, false);
  assert.is(closedCalls, 1);
  assert.not.ok(held.has('credentials-popover'));
  popover.showAt({ x: 100, y: 600 });
  assert.ok(await waitUntil(async () => (await q.settle(50), w().server.text() !== ''), 10_000));
  const g = w().window.geometry();
  assert.ok(g.top() + g.height() <= 600, 'near the bottom it opens above the point');
  popover.close();
  await q.settle(100);
  assert.is(closedCalls, 2);
});

test.run();

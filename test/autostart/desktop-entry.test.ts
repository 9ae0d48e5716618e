// Desktop entries as GLib reads them: the Exec line of an argv with spaces, quotes, $, `, %, a
// backslash and a German umlaut is written by execLine and started by the real `gio launch` (GLib's
// GDesktopAppInfo, what GNOME's session uses for autostart); the started script writes the argv it
// got. Our own reader (splitExec / parseDesktopEntry, used by `tray status`) must read the same argv.
import { execa } from 'execa';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execLine, parseDesktopEntry, quoteExecArg, renderDesktopEntry, splitExec } from '../../src/autostart/desktop-entry';
import { makeTempDir, runCleanups, waitUntil } from '../helpers/temp';

const test = suite('desktop entry');
let root: string;

test.before(async () => {
  root = await makeTempDir('praxis-desktop-entry-');
});
test.after(() => runCleanups());

test('quoting: plain arguments stay bare, reserved characters are quoted and escaped, % is doubled', () => {
  assert.is(quoteExecArg('/usr/bin/node'), '/usr/bin/node');
  assert.is(quoteExecArg('--max-semi-space-size=1'), '--max-semi-space-size=1');
  assert.is(quoteExecArg('a b'), '"a b"');
  assert.is(quoteExecArg('$HOME'), '"\\$HOME"');
  assert.is(quoteExecArg('say "hi"'), '"say \\"hi\\""');
  assert.is(quoteExecArg('100%'), '100%%');
  assert.is(quoteExecArg(''), '""');
  assert.throws(() => execLine(['/opt/a=b/node', 'x']), /may not contain "="/);
});

test('string escapes: a backslash in a quoted Exec argument is four in the file, and reads back as one', () => {
  const text = renderDesktopEntry({ Type: 'Application', Name: 'T', Exec: execLine(['/p', 'a\\b c']) });
  assert.ok(text.includes('Exec=/p "a\\\\\\\\b c"\n'), text);
  assert.equal(splitExec(parseDesktopEntry(text)!.Exec!), ['/p', 'a\\b c']);
});

test('gio launch starts exactly the argv execLine wrote (paths with spaces, $, `, quotes, %, \\, ä)', async () => {
  // No % in the program's own path: GLib looks the program up before it undoes %% (a path with %
  // would not be found); in the arguments it is undone.
  const dir = join(root, 'Praxis Backup $HOME `x` "q" ä\\b');
  mkdirSync(dir, { recursive: true });
  const out = join(root, 'argv.txt');
  const program = join(dir, 'prog');
  // Writes each argument NUL-terminated, so newlines or spaces in one cannot hide.
  writeFileSync(program, `#!/bin/sh\nprintf '%s\\0' "$@" > '${out}.tmp' && mv '${out}.tmp' '${out}'\n`);
  chmodSync(program, 0o755);
  const args = ['--max-semi-space-size=1', join(dir, 'tray.js'), '--config', join(root, 'my config (alt).json'), 'tab\there', "it's", 'a;b|c&d', '~', '#x', '*?', '100%', '%u'];
  const file = join(root, 'test.desktop');
  const text = renderDesktopEntry({ Type: 'Application', Name: 'Test', 'Name[de]': 'Prüfung', Exec: execLine([program, ...args]), Terminal: 'false' }, ['a comment']);
  writeFileSync(file, text);
  const r = await execa('gio', ['launch', file], { reject: false, env: { ...process.env, DISPLAY: '', DBUS_SESSION_BUS_ADDRESS: '' } });
  assert.is(r.exitCode, 0, `${r.stderr}\n${text}`);
  assert.ok(await waitUntil(async () => { try { readFileSync(out); return true; } catch { return false; } }, 30_000), 'the launched program never wrote its argv');
  const got = readFileSync(out, 'utf8').split('\0').slice(0, -1);
  assert.equal(got, args);
  // Our reader agrees with GLib.
  const entry = parseDesktopEntry(text)!;
  assert.equal(splitExec(entry.Exec!), [program, ...args]);
  assert.is(entry['Name[de]'], 'Prüfung');
});

test('parseDesktopEntry: other groups, comments, blank lines and CRLF do not leak into the entry', () => {
  const e = parseDesktopEntry('# c\r\n[Desktop Action x]\r\nExec=/wrong\r\n\r\n[Desktop Entry]\r\nExec=/right --a\r\nName = Spaced\r\n[Other]\r\nName=no\r\n');
  assert.equal(e, { Exec: '/right --a', Name: 'Spaced' });
  assert.is(parseDesktopEntry('[Other]\nExec=/x\n'), null);
  assert.equal(splitExec('/a %f "%%u" b'), ['/a', '%u', 'b']);
});

test.run();

// Apple's rsync (/usr/bin/rsync: openrsync from macOS 15.4 on, samba rsync 2.6.9 before, FACTS §6)
// against Homebrew's rsync 3.x, through the tool locator and the folder step's real argv. The
// Linux tests only see rsync 3.x; only a Mac has Apple's: that its `--version` is read as
// 2.6-compatible, that the flags planRsync gives it (no --info=progress2) are accepted, that
// --link-dest hard-links unchanged files with it, and that find('rsync') prefers Homebrew's 3.x.
//
// macOS only: on any other system every test is skipped and counted as "skipped (needs macOS)".
// The Homebrew test is an ordinary skip on a Mac without Homebrew's rsync (CI installs it).
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { FolderComponent } from '../../src/config/schema';
import { run } from '../../src/process/runner';
import { planRsync, supportsProgress2 } from '../../src/backup/folder-copy';
import { ToolLocator, type ToolInfo } from '../../src/process/tool-locator';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { macHooks, macTest, ON_MAC } from './needs-macos';

const APPLE_RSYNC = '/usr/bin/rsync';
const HOMEBREW_RSYNC = ['/opt/homebrew/bin/rsync', '/usr/local/bin/rsync'].find((p) => existsSync(p));

const s = suite('darwin: Apple rsync vs Homebrew rsync');
const test = macTest(s);
let dir = '';
let apple: ToolInfo;

macHooks(
  s,
  async () => {
    dir = await makeTempDir('pb-darwin-rsync-');
    // As launchd starts a job: the system PATH only. The locator still searches Homebrew itself.
    const all = await new ToolLocator('darwin', { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' }).all('rsync');
    const found = all.find((t) => t.path === APPLE_RSYNC);
    assert.ok(found, `the locator did not find ${APPLE_RSYNC}: ${JSON.stringify(all)}`);
    apple = found;
  },
  runCleanups,
);

test("Apple's /usr/bin/rsync is read as 2.6-compatible and gets no --info=progress2", () => {
  // openrsync: "openrsync: protocol version 29" then "rsync version 2.6.9 compatible"; older macOS:
  // "rsync  version 2.6.9  protocol version 29". Either way the locator must say 2.6.
  assert.ok(apple.version.startsWith('openrsync') || /version 2\.6\.9/.test(apple.version), apple.version);
  assert.is(apple.major, 2);
  assert.is(apple.minor, 6);
  assert.is(supportsProgress2(apple), false);
  assert.not.ok(planRsync(apple, folder('/x'), '/y', null).args.some((a) => a.startsWith('--info')));
});

function folder(path: string): FolderComponent {
  return { name: 'dokumente', type: 'folder', path, exclude: ['*.tmp'] };
}

test("Apple's rsync runs the folder step's argv: copies, excludes, and hard-links unchanged files with --link-dest", async () => {
  const src = join(dir, 'src');
  await mkdir(join(src, 'Briefe'), { recursive: true });
  await writeFile(join(src, 'Briefe', 'Befund Müller.pdf'), 'pdf bytes\n');
  await writeFile(join(src, 'notiz.txt'), 'erste Fassung\n');
  await writeFile(join(src, 'scratch.tmp'), 'excluded\n');
  const first = join(dir, 'first');
  await run(planRsync(apple, folder(src), first, null));
  assert.is(await readFile(join(first, 'Briefe', 'Befund Müller.pdf'), 'utf8'), 'pdf bytes\n');
  assert.not.ok(existsSync(join(first, 'scratch.tmp')), 'the exclude was not applied');

  await writeFile(join(src, 'notiz.txt'), 'zweite Fassung, länger\n');
  const second = join(dir, 'second');
  await run(planRsync(apple, folder(src), second, first));
  const [a, b] = await Promise.all([stat(join(first, 'Briefe', 'Befund Müller.pdf')), stat(join(second, 'Briefe', 'Befund Müller.pdf'))]);
  assert.is(b.ino, a.ino, 'the unchanged file was copied instead of hard-linked');
  assert.is(await readFile(join(second, 'notiz.txt'), 'utf8'), 'zweite Fassung, länger\n');
  assert.is.not((await stat(join(second, 'notiz.txt'))).ino, (await stat(join(first, 'notiz.txt'))).ino);
});

// Registered as a plain skip on a Mac without Homebrew's rsync; off a Mac it is "needs macOS".
const homebrewTest: typeof test = ON_MAC && !HOMEBREW_RSYNC ? (name, fn) => s.skip(name, fn) : test;
homebrewTest(
  "find('rsync') prefers Homebrew's rsync 3.x, which gets --info=progress2",
  async () => {
    const chosen = await new ToolLocator('darwin', { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' }).find('rsync');
    assert.is(chosen.path, HOMEBREW_RSYNC);
    assert.ok(chosen.major >= 3, chosen.version);
    assert.ok(supportsProgress2(chosen));
  },
);

s.run();

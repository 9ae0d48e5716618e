// The tool locator knows no database kind: whoever needs a program hands in its ToolSpec (or the
// composition root registers the kinds' specs), and the "same major as the server, else the nearest
// newer" choice works for any program. Fake programs in temp folders print their versions, so the
// search order and the choice are seen without any real client installed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PraxisError } from '../../src/core/errors';
import { ToolLocator, type ToolSpec } from '../../src/process/tool-locator';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('tool locator');
let root: string;

/** A program in `dir` that prints `line` for `--version` (or for `args`, exiting `code`). */
async function fake(dir: string, name: string, line: string, opts: { args?: string; code?: number } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  const when = opts.args ?? '--version';
  await writeFile(path, `#!/bin/sh\nif [ "$1" = "${when}" ]; then echo '${line}'; exit ${opts.code ?? 0}; fi\nexit 3\n`);
  await chmod(path, 0o755);
  return path;
}

const spec = (name: string, dirs: string[], extra: Partial<ToolSpec> = {}): ToolSpec => ({ name, alternatives: [name], hint: `install ${name} somehow`, searchDirs: async () => dirs, ...extra });

test.before(async () => {
  root = await makeTempDir('praxis-tool-locator-');
});
test.after(runCleanups);

test('a spec handed in is searched in its own folders first, before PATH', async () => {
  const own = join(root, 'own');
  const onPath = join(root, 'path');
  const mine = await fake(own, 'dbdump', 'dbdump (Some DB) 14.2');
  await fake(onPath, 'dbdump', 'dbdump (Some DB) 16.1');
  const tools = new ToolLocator('linux', { PATH: onPath });
  const found = await tools.find(spec('dbdump', [own]));
  assert.equal({ path: found.path, major: found.major, minor: found.minor }, { path: mine, major: 14, minor: 2 });
});

test('a name given to the constructor is found by name; the alternatives in their order', async () => {
  const dir = join(root, 'alt');
  const second = await fake(dir, 'oldname', 'oldname 5.7');
  const tools = new ToolLocator('linux', { PATH: '' }, [{ name: 'newname', alternatives: ['newname', 'oldname'], hint: '', searchDirs: async () => [dir] }]);
  assert.is((await tools.find('newname')).path, second);
  const first = await fake(dir, 'newname', 'newname 6.1');
  assert.is((await new ToolLocator('linux', { PATH: '' }, [{ name: 'newname', alternatives: ['newname', 'oldname'], hint: '', searchDirs: async () => [dir] }]).find('newname')).path, first);
});

test("a program without --version: the spec's own version arguments and exit codes", async () => {
  const dir = join(root, 'z');
  const path = await fake(dir, 'bk', 'bk:bk version LI-V3.0.11.33637 Some 3.0', { args: '-z', code: 1 });
  const tools = new ToolLocator('linux', { PATH: '' });
  const plain = await tools.find(spec('bk', [dir])).then(() => null, (x: unknown) => x);
  assert.is((plain as PraxisError).message_?.key, 'error.toolMissing', 'asked with --version it does not answer');
  const found = await new ToolLocator('linux', { PATH: '' }).find(spec('bk', [dir], { version: { args: ['-z'], okExitCodes: [1] } }));
  assert.equal({ path: found.path, version: found.version, major: found.major }, { path, version: 'bk:bk version LI-V3.0.11.33637 Some 3.0', major: 3 });
});

test('findForServer: the same major, else the nearest newer, else an error naming both versions', async () => {
  const dirs = ['v17', 'v15', 'v13'].map((v) => join(root, 'srv', v));
  await fake(dirs[0]!, 'cli', 'cli (Some DB) 17.2');
  await fake(dirs[1]!, 'cli', 'cli (Some DB) 15.8');
  await fake(dirs[2]!, 'cli', 'cli (Some DB) 13.1');
  const s = spec('cli', dirs);
  const tools = new ToolLocator('linux', { PATH: '' });
  assert.is((await tools.findForServer(s, 15)).major, 15);
  assert.is((await tools.findForServer(s, 14)).major, 15, 'the nearest newer, not the newest');
  assert.is((await tools.findForServer(s)).major, 17, 'no server version: the first found');
  const e = await tools.findForServer(s, 18).then(() => null, (x: unknown) => x);
  assert.ok(e instanceof PraxisError);
  assert.is(e.message_.key, 'error.pgDumpTooOld');
  assert.equal(e.message_.params, { server: 18, found: `17 (${join(dirs[0]!, 'cli')})`, serverMajor: 18 });
});

test("a missing program: the error names its alternatives, every folder searched and the spec's hint", async () => {
  const dir = join(root, 'empty');
  await mkdir(dir, { recursive: true });
  const e = await new ToolLocator('linux', { PATH: '' }).find({ name: 'gone', alternatives: ['gone', 'gone2'], hint: 'apt install gone', searchDirs: async () => [dir] }).then(() => null, (x: unknown) => x);
  assert.ok(e instanceof PraxisError);
  assert.is(e.message_.key, 'error.toolMissing');
  assert.is(e.message_.params!.tool, 'gone/gone2');
  assert.is(e.message_.params!.hint, 'apt install gone');
  assert.is(String(e.message_.params!.searched).split(', ')[0], dir);
});

test.run();

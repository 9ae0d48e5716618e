// scripts/run-tests.mjs's closing line and its rules for "needs macOS" skips, run for real on a
// small project of its own in a temp dir (a copy of the runner, test/darwin/needs-macos.ts, and
// node_modules linked in), so its files never mix with the real suite:
//   - skips a file declares with the marker line are "skipped (needs macOS)", others stay "skipped";
//   - a marker cannot claim more skips than uvu counted;
//   - a file under test/darwin/ that passes tests off a Mac counts those as failed;
//   - the line still starts with "N passed, N failed" (what CI reads).
// Off a Mac only: on a Mac the darwin file's tests would (rightly) pass.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempDir, runCleanups } from '../helpers/temp';

const root = realpathSync(new URL('../..', import.meta.url).pathname);
const onMac = process.platform === 'darwin';

const HEAD = `import { suite } from 'uvu';\nimport * as assert from 'uvu/assert';\nimport { macTest } from '../darwin/needs-macos';\n`;

(onMac ? test.skip : test)('closing line: passed, failed, skipped (needs macOS) from markers (capped), other skips, darwin passes as failures', async () => {
  const dir = await makeTempDir('pb-run-tests-');
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'test', 'darwin'), { recursive: true });
  mkdirSync(join(dir, 'test', 'other'));
  copyFileSync(join(root, 'scripts', 'run-tests.mjs'), join(dir, 'scripts', 'run-tests.mjs'));
  copyFileSync(join(root, 'test', 'darwin', 'needs-macos.ts'), join(dir, 'test', 'darwin', 'needs-macos.ts'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  // A darwin-only file that forgot to skip: its 2 passes must count as failures here.
  writeFileSync(join(dir, 'test', 'darwin', 'passes.test.ts'), `${HEAD}const s = suite('p');\ns('a', () => assert.ok(true));\ns('b', () => assert.ok(true));\ns.run();\n`);
  // A marker that claims 5 while uvu skipped 1: counted as 1.
  writeFileSync(join(dir, 'test', 'darwin', 'bogus.test.ts'), `${HEAD}const s = suite('b');\ns.skip('x', () => {});\ns.run();\nprocess.on('exit', () => process.stdout.write('[needs macOS] skipped 5\\n'));\n`);
  // Outside test/darwin: 2 Mac-only tests (marker), 1 ordinary skip, 1 pass.
  writeFileSync(join(dir, 'test', 'other', 'mixed.test.ts'), `${HEAD}const s = suite('m');\nconst mac = macTest(s);\nmac('m1', () => assert.ok(false));\nmac('m2', () => assert.ok(false));\ns.skip('plain skip', () => {});\ns('ok', () => assert.ok(true));\ns.run();\n`);

  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'run-tests.mjs')], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  const last = r.stdout.trimEnd().split('\n').at(-1);
  assert.is(last, '1 passed, 2 failed, skipped (needs macOS): 3, 1 skipped', r.stdout + r.stderr);
  assert.is(r.status, 1);
  assert.match(r.stdout, /2 test\(s\) of a macOS-only file passed on \w+: they must skip here/);
  assert.match(r.stdout, /Failing files:\n\s+test\/darwin\/passes\.test\.ts/);
  await runCleanups();
});

test.run();

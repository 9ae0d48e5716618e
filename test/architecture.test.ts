// The layering of DESIGN.md as a test, so it cannot rot: Qt only in src/tray, child processes
// only through the runner, the platform asked only in the composition root, and the engine never
// importing the CLI or the tray.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const SRC = join(import.meta.dirname, '..', 'src');
const files = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ rel: relative(SRC, join(SRC, f)), text: readFileSync(join(SRC, f), 'utf8') }));

function offenders(pattern: RegExp, allowed: (rel: string) => boolean): string[] {
  return files.filter((f) => pattern.test(f.text) && !allowed(f.rel)).map((f) => f.rel);
}

test('there is source to check', () => {
  assert.ok(files.length > 20, `found ${files.length} files`);
  assert.ok(files.some((f) => f.rel === 'process/runner.ts'));
});

test('only src/tray imports @nodegui', () => {
  assert.equal(offenders(/from ['"]@nodegui\//, (r) => r.startsWith('tray/')), []);
});

test('the tray model, the run launcher and the status watcher are Qt-free (unit-tested without a display)', () => {
  const qtFree = (r: string) => r.startsWith('tray/model/') || r === 'tray/run-launcher.ts' || r === 'tray/status-watcher.ts' || r === 'tray/qt-loader.ts' || r === 'tray/event-pump.ts';
  assert.equal(offenders(/(from|import\() *['"]@nodegui\//, (r) => !qtFree(r)), []);
});

test('only the process runner spawns children (execa, child_process)', () => {
  assert.equal(offenders(/from ['"](execa|node:child_process|child_process)['"]/, (r) => r === 'process/runner.ts'), []);
});

test('only the composition root asks process.platform', () => {
  assert.equal(offenders(/process\.platform/, (r) => r === 'app/compose.ts'), []);
});

test('the engine never imports the CLI, the tray or the composition root', () => {
  const engine = (r: string) => !['core/', 'run/', 'backup-directory/', 'backup/', 'restore/', 'verify/', 'retention/', 'mirror/', 'destinations/', 'databases/', 'encryption/', 'credentials/', 'config/', 'process/', 'diskutil/', 'platform/'].some((d) => r.startsWith(d));
  assert.equal(offenders(/from ['"]\.\.\/(cli|tray|app)\//, engine), []);
});
test.run();

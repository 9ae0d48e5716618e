// Sizes in messages follow the reader's language: the engine emits its messages before it knows
// who reads them (log, status file, --json events, the tray), so a size formatted in German at
// that point read "8,0 KB" in English texts.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { byteCount, render } from '../../src/i18n';
import { checkSpace } from '../../src/backup-directory/space-check';
import { PraxisError } from '../../src/core/errors';
import { cliEnv, runCli } from '../helpers/cli';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('sizes in the reader’s language');

test.after(runCleanups);

test('a size inside a message renders with a decimal point in English and a comma in German', () => {
  const m = { key: 'run.estimate' as const, params: { size: byteCount(8 * 1024 + 100) } };
  assert.match(render('en', m), /8\.1 KB/);
  assert.match(render('de', m), /8,1 KB/);
  // The same message after a JSON round trip (status file, --json events, the log) stays language-neutral.
  const again = JSON.parse(JSON.stringify(m));
  assert.match(render('en', again), /8\.1 KB/);
});

test('the space check’s refusal is readable in both languages', () => {
  let err: PraxisError | undefined;
  try {
    checkSpace('/backup', 3.5 * 1024 ** 3, { free: 2.5 * 1024 ** 3, total: 10 * 1024 ** 3 });
  } catch (e) {
    err = e as PraxisError;
  }
  assert.ok(err instanceof PraxisError, 'a backup that does not fit is refused');
  const en = render('en', err!.message_);
  assert.match(en, /3\.5 GB/);
  assert.match(en, /2\.5 GB/);
  assert.not.match(en, /\d,\d/, `no decimal comma in English: ${en}`);
  assert.match(render('de', err!.message_), /3,5 GB/);
});

test('a real run’s --json events in English carry sizes with a decimal point', async () => {
  const root = await makeTempDir('sizes-language');
  const env = await cliEnv(root, { LANG: 'en_GB.UTF-8' });
  const src = join(root, 'files');
  await mkdir(src, { recursive: true });
  // 1.5 MiB: a size that has a fraction in both languages.
  await writeFile(join(src, 'scan.bin'), Buffer.alloc(1.5 * 1024 * 1024, 7));
  const configFile = join(root, 'config.json');
  await writeFile(configFile, JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'files', type: 'folder', path: src }] }));
  const r = await runCli(['run', '--config', configFile, '--json'], env.env);
  assert.is(r.code, 0, r.stderr);
  const texts = r.events.flatMap((e) => [e.message?.text, e.text].filter((x): x is string => typeof x === 'string'));
  const withSize = texts.filter((x) => /\d+(?:[.,]\d)? (?:KB|MB|GB)/.test(x));
  assert.ok(withSize.length > 0, `some event names a size: ${texts.join(' | ')}`);
  for (const x of withSize) assert.not.match(x, /\d,\d (?:KB|MB|GB)/, `English text with a decimal comma: ${x}`);
});

test.run();

// Encrypted sparse bundles (issue 8): exact argv of hdiutil create/attach/detach, the passphrase on
// stdin only — NUL-terminated, as hdiutil(1) says for -stdinpass — and error mapping. hdiutil
// cannot run here: the plans run through the REAL runner against a stand-in script that records
// argv and the exact stdin bytes and echoes the passphrase into its error output, so the test
// shows the runner redacts it. The stand-in's messages are the [B] texts listed in hdiutil.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkAttachResult,
  classifyHdiutilFailure,
  mapHdiutilFailure,
  planAttach,
  planCreateSparseBundle,
  planDetach,
} from '../../src/diskutil/hdiutil';
import { render } from '../../src/i18n';
import { CommandError, run, type CommandPlan } from '../../src/process/runner';
import { PraxisError } from '../../src/core/errors';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('hdiutil sparse bundles');
test.after(runCleanups);

const PW = 'Wolke-Treppe-Fenster-42 ä$`\'"';
const BUNDLE = '/Volumes/backup/praxis.sparsebundle';
const MP = '/Users/praxis/Library/Application Support/Praxis-Backup/mnt/nas';
const CTX = { name: 'nas', path: BUNDLE, credentialId: 'encryption://nas' };

function assertNoSecret(plan: CommandPlan) {
  for (const a of [plan.file, ...plan.args]) assert.not.ok(a.includes(PW), `passphrase in argv: ${a}`);
  assert.ok(plan.secrets?.includes(PW));
  assert.is(plan.input, `${PW}\0`, 'stdin: the passphrase, one NUL, nothing else');
}

test('create: exact argv, AES-256 APFS sparse bundle with a 2t ceiling, passphrase NUL-terminated on stdin', () => {
  const p = planCreateSparseBundle(BUNDLE, 'Praxis-Backup', PW);
  assert.is(p.file, '/usr/bin/hdiutil');
  assert.equal(p.args, ['create', '-type', 'SPARSEBUNDLE', '-fs', 'APFS', '-encryption', 'AES-256', '-stdinpass', '-volname', 'Praxis-Backup', '-size', '2t', BUNDLE]);
  assertNoSecret(p);
});

test('attach / detach: exact argv', () => {
  const a = planAttach(BUNDLE, MP, PW);
  assert.equal(a.args, ['attach', BUNDLE, '-stdinpass', '-nobrowse', '-mountpoint', MP]);
  assertNoSecret(a);
  const d = planDetach(MP);
  assert.equal(d.args, ['detach', MP]);
  assert.is(d.input, undefined);
});

test('refuses relative paths (an option in disguise) and passphrases stdin would cut', () => {
  assert.throws(() => planAttach('-debug', MP, PW));
  assert.throws(() => planAttach(BUNDLE, 'mnt', PW));
  assert.throws(() => planDetach('-force'));
  assert.throws(() => planCreateSparseBundle(BUNDLE, '-x', PW), (e: unknown) => e instanceof PraxisError);
  for (const bad of ['', 'a\0b', 'a\nb']) assert.throws(() => planAttach(BUNDLE, MP, bad), (e: unknown) => e instanceof PraxisError);
});

const err = (stderr: string[]) => new CommandError('hdiutil', ['hdiutil'], 1, undefined, stderr, [], 'exit');

test('map: authentication error → wrong passphrase with the credential id; missing; busy; others keep hdiutil’s words', () => {
  assert.is(classifyHdiutilFailure(['hdiutil: attach failed - Authentication error']), 'wrongPassphrase');
  const wrong = mapHdiutilFailure(err(['hdiutil: attach failed - Authentication error']), 'attach', CTX);
  assert.is(wrong.message_.key, 'hdiutil.wrongPassphrase');
  assert.match(render('de', wrong.message_), 'praxis-backup credentials set encryption://nas');
  assert.match(render('de', wrong.message_), 'Es wurde nichts kopiert');
  assert.is(mapHdiutilFailure(err(['hdiutil: attach failed - No such file or directory']), 'attach', CTX).message_.key, 'hdiutil.missing');
  assert.is(mapHdiutilFailure(err(['hdiutil: detach failed - Resource busy']), 'detach', CTX).message_.key, 'hdiutil.busy');
  const other = mapHdiutilFailure(err(['hdiutil: create failed - something new']), 'create', CTX);
  assert.is(other.message_.key, 'hdiutil.createFailed');
  assert.match(render('en', other.message_), 'something new');
});

test('an attach that exits 0 but reports an authentication error is still refused', () => {
  const r = { exitCode: 0, warning: false, stdoutTail: [], stderrTail: ['hdiutil: attach failed - Authentication error'], durationMs: 1 };
  assert.throws(() => checkAttachResult(r, CTX), (e: unknown) => e instanceof PraxisError && e.message_.key === 'hdiutil.wrongPassphrase');
  checkAttachResult({ ...r, stderrTail: [], stdoutTail: ['/dev/disk5s1  41504653-0000-11AA-AA11-0030654  ' + MP] }, CTX);
});

const HDIUTIL_STANDIN = `#!/bin/sh
dir=$(dirname "$0")
printf '%s\\n' "$@" > "$dir/argv"
cat > "$dir/stdin"
got=$(tr '\\000' '#' < "$dir/stdin")
echo "debug: stdin was $got" >&2
case $(cat "$dir/mode") in
  wrong) echo "hdiutil: attach failed - Authentication error" >&2; exit 1;;
  ok) exit 0;;
esac
exit 99
`;

test('real runner: hdiutil gets passphrase + NUL byte for byte; nothing it prints shows the passphrase', async () => {
  const dir = await makeTempDir('praxis-hdiutil-standin');
  const exe = join(dir, 'hdiutil');
  await writeFile(exe, HDIUTIL_STANDIN);
  await chmod(exe, 0o755);
  for (const [mode, plan] of [
    ['ok', planCreateSparseBundle(BUNDLE, 'Praxis-Backup', PW, exe)],
    ['wrong', planAttach(BUNDLE, MP, PW, exe)],
  ] as const) {
    await writeFile(join(dir, 'mode'), mode);
    const seen: string[] = [];
    let mapped: PraxisError | null = null;
    try {
      const r = await run(plan, { onStderrLine: (l) => seen.push(l), onStdoutLine: (l) => seen.push(l) });
      seen.push(...r.stderrTail);
    } catch (e) {
      assert.ok(e instanceof CommandError);
      seen.push(e.message, ...e.argv, ...e.stderrTail, ...e.stdoutTail);
      mapped = mapHdiutilFailure(e, 'attach', CTX);
    }
    assert.equal(readFileSync(join(dir, 'argv'), 'utf8').split('\n').slice(0, -1), plan.args);
    assert.ok(readFileSync(join(dir, 'stdin')).equals(Buffer.concat([Buffer.from(PW, 'utf8'), Buffer.from([0])])), `${mode}: stdin bytes`);
    assert.ok(seen.includes('debug: stdin was ***#'), seen.join('\n'));
    for (const s of seen) assert.not.ok(s.includes(PW) || s.includes('Wolke-Treppe'), `${mode}: ${s}`);
    if (mode === 'wrong') {
      assert.is(mapped?.message_.key, 'hdiutil.wrongPassphrase');
      assert.not.ok(render('de', mapped!.message_).includes(PW));
    }
  }
});

test.run();

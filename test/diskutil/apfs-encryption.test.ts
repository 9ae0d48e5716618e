// Encrypted APFS volumes (issue 8): exact argv, the passphrase only on stdin, the double
// confirmation's texts, and error mapping. diskutil cannot run here, so the plans also run through
// the REAL runner against a stand-in executable written by this test: a shell script that records
// its argv and the exact bytes of its stdin, then echoes stdin into its error output (the worst a
// tool could do) and exits 1. That proves the runner's redaction on real child-process output.
// The stand-in's messages are the texts listed in src/diskutil/apfs-encryption.ts with their
// sources; none of them is in DISKUTIL-MESSAGES.md (see the labels there).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  classifyUnlockFailure,
  confirmPrepare,
  mapPrepareFailure,
  mapUnlockFailure,
  planEncryptVolume,
  planPrepareEncrypted,
  planUnlockVolume,
  prepareConfirmation,
} from '../../src/diskutil/apfs-encryption';
import type { Volume } from '../../src/core/volumes';
import { render } from '../../src/i18n';
import { CommandError, displayArgv, run, type CommandPlan } from '../../src/process/runner';
import { PraxisError } from '../../src/core/errors';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('APFS encryption');
test.after(runCleanups);

const PW = 'Ahorn-Kiesel-Laterne-7 "ä" $x `y`';
const UUID = '7C9F2E1A-3B4D-4E5F-8A9B-0C1D2E3F4A5B';
const CTX = { name: 'usb', uuid: UUID, credentialId: 'encryption://usb' };

function assertNoSecret(plan: CommandPlan) {
  for (const a of [plan.file, ...plan.args]) assert.not.ok(a.includes(PW), `passphrase in argv: ${a}`);
  assert.ok(plan.secrets?.includes(PW), 'passphrase listed in secrets');
}

// ---- plans ---------------------------------------------------------------------------------------

test('unlockVolume: exact argv, passphrase on stdin only (no newline), listed as secret', () => {
  const p = planUnlockVolume(UUID, PW);
  assert.is(p.file, '/usr/sbin/diskutil');
  assert.equal(p.args, ['apfs', 'unlockVolume', UUID, '-stdinpassphrase']);
  assert.is(p.input, PW);
  assertNoSecret(p);
  assert.not.ok(displayArgv(p).join(' ').includes(PW));
});

test('unlockVolume refuses a non-UUID (could become an option) and passphrases that stdin would cut', () => {
  assert.throws(() => planUnlockVolume('-passphrase', PW));
  assert.throws(() => planUnlockVolume('disk4s1', PW));
  for (const bad of ['', 'ab\ncd', 'ab\rcd', 'ab\0cd']) {
    assert.throws(() => planUnlockVolume(UUID, bad), (e: unknown) => e instanceof PraxisError);
  }
});

test('prepare: eraseDisk APFS <label> GPT <disk>, then encryptVolume <new volume> -user disk -stdinpassphrase', () => {
  const p = planPrepareEncrypted('disk4', 'PRAXIS-BACKUP', PW);
  assert.equal(p.erase.args, ['eraseDisk', 'APFS', 'PRAXIS-BACKUP', 'GPT', 'disk4']);
  assert.is(p.erase.input, undefined);
  assertNoSecret(p.erase);
  const enc = p.encrypt('disk7s1');
  assert.equal(enc.args, ['apfs', 'encryptVolume', 'disk7s1', '-user', 'disk', '-stdinpassphrase']);
  assert.is(enc.input, PW);
  assertNoSecret(enc);
  assert.equal(planEncryptVolume('disk7s1', PW).args, enc.args);
});

test('prepare refuses a partition, a volume id for step 2 that is not diskNsM, and odd labels', () => {
  assert.throws(() => planPrepareEncrypted('disk4s1', 'X', PW));
  assert.throws(() => planPrepareEncrypted('/dev/disk4', 'X', PW));
  assert.throws(() => planPrepareEncrypted('disk4', 'X', PW).encrypt('PRAXIS-BACKUP'));
  for (const label of ['', '-force', 'a/b', 'a:b', 'x'.repeat(64)]) {
    assert.throws(() => planPrepareEncrypted('disk4', label, PW), (e: unknown) => e instanceof PraxisError, label);
  }
});

// ---- the double confirmation ---------------------------------------------------------------------

const vol = (v: Partial<Volume>): Volume => ({
  id: 'disk4s1',
  label: 'ALT',
  uuid: null,
  device: '/dev/disk4s1',
  wholeDisk: 'disk4',
  fileSystem: 'msdos',
  mountPoint: '/Volumes/ALT',
  sizeBytes: 500 * 1024 ** 3,
  freeBytes: null,
  external: true,
  ...v,
});
const VOLUMES: Volume[] = [
  vol({}),
  vol({ id: 'disk4s2', label: 'Fotos', fileSystem: 'exfat', mountPoint: null, sizeBytes: 1024 ** 4 }),
  vol({ id: 'disk1s1', label: 'Macintosh HD - Data', wholeDisk: 'disk0', mountPoint: '/System/Volumes/Data', external: false }),
];
const DISK = { id: 'disk4', sizeBytes: 2 * 1024 ** 4, external: true, name: 'SanDisk Extreme' };

test('confirmation names the disk, its size, the new label and every volume on it now (German)', () => {
  const c = prepareConfirmation('de', DISK, 'PRAXIS-BACKUP', VOLUMES);
  assert.is(
    c.warning,
    'ACHTUNG: Der Datenträger disk4 (SanDisk Extreme, 2,0 TB) wird vollständig GELÖSCHT und als verschlüsselter Datenträger „PRAXIS-BACKUP“ neu eingerichtet. Alles, was jetzt darauf ist, geht unwiderruflich verloren:\n' +
      '  – „ALT“ (disk4s1, 500 GB, msdos, /Volumes/ALT)\n' +
      '  – „Fotos“ (disk4s2, 1,0 TB, exfat, nicht eingebunden)',
  );
  assert.is(c.prompt, 'Zur Bestätigung bitte die Kennung des Datenträgers eintippen (disk4):');
  assert.is(c.expected, 'disk4');
  assert.not.match(c.warning, 'Macintosh');
});

test('confirmation in English; an empty disk says so', () => {
  const c = prepareConfirmation('en', DISK, 'PRAXIS-BACKUP', []);
  assert.match(c.warning, 'WARNING: disk disk4 (SanDisk Extreme, 2.0 TB) will be ERASED');
  assert.match(c.warning, '(no volumes found)');
  assert.is(c.prompt, 'To confirm, type the disk identifier (disk4):');
});

test('only the exact disk id confirms', () => {
  const c = prepareConfirmation('de', DISK, 'PRAXIS-BACKUP', VOLUMES);
  assert.ok(confirmPrepare('disk4', c));
  assert.ok(confirmPrepare('  disk4\n', c));
  for (const no of ['', 'ja', 'yes', 'disk5', 'disk4s1', '/dev/disk4', 'DISK4', 'PRAXIS-BACKUP']) assert.not.ok(confirmPrepare(no, c), no);
});

test('an internal disk or one holding the system is refused before any question', () => {
  const e1 = (() => {
    try {
      prepareConfirmation('de', { ...DISK, id: 'disk0', external: false }, 'X', VOLUMES);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(e1 instanceof PraxisError && e1.message_.key === 'apfs.prepare.internal');
  assert.throws(() => prepareConfirmation('de', DISK, 'X', [vol({ mountPoint: '/' })]), (e: unknown) => e instanceof PraxisError);
  assert.throws(() => prepareConfirmation('de', DISK, 'X', [vol({ external: false })]), (e: unknown) => e instanceof PraxisError);
});

// ---- error mapping -------------------------------------------------------------------------------

const err = (stderr: string[], exitCode = 1) => new CommandError('diskutil apfs unlockVolume', ['diskutil'], exitCode, undefined, stderr, [], 'exit');

test('classify: the numeric codes and texts found (see the sources in apfs-encryption.ts)', () => {
  assert.is(classifyUnlockFailure(['Unlocking any cryptographic user on APFS Volume disk1s9', 'Error unlocking APFS Volume: The given APFS Volume is not encrypted (-69593)']), 'notEncrypted');
  assert.is(classifyUnlockFailure(['Error unlocking APFS Volume: The given APFS Volume is not locked (-69589)']), 'alreadyUnlocked');
  assert.is(classifyUnlockFailure(['Error unlocking APFS Volume: The given passphrase is incorrect (-69557)']), 'wrongPassphrase');
  assert.is(classifyUnlockFailure(['Too many recent unlock attempts; unlocking disabled']), 'tooManyAttempts');
  assert.is(classifyUnlockFailure(['Error unlocking APFS Volume: This operation is restricted by Sandbox (-69464)']), 'sandbox');
  assert.is(classifyUnlockFailure(['something new (-69000)']), 'other');
});

test('map: wrong passphrase names the credential; not encrypted says nothing was copied; unknown keeps diskutil’s words', () => {
  const wrong = mapUnlockFailure(err(['Error unlocking APFS Volume: The given passphrase is incorrect (-69557)']), CTX);
  assert.ok(wrong instanceof PraxisError);
  assert.is((wrong as PraxisError).message_.key, 'apfs.wrongPassphrase');
  assert.match(render('de', (wrong as PraxisError).message_), 'praxis-backup credentials set encryption://usb');
  assert.match(render('de', (wrong as PraxisError).message_), 'Es wurde nichts kopiert');
  const notEnc = mapUnlockFailure(err(['Error unlocking APFS Volume: The given APFS Volume is not encrypted (-69593)']), CTX) as PraxisError;
  assert.is(notEnc.message_.key, 'apfs.notEncrypted');
  assert.match(render('de', notEnc.message_), 'unverschlüsselt wird nie gesichert');
  assert.is(mapUnlockFailure(err(['Error unlocking APFS Volume: The given APFS Volume is not locked (-69589)']), CTX), 'alreadyUnlocked');
  const other = mapUnlockFailure(err(['Could not find disk: ' + UUID]), CTX) as PraxisError;
  assert.is(other.message_.key, 'apfs.unlockFailed');
  assert.match(render('en', other.message_), `Could not find disk: ${UUID}`);
  // An exit code alone never becomes "wrong passphrase": that text is unverified.
  assert.is((mapUnlockFailure(err([]), CTX) as PraxisError).message_.key, 'apfs.unlockFailed');
  const timeout = new CommandError('x', [], undefined, 'SIGTERM', [], [], 'timeout');
  assert.is((mapUnlockFailure(timeout, CTX) as PraxisError).message_.key, 'apfs.unlockFailed');
  assert.is(mapPrepareFailure(err(['boom']), 'encrypt', 'disk4').message_.key, 'apfs.prepare.encryptFailed');
  assert.match(render('de', mapPrepareFailure(err(['boom']), 'encrypt', 'disk4').message_), 'NICHT verwendet');
});

// ---- the real runner against a diskutil stand-in -------------------------------------------------

// Records argv and stdin (byte for byte), then does the worst: prints the passphrase it got.
const DISKUTIL_STANDIN = `#!/bin/sh
dir=$(dirname "$0")
printf '%s\\n' "$@" > "$dir/argv"
cat > "$dir/stdin"
got=$(tr -d '\\000' < "$dir/stdin")
echo "Unlocking any cryptographic user on APFS Volume disk7s1"
echo "debug: passphrase was $got" >&2
case $(cat "$dir/mode") in
  wrong) echo "Error unlocking APFS Volume: The given passphrase is incorrect (-69557)" >&2; exit 1;;
  notenc) echo "Error unlocking APFS Volume: The given APFS Volume is not encrypted (-69593)" >&2; exit 1;;
  ok) exit 0;;
esac
exit 99
`;

async function standIn() {
  const dir = await makeTempDir('praxis-apfs-standin');
  const exe = join(dir, 'diskutil');
  await writeFile(exe, DISKUTIL_STANDIN);
  await chmod(exe, 0o755);
  return {
    exe,
    mode: (m: string) => writeFile(join(dir, 'mode'), m),
    argv: () => readFileSync(join(dir, 'argv'), 'utf8').split('\n').slice(0, -1),
    stdin: () => readFileSync(join(dir, 'stdin')),
  };
}

test('real runner: diskutil gets exactly the passphrase bytes on stdin; every line, error and argv shown is redacted', async () => {
  const tool = await standIn();
  for (const mode of ['ok', 'wrong', 'notenc']) {
    await tool.mode(mode);
    const seen: string[] = [];
    const plan = planUnlockVolume(UUID, PW, tool.exe);
    let mapped: PraxisError | 'alreadyUnlocked' | null = null;
    try {
      const r = await run(plan, { onStdoutLine: (l) => seen.push(l), onStderrLine: (l) => seen.push(l) });
      seen.push(...r.stderrTail, ...r.stdoutTail);
    } catch (e) {
      assert.ok(e instanceof CommandError);
      seen.push(e.message, ...e.argv, ...e.stderrTail, ...e.stdoutTail);
      mapped = mapUnlockFailure(e, CTX);
    }
    assert.equal(tool.argv(), ['apfs', 'unlockVolume', UUID, '-stdinpassphrase'], mode);
    assert.ok(tool.stdin().equals(Buffer.from(PW, 'utf8')), `${mode}: stdin bytes`);
    assert.ok(seen.some((l) => l === 'debug: passphrase was ***'), seen.join('\n'));
    for (const s of seen) assert.not.ok(s.includes(PW) || s.includes('Ahorn-Kiesel'), `${mode}: ${s}`);
    if (mode === 'wrong') assert.is((mapped as PraxisError).message_.key, 'apfs.wrongPassphrase');
    if (mode === 'notenc') assert.is((mapped as PraxisError).message_.key, 'apfs.notEncrypted');
    if (mapped instanceof PraxisError) {
      const all = [render('de', mapped.message_), render('en', mapped.message_), JSON.stringify(mapped.message_)].join('\n');
      assert.not.ok(all.includes(PW));
    }
  }
});

test('real runner: encryptVolume gets the same bytes (no newline), so unlock later matches', async () => {
  const tool = await standIn();
  await tool.mode('ok');
  await run(planPrepareEncrypted('disk4', 'PRAXIS-BACKUP', PW, tool.exe).encrypt('disk7s1'));
  assert.equal(tool.argv(), ['apfs', 'encryptVolume', 'disk7s1', '-user', 'disk', '-stdinpassphrase']);
  assert.ok(tool.stdin().equals(Buffer.from(PW, 'utf8')));
});

test.run();

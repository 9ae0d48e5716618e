// KeytarSecretStore against the real macOS Keychain, in a throwaway keychain made with
// `security create-keychain` and made the user's default for the test (keytar writes generic
// passwords to the default keychain, FACTS §4). Proves what the Linux tests cannot: that set, get,
// list and delete reach the Keychain, that the item lands under service "Praxis-Backup" with the
// credential id as account, and that a second process of the same binary reads it without a
// prompt (the scheduled run is such a process: a prompt nobody sees would hang it).
//
// macOS only (skipped as "needs macOS" elsewhere), and only on CI or with
// PRAXIS_BACKUP_TEST_MAC_SYSTEM=1: it switches the user's default keychain while it runs and puts
// the previous default and search list back afterwards.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { KeytarSecretStore, SERVICE } from '../../src/credentials/keytar-secret-store';
import { CommandError, run } from '../../src/process/runner';
import { makeTempDir, registerCleanup, runCleanups } from '../helpers/temp';
import { macSystemHooks, macSystemTest } from './needs-macos';

const SECURITY = '/usr/bin/security';
// A password for a keychain that exists only during this test (in argv: `security` has no other way).
const KEYCHAIN_PASSWORD = `pb-test-${process.pid}`;
const ID = `darwin-test-${process.pid}`;
const SECRET = 'Prüf-Passwort mit Leerzeichen & "Zeichen" ✓';

/** Runs `security`; throws on a non-zero exit unless `anyExit` (then the caller judges the code). */
async function security(args: string[], anyExit = false): Promise<{ exitCode: number; out: string[] }> {
  const out: string[] = [];
  try {
    const r = await run({ label: `security ${args[0]}`, file: SECURITY, args, timeoutMs: 30_000 }, { onStdoutLine: (l) => out.push(l) });
    return { exitCode: r.exitCode, out };
  } catch (e) {
    if (anyExit && e instanceof CommandError && e.exitCode !== undefined && e.exitCode !== null) return { exitCode: e.exitCode, out };
    throw e;
  }
}

/** `security list-keychains` prints one quoted path per line. */
const paths = (lines: string[]) => lines.map((l) => l.trim().replace(/^"|"$/g, '')).filter(Boolean);

const s = suite('darwin: Keychain through keytar');
const test = macSystemTest(s, 'the Keychain test');
let keychain = '';
let store: KeytarSecretStore;

macSystemHooks(
  s,
  async () => {
    const dir = await makeTempDir('pb-darwin-keychain-');
    keychain = join(dir, 'praxis-test.keychain-db');
    const previousDefault = paths((await security(['default-keychain', '-d', 'user'])).out)[0];
    const previousList = paths((await security(['list-keychains', '-d', 'user'])).out);
    await security(['create-keychain', '-p', KEYCHAIN_PASSWORD, keychain]);
    // Cleanups run last-registered-first: restore the user's settings, then delete the keychain.
    registerCleanup(async () => void (await security(['delete-keychain', keychain], true)), { label: 'delete test keychain' });
    registerCleanup(async () => {
      if (previousDefault) await security(['default-keychain', '-d', 'user', '-s', previousDefault]);
      await security(['list-keychains', '-d', 'user', '-s', ...previousList]);
    }, { label: 'restore default keychain' });
    await security(['list-keychains', '-d', 'user', '-s', keychain, ...previousList]);
    await security(['default-keychain', '-d', 'user', '-s', keychain]);
    await security(['unlock-keychain', '-p', KEYCHAIN_PASSWORD, keychain]);
    store = new KeytarSecretStore({ platform: 'darwin', timeoutMs: 30_000 });
  },
  runCleanups,
);

test('set: the item is in the throwaway keychain, service Praxis-Backup, account = the id', async () => {
  await store.set(ID, SECRET);
  // Attributes only (no -w): reading the secret with `security` would be another app asking.
  const found = await security(['find-generic-password', '-s', SERVICE, '-a', ID, keychain], true);
  assert.is(found.exitCode, 0, `security find-generic-password -s ${SERVICE} -a ${ID} found nothing in ${keychain}`);
});

test('get and ids: the same text back, the id listed', async () => {
  assert.is(await store.get(ID), SECRET);
  assert.ok((await store.ids()).includes(ID));
  assert.is(await store.get(`${ID}-unknown`), null);
});

test('another process of the same binary reads it without a prompt (as the scheduled run does)', async () => {
  const code = `import('keytar').then((m) => (m.default ?? m).getPassword(${JSON.stringify(SERVICE)}, ${JSON.stringify(ID)})).then((p) => { process.stdout.write(JSON.stringify(p)); process.exit(0); })`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  // A prompt would block the call; 30 s is far beyond a Keychain lookup.
  const exit = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 30_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.is(exit, 0, 'the second process did not answer within 30 s (a Keychain prompt?)');
  assert.is(JSON.parse(out), SECRET);
});

test('delete: gone from the keychain; a second delete reports nothing deleted', async () => {
  assert.is(await store.delete(ID), true);
  assert.is.not((await security(['find-generic-password', '-s', SERVICE, '-a', ID, keychain], true)).exitCode, 0, 'the item is still in the keychain');
  assert.is(await store.get(ID), null);
  assert.is(await store.delete(ID), false);
});

s.run();

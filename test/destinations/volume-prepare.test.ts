// `volumes prepare <diskN> --encrypted --mirror NAME` (issue 8, macOS): the flow in
// src/destinations/volume/prepare.ts. diskutil cannot run here, so:
// - the plans run through a RECORDING runner that answers success (exit 0, no output); each test
//   asserts the exact argv and stdin of what was run — or that nothing was;
// - the disk descriptions and volume lists come from a fake of OUR port (PrepareDisks), never from
//   made-up diskutil output. The adapter that reads real diskutil answers (diskutilPrepareDisks) is
//   tested against the recorded plists in test/fixtures/macos (provenance in SOURCES.md there);
// - the credential store is an in-memory CredentialStore: what is tested is WHEN the flow stores
//   the passphrase, not the Keychain (the real Secret Service is covered by the credentials tests);
// - the sheets are written for real (writeEmergencySheet) into a temp dir, the config file too.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../src/config/schema';
import { validateConfig } from '../../src/config/load';
import type { Runner } from '../../src/diskutil/diskutil-volumes';
import type { Volume } from '../../src/core/volumes';
import { render } from '../../src/i18n';
import { CommandError, type CommandPlan } from '../../src/process/runner';
import type { CredentialStore } from '../../src/credentials/credentials';
import { writeEmergencySheet, type SheetInput } from '../../src/encryption/emergency-sheet';
import { PraxisError } from '../../src/core/errors';
import {
  diskutilPrepareDisks,
  prepareEncryptedVolume,
  type DescribedDisk,
  type PrepareDisks,
  type PrepareRequest,
} from '../../src/destinations/volume/prepare';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('volumes prepare');
test.after(runCleanups);

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'macos');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const NEW_UUID = '3E1D9A44-52B7-4C0B-9F1E-7A2B6C8D0E11';
const OLD_UUID = '0A0B0C0D-1111-2222-3333-444455556666';

// ---- fakes ---------------------------------------------------------------------------------------

class MemoryKeyring implements CredentialStore {
  readonly description = 'Test-Schlüsselbund';
  readonly map = new Map<string, string>();
  readonly sets: string[] = [];
  async get(id: string) {
    return this.map.get(id) ?? null;
  }
  async set(id: string, pw: string) {
    this.sets.push(id);
    this.map.set(id, pw);
  }
  async delete(id: string) {
    return this.map.delete(id);
  }
  async ids() {
    return [...this.map.keys()];
  }
}

function recordingRunner(fail?: (plan: CommandPlan) => CommandError | undefined) {
  const plans: CommandPlan[] = [];
  const run = (async (plan: CommandPlan) => {
    plans.push(plan);
    const e = fail?.(plan);
    if (e) throw e;
    return { exitCode: 0, warning: false, stdoutTail: [], stderrTail: [], durationMs: 0 };
  }) as Runner;
  return { plans, run };
}

const vol = (v: Partial<Volume> & Pick<Volume, 'id' | 'wholeDisk'>): Volume => ({
  label: null,
  uuid: null,
  device: `/dev/${v.id}`,
  fileSystem: 'apfs',
  mountPoint: null,
  sizeBytes: 1e9,
  freeBytes: null,
  external: true,
  ...v,
});

const USB: DescribedDisk = {
  id: 'disk4',
  isWholeDisk: true,
  sizeBytes: 500_107_862_016,
  external: true,
  label: null,
  uuid: null,
  apfsPhysicalStores: [],
  mediaName: 'Extreme SSD',
  fileVault: null,
};

const SYSTEM = vol({ id: 'disk1s1', wholeDisk: 'disk0', label: 'Macintosh HD - Data', mountPoint: '/System/Volumes/Data', external: false });
// Another attached disk already called PRAXIS-BACKUP (the old backup disk): listed FIRST, so a
// search by label alone would pick it.
const OTHER_BACKUP_DISK = vol({ id: 'disk3s1', wholeDisk: 'disk2', label: 'PRAXIS-BACKUP', uuid: 'AAAAAAAA-0000-0000-0000-000000000001', mountPoint: '/Volumes/PRAXIS-BACKUP' });
const BEFORE = [SYSTEM, OTHER_BACKUP_DISK, vol({ id: 'disk4s1', wholeDisk: 'disk4', label: 'Urlaubsfotos', fileSystem: 'exfat', mountPoint: '/Volumes/Urlaubsfotos', sizeBytes: 5e11 })];
const newVolume = (label: string) => vol({ id: 'disk5s1', wholeDisk: 'disk4', label, uuid: NEW_UUID, mountPoint: `/Volumes/${label}` });

interface Scenario {
  disk?: DescribedDisk;
  /** The disk as described the second time (just before the erase). */
  diskLater?: DescribedDisk;
  before?: Volume[];
  after?: (label: string) => Volume[];
  newVolumeInfo?: Partial<DescribedDisk>;
  fail?: (plan: CommandPlan) => CommandError | undefined;
}

/** The port fake: descriptions and lists as a Mac would give them; the plans go to the recording runner. */
function fakeDisks(s: Scenario) {
  const runner = recordingRunner(s.fail);
  // The label the erase plan used: the fake "creates" the new volume under that name.
  const erasedAs = () => runner.plans.find((p) => p.args[0] === 'eraseDisk')?.args[2];
  let described = 0;
  const describes: string[] = [];
  const disks: PrepareDisks = {
    list: async () => {
      const label = erasedAs();
      if (label === undefined) return s.before ?? BEFORE;
      return (s.after ?? ((l) => [SYSTEM, OTHER_BACKUP_DISK, newVolume(l)]))(label);
    },
    describe: async (id) => {
      describes.push(id);
      if (id === 'disk5s1') return { ...USB, id, isWholeDisk: false, label: erasedAs() ?? null, uuid: NEW_UUID, mediaName: null, fileVault: true, ...s.newVolumeInfo };
      const d = s.disk ?? USB;
      if (id !== d.id) throw new Error(`unexpected describe ${id}`);
      described++;
      return described > 1 && s.diskLater ? s.diskLater : d;
    },
    // Through the real adapter's run(), so the plan reaches the runner as the CLI hands it over.
    run: diskutilPrepareDisks({ volumes: { list: async () => [] }, run: runner.run }).run,
  };
  return { disks, plans: runner.plans, describes };
}

const baseConfig = (mirror: Record<string, unknown>) => ({
  practiceName: 'Praxis Dr. Beispiel',
  backupDir: '/Users/Shared/Praxis-Backup',
  components: [
    { name: 'datenbank', type: 'postgres', database: 'tomedo', host: 'localhost', port: 5432, user: 'postgres' },
    { name: 'files', type: 'folder', path: '/Users/Shared/tomedo/files' },
  ],
  mirrors: [{ name: 'nas', type: 'smb', url: 'smb://nas.local/backup', user: 'praxis', encrypt: true }, mirror],
});
const LABEL_MIRROR = { name: 'usb', type: 'volume', volume: { label: 'PRAXIS-BACKUP' }, encrypt: true, eject: true };
const UUID_MIRROR = { name: 'usb', type: 'volume', volume: { uuid: OLD_UUID }, encrypt: true };

interface Harness {
  dir: string;
  configFile: string;
  configText: string;
  keyring: MemoryKeyring;
  said: string[];
  prompts: string[];
  sheets: SheetInput[];
  sheetFiles: string[];
  plans: CommandPlan[];
  describes: string[];
  run(): Promise<Awaited<ReturnType<typeof prepareEncryptedVolume>>>;
  refusal(): Promise<PraxisError>;
}

async function harness(opts: { mirror?: Record<string, unknown>; answers: string[]; label?: string; disk?: string; lang?: 'de' | 'en'; scenario?: Scenario; keyring?: MemoryKeyring }): Promise<Harness> {
  const dir = await makeTempDir('praxis-prepare-');
  const configFile = join(dir, 'config.json');
  const raw = baseConfig(opts.mirror ?? LABEL_MIRROR);
  const configText = JSON.stringify(raw, null, 2) + '\n';
  await writeFile(configFile, configText, { mode: 0o600 });
  const config: Config = validateConfig(raw, configFile);
  const keyring = opts.keyring ?? new MemoryKeyring();
  const { disks, plans, describes } = fakeDisks(opts.scenario ?? {});
  const answers = [...opts.answers];
  const h: Harness = {
    dir,
    configFile,
    configText,
    keyring,
    said: [],
    prompts: [],
    sheets: [],
    sheetFiles: [],
    plans,
    describes,
    run: () => {
      const req: PrepareRequest = { config, configFile, mirror: 'usb', disk: opts.disk ?? 'disk4', label: opts.label, lang: opts.lang ?? 'de' };
      return prepareEncryptedVolume(req, { disks, keyring }, {
        say: (l) => h.said.push(l),
        // '' once the scripted answers run out: stdin at its end.
        ask: async (p) => (h.prompts.push(p), answers.shift() ?? ''),
        writeSheet: async (input) => {
          h.sheets.push(input);
          const f = await writeEmergencySheet(dir, input);
          h.sheetFiles.push(f);
          return f;
        },
      });
    },
    refusal: async () => {
      try {
        await h.run();
      } catch (e) {
        if (e instanceof PraxisError) return e;
        throw e;
      }
      throw new Error('expected a refusal, the flow completed');
    },
  };
  return h;
}

const YES = ['ja', 'disk4', 'ja'];

function assertUntouched(h: Harness, opts: { passphraseStored: boolean }) {
  assert.equal(h.plans, [], 'no diskutil plan may run');
  assert.is(h.keyring.map.has('encryption://usb'), opts.passphraseStored, 'passphrase stored?');
  assert.is(readFileSync(h.configFile, 'utf8'), h.configText, 'config unchanged');
  assert.not.ok(existsSync(`${h.configFile}.bak`), 'no .bak');
}

// ---- the whole flow ------------------------------------------------------------------------------

test('label mirror: three answers, then eraseDisk and encryptVolume with exactly this argv, the passphrase only on stdin', async () => {
  const h = await harness({ answers: YES });
  const r = await h.run();
  const pw = h.keyring.map.get('encryption://usb')!;
  assert.ok(pw && pw.length >= 30, 'a generated passphrase was stored');
  assert.is(h.plans.length, 2);
  const [erase, encrypt] = h.plans as [CommandPlan, CommandPlan];
  assert.is(erase.file, '/usr/sbin/diskutil');
  assert.equal(erase.args, ['eraseDisk', 'APFS', 'PRAXIS-BACKUP', 'GPT', 'disk4']);
  assert.is(erase.input, undefined, 'nothing on the erase stdin');
  assert.is(encrypt.file, '/usr/sbin/diskutil');
  assert.equal(encrypt.args, ['apfs', 'encryptVolume', 'disk5s1', '-user', 'disk', '-stdinpassphrase']);
  assert.is(encrypt.input, pw, 'the stored passphrase, on stdin');
  for (const p of h.plans) {
    for (const a of [p.file, ...p.args, p.label]) assert.not.ok(a.includes(pw), `passphrase in argv: ${a}`);
    assert.ok(p.secrets?.includes(pw), 'listed for redaction');
  }
  // The new volume is the one on disk4, not the PRAXIS-BACKUP of the other disk listed first.
  assert.is(r.volumeId, 'disk5s1');
  assert.is(r.uuid, NEW_UUID);
  assert.is(r.config, null, 'a label mirror keeps its config');
  assert.is(readFileSync(h.configFile, 'utf8'), h.configText);
  assert.not.ok(existsSync(`${h.configFile}.bak`));
  // Checked encrypted after the encrypt step.
  assert.equal(h.describes, ['disk4', 'disk4', 'disk5s1']);
  // The texts: the warning names disk, size, model and what is on it; progress; the result.
  const text = h.said.join('\n');
  assert.match(text, /disk4 \(Extreme SSD, 466 GB\) wird vollständig GELÖSCHT/);
  assert.match(text, /„Urlaubsfotos“ \(disk4s1/);
  assert.not.match(text, /Macintosh HD/, 'only the volumes of this disk');
  assert.match(text, 'Lösche disk4');
  assert.match(text, 'Verschlüssele „PRAXIS-BACKUP“ (disk5s1)');
  assert.match(text, `UUID ${NEW_UUID}`);
  assert.equal(h.prompts.length, 3);
  assert.match(h.prompts[1]!, 'disk4');
  assert.not.ok([...h.said, ...h.prompts, JSON.stringify(r)].some((l) => l.includes(pw)), 'passphrase never said');
  // Two sheets: first before the erase (label, no UUID), then with the UUID; 0600, with the passphrase.
  assert.equal(h.sheets.map((s) => [s.mirror.label, s.mirror.uuid, s.passphrase === pw, s.platform]), [
    ['PRAXIS-BACKUP', null, true, 'darwin'],
    ['PRAXIS-BACKUP', NEW_UUID, true, 'darwin'],
  ]);
  assert.is(r.sheet, h.sheetFiles[1]);
  assert.is(statSync(r.sheet).mode & 0o777, 0o600);
  const sheet = readFileSync(r.sheet, 'utf8');
  assert.ok(sheet.includes(NEW_UUID) && sheet.includes('Praxis Dr. Beispiel'));
});

test('UUID mirror: --label names the volume, the new UUID goes into the config atomically with a .bak, nothing else changes', async () => {
  const h = await harness({ mirror: UUID_MIRROR, answers: YES, label: 'PRAXIS-USB-2', lang: 'en' });
  const r = await h.run();
  const pw = h.keyring.map.get('encryption://usb')!;
  assert.equal(h.plans[0]!.args, ['eraseDisk', 'APFS', 'PRAXIS-USB-2', 'GPT', 'disk4']);
  assert.equal(h.plans[1]!.args, ['apfs', 'encryptVolume', 'disk5s1', '-user', 'disk', '-stdinpassphrase']);
  assert.equal(r.config, { file: h.configFile, backup: `${h.configFile}.bak` });
  assert.is(readFileSync(`${h.configFile}.bak`, 'utf8'), h.configText, '.bak is the previous file');
  const now = JSON.parse(readFileSync(h.configFile, 'utf8'));
  const expected = JSON.parse(h.configText);
  expected.mirrors[1].volume = { uuid: NEW_UUID };
  assert.equal(now, expected, 'only the UUID changed (no defaults filled in)');
  assert.is(statSync(h.configFile).mode & 0o777, 0o600);
  for (const f of [h.configFile, `${h.configFile}.bak`]) assert.not.ok(readFileSync(f, 'utf8').includes(pw), `passphrase in ${f}`);
  const text = h.said.join('\n');
  assert.match(text, `The new UUID ${NEW_UUID} is set for "usb" in ${h.configFile}`);
  assert.match(text, 'Erasing disk4');
  assert.match(text, 'Encrypting "PRAXIS-USB-2" (disk5s1)');
  assert.equal(h.sheets.map((s) => [s.mirror.label, s.mirror.uuid]), [['PRAXIS-USB-2', null], ['PRAXIS-USB-2', NEW_UUID]]);
});

test('UUID mirror without --label: the volume is called PRAXIS-BACKUP', async () => {
  const h = await harness({ mirror: UUID_MIRROR, answers: YES });
  await h.run();
  assert.equal(h.plans[0]!.args, ['eraseDisk', 'APFS', 'PRAXIS-BACKUP', 'GPT', 'disk4']);
});

test('a passphrase stored by an earlier, unconfirmed attempt is reused (its printed sheet stays valid), not replaced', async () => {
  const keyring = new MemoryKeyring();
  keyring.map.set('encryption://usb', 'k7mq4-tw9cd-abe36-fghjk-mnpqr-stuvw');
  const h = await harness({ answers: YES, keyring });
  await h.run();
  assert.equal(keyring.sets, [], 'nothing stored again');
  assert.is(h.plans[1]!.input, 'k7mq4-tw9cd-abe36-fghjk-mnpqr-stuvw');
  assert.is(h.sheets[0]!.passphrase, 'k7mq4-tw9cd-abe36-fghjk-mnpqr-stuvw');
  assert.match(h.said.join('\n'), 'Das schon gespeicherte Passwort (encryption://usb) wird verwendet');
});

// ---- refusals: nothing touched -------------------------------------------------------------------

for (const [answers, key, why] of [
  [['nein'], 'volumes.prepare.cancelled', '"nein" to the warning'],
  [['j'], 'volumes.prepare.cancelled', 'a bare "j" is not enough for an erase'],
  [[], 'volumes.prepare.cancelled', 'stdin at its end'],
  [['ja', 'disk5'], 'volumes.prepare.typedWrong', 'another disk id typed'],
  [['ja', '/dev/disk4'], 'volumes.prepare.typedWrong', 'the device path is not the id'],
  [['ja', ''], 'volumes.prepare.typedWrong', 'nothing typed'],
] as const) {
  test(`refused without the two right answers (${why}): exit 2, no plan, no passphrase stored, no sheet`, async () => {
    const h = await harness({ answers: [...answers] });
    const e = await h.refusal();
    assert.is(e.message_.key, key);
    assert.is(e.exitCode, 2);
    assertUntouched(h, { passphraseStored: false });
    assert.equal(h.sheets, []);
  });
}

test('sheet not confirmed: exit 2, the disk untouched; the passphrase stays stored and is on the sheet', async () => {
  const h = await harness({ answers: ['ja', 'disk4', 'nein'] });
  const e = await h.refusal();
  assert.is(e.message_.key, 'volumes.prepare.sheetNotConfirmed');
  assert.is(e.exitCode, 2);
  assertUntouched(h, { passphraseStored: true });
  assert.is(h.sheets.length, 1);
  assert.is(h.sheets[0]!.passphrase, h.keyring.map.get('encryption://usb'));
  assert.match(render('de', e.message_), 'disk4 wurde nicht verändert');
});

test('an internal disk is refused before any question (exit 2)', async () => {
  const h = await harness({ answers: YES, scenario: { disk: { ...USB, external: false, mediaName: 'APPLE SSD' } } });
  const e = await h.refusal();
  assert.is(e.message_.key, 'apfs.prepare.internal');
  assert.is(e.exitCode, 2);
  assert.equal(h.prompts, []);
  assertUntouched(h, { passphraseStored: false });
});

test('an external disk that holds the running system is refused', async () => {
  const h = await harness({ answers: YES, scenario: { before: [vol({ id: 'disk4s1', wholeDisk: 'disk4', label: 'Macintosh HD', mountPoint: '/' })] } });
  const e = await h.refusal();
  assert.is(e.message_.key, 'apfs.prepare.internal');
  assertUntouched(h, { passphraseStored: false });
});

test('an APFS container disk is refused, naming the physical disk to give instead', async () => {
  const h = await harness({ answers: YES, scenario: { disk: { ...USB, apfsPhysicalStores: ['disk6s2'] } } });
  const e = await h.refusal();
  assert.is(e.message_.key, 'volumes.prepare.container');
  assert.equal(e.message_.params, { disk: 'disk4', physical: 'disk6' });
  assert.is(e.exitCode, 2);
  assertUntouched(h, { passphraseStored: false });
});

test('the disk changed between the confirmation and the erase (another disk got diskN): nothing erased', async () => {
  const h = await harness({ answers: YES, scenario: { diskLater: { ...USB, sizeBytes: 64_000_000_000, mediaName: 'Cruzer Fit' } } });
  const e = await h.refusal();
  assert.is(e.message_.key, 'volumes.prepare.diskChanged');
  assert.equal(h.plans, []);
});

test('mirror checks (exit 2, before any disk is looked at): unknown, not a volume, not encrypted, a label the mirror would not find', async () => {
  const cases: [Record<string, unknown>, string, string | undefined][] = [
    [{ ...LABEL_MIRROR, name: 'usb-alt' }, 'mirror.unknown', undefined],
    [{ name: 'usb', type: 'path', path: '/mnt/x', encrypt: true }, 'volumes.prepare.notVolume', undefined],
    [{ ...LABEL_MIRROR, encrypt: undefined }, 'encryption.notEncrypted', undefined],
    [LABEL_MIRROR, 'volumes.prepare.labelConflict', 'ANDERS'],
    [UUID_MIRROR, 'apfs.badLabel', '-rf'],
  ];
  for (const [mirror, key, label] of cases) {
    const h = await harness({ mirror, answers: YES, label });
    const e = await h.refusal();
    assert.is(e.message_.key, key);
    assert.is(e.exitCode, 2, key);
    assert.equal(h.describes, [], `${key}: no disk looked at`);
    assertUntouched(h, { passphraseStored: false });
  }
  const notEnc = await (await harness({ mirror: { ...LABEL_MIRROR, encrypt: false }, answers: YES })).refusal();
  assert.match(render('en', notEnc.message_), '"encrypt": true');
});

// ---- after the erase -----------------------------------------------------------------------------

test('the new volume is found by label AND disk: only the same label on another disk means "not found", nothing encrypted', async () => {
  const h = await harness({ answers: YES, scenario: { after: () => [SYSTEM, OTHER_BACKUP_DISK] } });
  const e = await h.refusal();
  assert.is(e.message_.key, 'volumes.prepare.newVolumeMissing');
  assert.equal(h.plans.map((p) => p.args[0]), ['eraseDisk'], 'no encryptVolume on the other disk');
});

test('two volumes with the label on the erased disk: nothing encrypted', async () => {
  const h = await harness({ answers: YES, scenario: { after: (l) => [newVolume(l), { ...newVolume(l), id: 'disk5s2' }] } });
  const e = await h.refusal();
  assert.is(e.message_.key, 'volumes.prepare.newVolumeAmbiguous');
  assert.equal(h.plans.map((p) => p.args[0]), ['eraseDisk']);
});

test('erase fails: mapped to apfs.prepare.eraseFailed with diskutil\'s lines, no encrypt', async () => {
  const fail = (p: CommandPlan) =>
    p.args[0] === 'eraseDisk' ? new CommandError(p.label, p.args, 1, undefined, ['Error: -69877: Couldn\'t open device'], [], 'exit') : undefined;
  const h = await harness({ answers: YES, scenario: { fail } });
  const e = await h.refusal();
  assert.is(e.message_.key, 'apfs.prepare.eraseFailed');
  assert.match(String(e.message_.params?.detail), '-69877');
  assert.is(h.plans.length, 1);
});

test('encrypt fails: mapped to apfs.prepare.encryptFailed; the config is not touched', async () => {
  const fail = (p: CommandPlan) => (p.args[1] === 'encryptVolume' ? new CommandError(p.label, p.args, 1, undefined, ['Error: -69808'], [], 'exit') : undefined);
  const h = await harness({ mirror: UUID_MIRROR, answers: YES, scenario: { fail } });
  const e = await h.refusal();
  assert.is(e.message_.key, 'apfs.prepare.encryptFailed');
  assert.is(readFileSync(h.configFile, 'utf8'), h.configText);
});

test('not reported encrypted (FileVault false or absent) after encryptVolume: failure, config untouched, no "done"', async () => {
  for (const fileVault of [false, null]) {
    const h = await harness({ mirror: UUID_MIRROR, answers: YES, scenario: { newVolumeInfo: { fileVault } } });
    const e = await h.refusal();
    assert.is(e.message_.key, 'volumes.prepare.notEncryptedAfter');
    assert.is(e.exitCode, 1);
    assert.is(readFileSync(h.configFile, 'utf8'), h.configText);
    assert.not.match(h.said.join('\n'), 'Fertig');
  }
});

// ---- the adapter, against recorded diskutil answers ---------------------------------------------

/** A runner that answers `diskutil info -plist <id>` with a recorded plist, line by line as diskutil prints it. */
function fixtureRunner(byId: Record<string, string>) {
  const plans: CommandPlan[] = [];
  const run = (async (plan: CommandPlan, opts?: { onStdoutLine?: (l: string) => void }) => {
    plans.push(plan);
    const name = byId[plan.args[2] ?? ''];
    if (plan.args[0] !== 'info' || !name) throw new Error(`unexpected plan ${plan.args.join(' ')}`);
    const text = fixture(name);
    for (const l of text.split('\n')) opts?.onStdoutLine?.(l);
    return { exitCode: text.includes('<key>Error</key>') ? 1 : 0, warning: false, stdoutTail: [], stderrTail: [], durationMs: 0 };
  }) as Runner;
  return { plans, run };
}

test('adapter: describe() runs `diskutil info -plist <id>` once and reads MediaName and FileVault from the recorded answers', async () => {
  const r = fixtureRunner({
    disk2: 'hstimager-diskutil-info-disk2-usb-stick.plist',
    disk1s1: 'sysline-diskutil-info-apfs-data-volume-disk1s1.plist',
    disk11s2: 'crystal-diskutil-info-external-usb-hfs-disk11s2.plist',
    disk1: 'hstimager-diskutil-info-disk1.plist',
  });
  const d = diskutilPrepareDisks({ volumes: { list: async () => [] }, run: r.run });
  const stick = await d.describe('disk2');
  assert.equal(r.plans.map((p) => [p.file, ...p.args]), [['/usr/sbin/diskutil', 'info', '-plist', 'disk2']]);
  assert.equal(
    { id: stick.id, whole: stick.isWholeDisk, external: stick.external, name: stick.mediaName, size: stick.sizeBytes, fv: stick.fileVault, stores: stick.apfsPhysicalStores },
    { id: 'disk2', whole: true, external: true, name: 'Cruzer Fit', size: 15665463296, fv: null, stores: [] },
  );
  const data = await d.describe('disk1s1');
  assert.is(data.fileVault, true, 'FileVault read from a real answer');
  assert.is(data.mediaName, null, 'an empty MediaName is null');
  assert.is((await d.describe('disk11s2')).fileVault, null, 'a plain HFS+ USB volume has no FileVault key');
  assert.equal((await d.describe('disk1')).apfsPhysicalStores, ['disk0s2'], 'a container names its physical store');
});

test('adapter: diskutil\'s error plist becomes error.diskutil', async () => {
  const r = fixtureRunner({ disk9: 'crystal-diskutil-info-error-smb-path.plist' });
  const d = diskutilPrepareDisks({ volumes: { list: async () => [] }, run: r.run });
  try {
    await d.describe('disk9');
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, PraxisError);
    assert.is((e as PraxisError).message_.key, 'error.diskutil');
  }
});

test('flow over the adapter: a recorded container disk (disk1 on disk0s2) is refused, naming disk0', async () => {
  const h = await harness({ answers: YES, disk: 'disk1' });
  const r = fixtureRunner({ disk1: 'hstimager-diskutil-info-disk1.plist' });
  const disks = diskutilPrepareDisks({ volumes: { list: async () => BEFORE }, run: r.run });
  const config = validateConfig(baseConfig(LABEL_MIRROR), h.configFile);
  try {
    await prepareEncryptedVolume({ config, configFile: h.configFile, mirror: 'usb', disk: 'disk1', lang: 'de' }, { disks, keyring: h.keyring }, {
      say: () => undefined,
      ask: async () => 'ja',
      writeSheet: async () => assert.unreachable('no sheet') as never,
    });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, PraxisError);
    assert.equal((e as PraxisError).message_.params, { disk: 'disk1', physical: 'disk0' });
  }
  assert.equal(r.plans.map((p) => p.args[0]), ['info'], 'only looked at');
  assert.equal(h.keyring.sets, []);
});

test.run();

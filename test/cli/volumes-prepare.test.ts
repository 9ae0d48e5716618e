// `praxis-backup volumes prepare <diskN> --encrypted --mirror NAME` at the command line: the
// option checks and exit codes, the Linux refusal through the real composition root (this machine
// is Linux), and the answers read from a real piped stdin in a child process.
//
// The child (this same file, started with PREPARE_CHILD set) runs the real volumes command with a
// stand-in App, because diskutil cannot run here: its runner answers `diskutil info -plist disk2`
// with a recorded real answer (test/fixtures/macos/hstimager-diskutil-info-disk2-usb-stick.plist, a
// SanDisk Cruzer Fit USB stick), and fails the test on any other plan; the volume list is a fake of
// our Volumes port; the credential store is in memory (what is tested is when the flow stores, not
// the Keychain). The full erase → encrypt → config flow is tested in test/destinations/volume-prepare.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { App } from '../../src/app/compose';
import { volumesCommand } from '../../src/cli/commands/volumes';
import { reportError, type Out } from '../../src/cli/output';
import type { Volume } from '../../src/core/volumes';
import type { CommandPlan } from '../../src/process/runner';
import { makeTempDir, runCleanups } from '../helpers/temp';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'macos', 'hstimager-diskutil-info-disk2-usb-stick.plist');
const CONFIG = {
  backupDir: '/Users/Shared/Praxis-Backup',
  components: [{ name: 'files', type: 'folder', path: '/Users/Shared/tomedo/files' }],
  mirrors: [
    { name: 'usb', type: 'volume', volume: { label: 'PRAXIS-BACKUP' }, encrypt: true },
    { name: 'plain', type: 'volume', volume: { label: 'KOPIE' } },
  ],
};

/** The stand-in App: macOS disks answered from the recording, an in-memory keyring. */
function fakeApp(dir: string, record?: { plans: string[][]; stored: string[] }): App {
  const stored = new Map<string, string>();
  const volumes: Volume[] = [
    { id: 'disk2s1', label: 'ALTER STICK', uuid: null, device: '/dev/disk2s1', wholeDisk: 'disk2', fileSystem: 'msdos', mountPoint: '/Volumes/ALTER STICK', sizeBytes: 15_665_463_296, freeBytes: null, external: true },
  ];
  const run = async (plan: CommandPlan, opts?: { onStdoutLine?: (l: string) => void }) => {
    record?.plans.push(plan.args);
    if (plan.args.join(' ') !== 'info -plist disk2') throw new Error(`unexpected diskutil call: ${plan.args.join(' ')}`);
    for (const l of readFileSync(FIXTURE, 'utf8').split('\n')) opts?.onStdoutLine?.(l);
    return { exitCode: 0, warning: false, stdoutTail: [], stderrTail: [], durationMs: 0 };
  };
  return {
    platform: 'darwin',
    paths: { configFile: join(dir, 'config.json'), stateDir: join(dir, 'state'), logDir: join(dir, 'logs') },
    macDisks: () => ({ volumes: { list: async () => volumes }, run }),
    keyring: () => ({
      description: 'Test-Schlüsselbund',
      get: async (id: string) => stored.get(id) ?? null,
      set: async (id: string, pw: string) => {
        record?.stored.push(id);
        stored.set(id, pw);
      },
      delete: async (id: string) => stored.delete(id),
      ids: async () => [...stored.keys()],
    }),
  } as unknown as App;
}

// ---- the child: the real command, real stdin -----------------------------------------------------

if (process.env.PREPARE_CHILD) {
  const dir = process.env.PREPARE_DIR!;
  const record = { plans: [] as string[][], stored: [] as string[] };
  const out: Out = { lang: 'de', json: false, text: (l) => process.stderr.write(l + '\n'), data: (o) => process.stdout.write(JSON.stringify(o) + '\n'), print: (l) => process.stdout.write(l + '\n') };
  let code: number;
  try {
    code = await volumesCommand(fakeApp(dir, record), JSON.parse(process.env.PREPARE_CHILD), out);
  } catch (e) {
    code = reportError(out, e);
  }
  writeFileSync(join(dir, 'record.json'), JSON.stringify(record));
  process.exit(code);
}

// ---- the tests -----------------------------------------------------------------------------------

const test = suite('cli: volumes prepare');
test.after(runCleanups);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function spawnNode(args: string[], env: Record<string, string>, input: string): Promise<Result> {
  return new Promise((res) => {
    const child = execFile(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      res({ code: child.exitCode ?? (err ? -1 : 0), stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin!.end(input);
  });
}

/** The command in-process with the stand-in App: for the checks that end before any question. */
async function inProcess(argv: string[], lang: 'de' | 'en' = 'en'): Promise<{ code: number; text: string }> {
  const dir = await makeTempDir('praxis-prepare-cli-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
  const lines: string[] = [];
  const out: Out = { lang, json: false, text: (l) => lines.push(l), data: (o) => lines.push(JSON.stringify(o)), print: (l) => lines.push(l) };
  let code: number;
  try {
    code = await volumesCommand(fakeApp(dir), argv, out);
  } catch (e) {
    code = reportError(out, e);
  }
  return { code, text: lines.join('\n') };
}

test('option checks: --encrypted required (no plain erase), a whole disk id, --mirror, an encrypted volume mirror — each exit 2, named', async () => {
  const cases: [string[], RegExp][] = [
    [['prepare', 'disk2', '--mirror', 'usb'], /--encrypted is required/],
    [['prepare', '/dev/disk2', '--encrypted', '--mirror', 'usb'], /identifier like disk4.*"\/dev\/disk2"/],
    [['prepare', 'disk2s1', '--encrypted', '--mirror', 'usb'], /identifier like disk4.*"disk2s1"/],
    [['prepare', '--encrypted', '--mirror', 'usb'], /identifier like disk4/],
    [['prepare', 'disk2', '--encrypted'], /--mirror NAME is required/],
    [['prepare', 'disk2', '--encrypted', '--mirror', 'plain'], /Add "encrypt": true/],
    [['prepare', 'disk2', '--encrypted', '--mirror', 'nas'], /Unknown mirror "nas"/],
    [['eject', 'X', '--encrypted'], /--encrypted belongs to "volumes prepare"/],
  ];
  for (const [argv, re] of cases) {
    const r = await inProcess(argv);
    assert.is(r.code, 2, argv.join(' '));
    assert.match(r.text, re);
  }
});

test('--out names a folder that is not there: exit 2 before any question', async () => {
  const r = await inProcess(['prepare', 'disk2', '--encrypted', '--mirror', 'usb', '--out', '/nonexistent/sheets']);
  assert.is(r.code, 2);
  assert.match(r.text, '/nonexistent/sheets');
});

test('on Linux (the real composition root): exit 2 with what to do instead — ext4, mount, encryption setup <mirror>', async () => {
  if (process.platform === 'darwin') return; // there the command is real
  const dir = await makeTempDir('praxis-prepare-linux-');
  const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, '.config'), XDG_STATE_HOME: join(dir, '.state'), LANG: 'de_DE.UTF-8', LC_ALL: '', PRAXIS_BACKUP_LANG: '' };
  const de = await spawnNode(['src/cli/main.ts', 'volumes', 'prepare', 'disk4', '--encrypted', '--mirror', 'usb'], env, '');
  assert.is(de.code, 2, de.stderr);
  assert.match(de.stderr, 'gibt es nur auf macOS');
  assert.match(de.stderr, 'mkfs.ext4 -L PRAXIS-USB /dev/sdX');
  assert.match(de.stderr, 'praxis-backup encryption setup usb');
  const en = await spawnNode(['src/cli/main.ts', 'volumes', 'prepare', 'disk4'], { ...env, LANG: 'en_GB.UTF-8' }, '');
  assert.is(en.code, 2);
  assert.match(en.stderr, 'exists on macOS only');
  assert.match(en.stderr, 'encryption setup <mirror>');
});

async function child(answers: string): Promise<Result & { dir: string; record: { plans: string[][]; stored: string[] }; sheets: string[] }> {
  const dir = await makeTempDir('praxis-prepare-child-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
  const sheetDir = join(dir, 'sheets');
  mkdirSync(sheetDir);
  const argv = ['prepare', 'disk2', '--encrypted', '--mirror', 'usb', '--config', join(dir, 'config.json'), '--out', sheetDir];
  const r = await spawnNode([join('test', 'cli', 'volumes-prepare.test.ts')], { PREPARE_CHILD: JSON.stringify(argv), PREPARE_DIR: dir }, answers);
  const record = JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8'));
  const sheets = readdirSync(sheetDir).map((f) => join(sheetDir, f));
  return { ...r, dir, record, sheets };
}

test('piped answers are read one per question: the warning names the recorded stick; "nein" to the sheet → exit 2, nothing erased, passphrase only in the 0600 sheet', async () => {
  const r = await child('ja\ndisk2\nnein\n');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /ACHTUNG: Der Datenträger disk2 \(Cruzer Fit, 15 GB\) wird vollständig GELÖSCHT/);
  assert.match(r.stderr, '„ALTER STICK“ (disk2s1');
  assert.match(r.stderr, 'Zum Fortfahren „ja“ eintippen:');
  assert.match(r.stderr, 'Kennung des Datenträgers eintippen (disk2):');
  assert.match(r.stderr, 'Haben Sie das Notfallblatt ausgedruckt');
  assert.match(r.stderr, 'Notfallblatt nicht bestätigt: disk2 wurde nicht verändert');
  assert.equal(r.record.plans, [['info', '-plist', 'disk2']], 'only looked at: no eraseDisk, no encryptVolume');
  assert.equal(r.record.stored, ['encryption://usb']);
  assert.is(r.sheets.length, 1);
  assert.is(statSync(r.sheets[0]!).mode & 0o777, 0o600);
  const sheet = readFileSync(r.sheets[0]!, 'utf8');
  const pw = /<div class="pass">(.*?)<\/div>/.exec(sheet)![1]!.replace(/<[^>]+>/g, '');
  assert.match(pw, /^[a-z0-9]{5}(-[a-z0-9]{5}){5}$/);
  assert.not.ok(r.stdout.includes(pw) || r.stderr.includes(pw), 'passphrase on stdout/stderr');
  assert.not.ok(readFileSync(join(r.dir, 'config.json'), 'utf8').includes(pw));
});

test('stdin ends before the first answer: exit 2, nothing stored, no sheet', async () => {
  const r = await child('');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, 'Abgebrochen: disk2 wurde nicht verändert.');
  assert.equal(r.record.stored, []);
  assert.equal(r.sheets, []);
  assert.ok(!existsSync(join(r.dir, 'state')));
});

test.run();

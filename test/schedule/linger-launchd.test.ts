// macOS has no lingering: a LaunchAgent lives in the GUI session of a logged-in user. What
// `schedule install` and `schedule status` say about that, with launchctl answering through an
// injected runner from the recorded real `launchctl print` output (test/fixtures/macos, SOURCES.md)
// or with exit 113 (not loaded). Never run on a Mac.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { render } from '../../src/i18n';
import type { CommandPlan, RunOptions, RunResult } from '../../src/process/runner';
import { AGENT_LABEL } from '../../src/schedule/launchd-agent';
import { LaunchdScheduler } from '../../src/schedule/launchd-scheduler';
import { missedReasonFrom } from '../../src/alerting/alert-rules';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('launchd: logged-in user');
const PRINT = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'macos', 'launchctl-print-user-domain-agent.txt'), 'utf8').split('\n');
type Run = ConstructorParameters<typeof LaunchdScheduler>[0]['run'];

/** launchctl: `print` of the backup agent gives the recorded output, of the others 113; the rest succeeds. */
const run = (async (plan: CommandPlan, opts: RunOptions = {}): Promise<RunResult> => {
  const loaded = plan.args[0] === 'print' && plan.args[1]!.endsWith(AGENT_LABEL);
  if (loaded) for (const l of PRINT) opts.onStdoutLine?.(l);
  const exitCode = plan.args[0] === 'print' && !loaded ? 113 : 0;
  return { exitCode, warning: false, stdoutTail: [], stderrTail: [], durationMs: 1 };
}) as Run;

let home: string;
let scheduler: LaunchdScheduler;

test.before(async () => {
  const root = await makeTempDir('praxis-linger-launchd-');
  home = join(root, 'Users', 'praxis');
  mkdirSync(home, { recursive: true });
  const program = { node: join(root, 'node'), cli: join(root, 'cli.js') };
  for (const p of Object.values(program)) writeFileSync(p, '');
  scheduler = new LaunchdScheduler({ run, home, uid: 501, program, sleep: async () => {} });
  await scheduler.install({ cron: '15 3 * * 1-5', onDiskAttach: false, configFile: join(home, 'config.json'), lang: 'de' });
});
test.after(() => runCleanups());

const LOGIN = 'schedule.launchdLogin';

test('install says what the agent needs', async () => {
  const r = await scheduler.install({ cron: '15 3 * * 1-5', onDiskAttach: false, configFile: join(home, 'config.json'), lang: 'de' });
  assert.ok(r.notes.some((n) => n.key === LOGIN), JSON.stringify(r.notes));
  assert.is(r.linger, undefined); // no lingering on macOS: install never warns about it (exit 0)
});

test('status (agent loaded, recorded print): the note in German — logged-in user, login keychain, restart, FileVault', async () => {
  const s = await scheduler.status();
  assert.is(s.jobs[0]!.loaded, true);
  assert.is(s.jobs[0]!.state, 'not running');
  assert.is(s.linger, undefined);
  const note = s.notes.find((n) => n.key === LOGIN);
  assert.ok(note, JSON.stringify(s.notes));
  const de = render('de', note!);
  assert.match(de, /läuft nur, solange dieser Benutzer am Mac angemeldet ist/);
  assert.match(de, /Anmelde-Schlüsselbund, der dann entsperrt sein muss/);
  assert.match(de, /Nach einem Neustart läuft kein Backup, bis sich der Benutzer wieder anmeldet/);
  assert.match(de, /Heartbeat/);
  assert.match(de, /FileVault gibt es keine automatische Anmeldung/);
});

test('status in English; the loaded agent is no missed-run reason by itself', async () => {
  const s = await scheduler.status();
  const en = render('en', s.notes.find((n) => n.key === LOGIN)!);
  assert.match(en, /runs only while this user is logged in at the Mac/);
  assert.match(en, /login keychain, which must then be unlocked/);
  assert.match(en, /After a restart no backup runs until the user logs in again/);
  assert.match(en, /With FileVault on there is no automatic login/);
  assert.is(missedReasonFrom(s), undefined);
});

test.run();

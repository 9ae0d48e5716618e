// The generated LaunchAgents, loaded into the real launchd of this login (gui/<uid>) and read back
// with `launchctl print`: the tray agent (LaunchdTrayAgent) and the backup schedule
// (LaunchdScheduler), each with a harmless program in place of qode/node, in a temporary HOME so no
// file of the user's is touched. The unit tests assert the argv against recorded launchctl output;
// only a Mac can show that launchd accepts the plists, starts the tray agent at load, keeps the
// schedule idle until its calendar fires, runs the exact ProgramArguments, and lets both go again.
//
// macOS only (skipped as "needs macOS" elsewhere), and only on CI or with
// PRAXIS_BACKUP_TEST_MAC_SYSTEM=1: the agents use the product's real labels (de.praxis-backup.*),
// so on a developer's Mac this would boot out the installed tray and schedule.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import plist from 'plist';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AutostartSpec } from '../../src/autostart/autostart';
import { LaunchdTrayAgent, TRAY_LABEL } from '../../src/autostart/launchd-tray-agent';
import { run } from '../../src/process/runner';
import { AGENT_LABEL, agentLogDir, agentPlistPath } from '../../src/schedule/launchd-agent';
import { LaunchdScheduler, launchctlPlans, NOT_LOADED } from '../../src/schedule/launchd-scheduler';
import { parseLaunchctlPrint } from '../../src/schedule/launchctl-print';
import type { ScheduleSpec } from '../../src/schedule/scheduler';
import { makeTempDir, registerCleanup, runCleanups } from '../helpers/temp';
import { macSystemHooks, macSystemTest } from './needs-macos';

const uid = process.getuid?.() ?? 0;
let home = '';
let tray: LaunchdTrayAgent;
let traySpec: AutostartSpec;
let scheduler: LaunchdScheduler;
let scheduleSpec: ScheduleSpec;

/** `launchctl print gui/<uid>/<label>`: its text, or null when launchd does not know the label (113). */
async function print(label: string): Promise<string | null> {
  const lines: string[] = [];
  const r = await run(launchctlPlans(uid, label, agentPlistPath(home, label)).print, { onStdoutLine: (l) => lines.push(l) });
  return r.exitCode === NOT_LOADED ? null : lines.join('\n');
}

/** Polls launchctl print until `ok` holds (launchd starts and stops jobs asynchronously). */
async function waitFor(label: string, ok: (text: string | null) => boolean, what: string): Promise<string | null> {
  let last: string | null = null;
  for (let i = 0; i < 100; i++) {
    last = await print(label);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.unreachable(`${label}: ${what} not reached within 20 s; last launchctl print:\n${last}`);
  return last;
}

const s = suite('darwin: launchctl with the generated agents');
const test = macSystemTest(s, 'the launchctl test');

macSystemHooks(
  s,
  async () => {
    home = await makeTempDir('pb-darwin-launchd-');
    // Whatever happens, nothing of this test stays loaded.
    registerCleanup(async () => {
      for (const label of [TRAY_LABEL, AGENT_LABEL]) await run(launchctlPlans(uid, label, agentPlistPath(home, label)).bootout).catch(() => {});
    }, { label: 'bootout test agents' });
    const fakeTray = join(home, 'tray.js');
    await writeFile(fakeTray, '// stands in for dist/tray.js: the agent starts /bin/sleep, which ignores it\n');
    // /bin/sh -c 'exec /bin/sleep 600' <tray.js>: a process that stays up like the tray, harmlessly.
    traySpec = { program: { runtime: '/bin/sh', runtimeArgs: ['-c', 'exec /bin/sleep 600'], tray: fakeTray } };
    tray = new LaunchdTrayAgent({ run, home, uid });
    // The schedule's "node" is /bin/echo: kickstarting the job writes its argv to the agent's log.
    const cli = join(home, 'cli.js');
    await writeFile(cli, '// stands in for dist/cli.js\n');
    const configFile = join(home, 'praxis-backup.json');
    await writeFile(configFile, '{}\n');
    scheduleSpec = { cron: '15 3 * * 1-5', onDiskAttach: false, configFile, lang: 'de' };
    scheduler = new LaunchdScheduler({ run, home, uid, program: { node: '/bin/echo', cli } });
  },
  runCleanups,
);

test('tray agent: bootstrap gui/<uid> loads it and RunAtLoad starts the program at once', async () => {
  const r = await tray.install(traySpec);
  assert.is(r.warning, false, `no graphical login to load into (launchctl bootstrap 125?): ${JSON.stringify(r.notes)}`);
  const text = await waitFor(TRAY_LABEL, (t) => t !== null && parseLaunchctlPrint(t).state === 'running', 'state = running');
  const svc = parseLaunchctlPrint(text!);
  assert.is(svc.service, `gui/${uid}/${TRAY_LABEL}`);
  assert.is(svc.path, agentPlistPath(home, TRAY_LABEL));
  assert.equal(svc.arguments, ['/bin/sh', '-c', 'exec /bin/sleep 600', traySpec.program.tray]);
  const st = await tray.status(traySpec);
  assert.is(st.loaded, true);
  assert.is(st.state, 'running');
  assert.is(st.files[0]!.current, true);
});

test('tray agent: remove boots it out (the program ends) and deletes the file', async () => {
  const r = await tray.remove();
  assert.ok(r.removed.includes(agentPlistPath(home, TRAY_LABEL)));
  await waitFor(TRAY_LABEL, (t) => t === null, 'unloaded (launchctl print exit 113)');
  assert.not.ok(existsSync(agentPlistPath(home, TRAY_LABEL)));
});

test('schedule agent: loaded, not running, with launchd calendar Mon–Fri 03:15', async () => {
  await scheduler.install(scheduleSpec);
  const text = await print(AGENT_LABEL);
  assert.ok(text, `${AGENT_LABEL} is not loaded after install`);
  const svc = parseLaunchctlPrint(text);
  assert.is(svc.state, 'not running', 'RunAtLoad is false: installing must not start a backup');
  const days = svc.calendarDescriptors.map((d) => `${d.Weekday}@${d.Hour}:${d.Minute}`).sort();
  assert.equal(days, ['1@3:15', '2@3:15', '3@3:15', '4@3:15', '5@3:15']);
  const st = await scheduler.status();
  const job = st.jobs.find((j) => j.name === AGENT_LABEL)!;
  assert.is(job.loaded, true);
  assert.equal(job.missingPrograms, []);
});

test('schedule agent: kickstart runs exactly its ProgramArguments, output in its log file', async () => {
  const file = plist.parse(await readFile(agentPlistPath(home, AGENT_LABEL), 'utf8')) as { ProgramArguments: string[]; StandardOutPath: string };
  assert.ok(file.StandardOutPath.startsWith(agentLogDir(home)));
  await run({ label: 'launchctl kickstart', file: '/bin/launchctl', args: ['kickstart', `gui/${uid}/${AGENT_LABEL}`], timeoutMs: 30_000 });
  await waitFor(AGENT_LABEL, (t) => t !== null && parseLaunchctlPrint(t).lastExitCode === '0', 'last exit code = 0');
  const logged = (await readFile(file.StandardOutPath, 'utf8')).trim();
  // /bin/echo prints its arguments: everything after ProgramArguments[0].
  assert.is(logged, file.ProgramArguments.slice(1).join(' '));
  assert.ok(logged.includes(`run --scheduled --config ${scheduleSpec.configFile}`), logged);
});

test('schedule agent: remove boots it out and deletes the file', async () => {
  await scheduler.remove();
  await waitFor(AGENT_LABEL, (t) => t === null, 'unloaded (launchctl print exit 113)');
  assert.not.ok(existsSync(agentPlistPath(home, AGENT_LABEL)));
});

s.run();

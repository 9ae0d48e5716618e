// What lowering the night's priority runs on each platform (the whole argv, without spawning), and
// the log's words for what was used and what was not. The effect on real children is in
// test/engine/low-priority-cli.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { render } from '../../src/i18n';
import { IONICE, planLowPriority, priorityMessages, TASKPOLICY } from '../../src/process/priority';

const test = suite('low priority: plan and log line');

test('Linux: nice 19 for every thread, then one ionice -c3 -p with all thread ids (ioprio is per thread)', () => {
  const p = planLowPriority('linux', 4100, [4100, 4101, 4107], '/usr/bin/ionice');
  assert.equal(p.nice, { ids: [4100, 4101, 4107], value: 19 });
  assert.is(p.command.part, 'ionice');
  assert.is(p.command.plan.file, '/usr/bin/ionice');
  assert.equal(p.command.plan.args, ['-c3', '-p', '4100', '4101', '4107']);
});

test('Linux without /proc/self/task: the process id alone', () => {
  const p = planLowPriority('linux', 4100, [], '/usr/bin/ionice');
  assert.equal(p.nice.ids, [4100]);
  assert.equal(p.command.plan.args, ['-c3', '-p', '4100']);
});

test('macOS: nice 19 for the process and taskpolicy -b -p <pid> (PRIO_DARWIN_BG), threads ignored', () => {
  const p = planLowPriority('darwin', 812, [812, 813], '');
  assert.equal(p.nice, { ids: [812], value: 19 });
  assert.is(p.command.part, 'taskpolicy');
  assert.is(p.command.plan.file, TASKPOLICY);
  assert.is(TASKPOLICY, '/usr/sbin/taskpolicy');
  assert.equal(p.command.plan.args, ['-b', '-p', '812']);
});

test('the log: what was used in one line, in German and English', () => {
  const [line, ...rest] = priorityMessages({ lowered: ['nice', 'ionice'], notLowered: [] });
  assert.equal(rest, []);
  assert.is(render('de', line!), 'Niedrige Priorität: nice 19, ionice Leerlauf-Klasse.');
  assert.is(render('en', line!), 'Low priority: nice 19, ionice idle class.');
  const [mac] = priorityMessages({ lowered: ['nice', 'taskpolicy'], notLowered: [] });
  assert.is(render('en', mac!), 'Low priority: nice 19, taskpolicy -b (background: CPU, disk and network throttled).');
});

test('ionice missing: nice still said, and a second info line names ionice, why, and how to install it', () => {
  const lines = priorityMessages({
    lowered: ['nice'],
    notLowered: [{ part: 'ionice', reason: { key: 'priority.reason.missing', params: { tool: 'ionice', hint: IONICE.hint } } }],
  });
  assert.is(lines.length, 2);
  assert.is(render('de', lines[0]!), 'Niedrige Priorität: nice 19.');
  assert.is(
    render('de', lines[1]!),
    'ionice Leerlauf-Klasse nicht gesetzt (ionice nicht gefunden; Debian/Ubuntu: apt install util-linux); der Lauf geht trotzdem weiter, in diesem Teil mit normaler Priorität.',
  );
  assert.match(render('en', lines[1]!), /^ionice idle class not set \(ionice not found; Debian\/Ubuntu: apt install util-linux\); the run goes on regardless/);
});

test('nothing lowered: no "Low priority" line, only why', () => {
  const lines = priorityMessages({
    lowered: [],
    notLowered: [{ part: 'taskpolicy', reason: { key: 'priority.reason.failed', params: { tool: 'taskpolicy -b', detail: 'Operation not permitted' } } }],
  });
  assert.is(lines.length, 1);
  assert.is(lines[0]!.key, 'priority.notLowered');
  assert.match(render('en', lines[0]!), /taskpolicy -b: Operation not permitted/);
});

test.run();

// The reporter's held lines (infoAfterStart): what a run knows before it starts (the priority it
// runs at) follows its 'started' event, which the tray and --json readers take as the first one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reporter, type StampedEvent } from '../../src/run/events';

const FIXED = () => new Date(Date.UTC(2026, 10, 3, 2, 0, 0));
const kinds = (events: StampedEvent[]) => events.map((e) => (e.type === 'log' ? e.message.key : e.type));

test('held until started, then in the order given; a later call is said at once', () => {
  const events: StampedEvent[] = [];
  const r = new Reporter([(e) => events.push(e)], FIXED);
  r.infoAfterStart('priority.lowered', { used: 'nice' });
  r.infoAfterStart('priority.off');
  assert.equal(events, [], 'nothing before the start');
  r.emit({ type: 'started', id: 'x', backupDir: '/b', components: ['files'], pid: 1 });
  r.infoAfterStart('run.estimate');
  assert.equal(kinds(events), ['started', 'priority.lowered', 'priority.off', 'run.estimate']);
});

test('a run that ends without starting (refused, failed early) still logs the held lines, before its end', () => {
  const events: StampedEvent[] = [];
  const r = new Reporter([(e) => events.push(e)], FIXED);
  r.infoAfterStart('priority.off');
  r.emit({ type: 'finished', summary: { result: 'failed', exitCode: 75, warnings: [] } as never });
  assert.equal(kinds(events), ['priority.off', 'finished']);
});

test.run();

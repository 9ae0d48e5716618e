// The period collector's pure parts: month boundaries, log names, and one run read from its log
// lines — including the logs a killed run leaves (no end, a torn last line). The whole collector
// against real runs is in protocol.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { logStart, monthPeriod, parseLog, runFromLog } from '../../src/report/period';

const test = suite('report period');

const noLookup = {
  component: () => ({ database: 'praxis_tomedo', type: 'postgres', rows: 36 }),
  verification: () => null,
};
const line = (ts: string, e: object) => JSON.stringify({ ts, ...e });

test('monthPeriod: the local calendar month, from its first midnight to the next month\'s', () => {
  const p = monthPeriod('2026-11')!;
  assert.equal([p.from.getFullYear(), p.from.getMonth(), p.from.getDate(), p.from.getHours(), p.from.getMinutes()], [2026, 10, 1, 0, 0]);
  assert.equal([p.to.getFullYear(), p.to.getMonth(), p.to.getDate(), p.to.getHours()], [2026, 11, 1, 0]);
  const dec = monthPeriod('2026-12')!;
  assert.equal([dec.to.getFullYear(), dec.to.getMonth(), dec.to.getDate()], [2027, 0, 1]);
  for (const bad of ['2026-13', '2026-00', '2026-1', '26-11', 'November', '2026-11-01', ' 2026-11', '']) assert.is(monthPeriod(bad), null, bad);
});

test('logStart reads the UTC start time from the name logFileName gives a log', () => {
  assert.equal(logStart('run-2026-11-03T02-15-00Z-4711.jsonl')?.toISOString(), '2026-11-03T02:15:00.000Z');
  assert.equal(logStart('verify-2026-11-16T04-00-00Z-12.jsonl')?.toISOString(), '2026-11-16T04:00:00.000Z');
  assert.is(logStart('status.json'), null);
  assert.is(logStart('run-2026-11-03T02-15-00Z-4711.jsonl.bak'), null);
});

test('a killed run: no end recorded, a torn last line skipped, what it did so far kept', () => {
  const text = [
    line('2026-11-03T02:15:00.000Z', { type: 'program', name: 'praxis-backup', version: '0.1.0', host: 'praxis-server', command: 'run', pid: 10 }),
    line('2026-11-03T02:15:01.000Z', { type: 'started', id: '20261103_031500', backupDir: '/srv/backups', components: ['datenbank'], pid: 10 }),
    line('2026-11-03T02:15:02.000Z', { type: 'log', level: 'info', message: { key: 'run.tool', params: { tool: 'pg_dump', path: '/usr/bin/pg_dump', version: 'pg_dump (PostgreSQL) 16.4' } } }),
    line('2026-11-03T02:15:02.000Z', { type: 'component-started', name: 'datenbank', componentType: 'postgres' }),
    '{"ts":"2026-11-03T02:15:09.000Z","type":"compo',
  ].join('\n');
  const events = parseLog(text);
  assert.is(events.length, 4);
  const r = runFromLog('run-2026-11-03T02-15-00Z-10.jsonl', events, noLookup);
  assert.equal([r.kind, r.result, r.exitCode, r.finishedAt, r.backupId, r.backupDir], ['backup', 'incomplete', null, null, '20261103_031500', '/srv/backups']);
  assert.equal(r.program, { version: '0.1.0', host: 'praxis-server' });
  assert.equal(r.tools, [{ tool: 'pg_dump', path: '/usr/bin/pg_dump', version: 'pg_dump (PostgreSQL) 16.4' }]);
  assert.equal(r.components, [{ name: 'datenbank', type: 'postgres', bytes: null, files: null, sha256: null }]);
});

test('a verify run: the restore test with its tables, and a problem that names the component fails it', () => {
  const base = [
    line('2026-11-16T04:00:00.000Z', { type: 'program', name: 'praxis-backup', version: '0.1.0', host: 'h', command: 'verify', pid: 11 }),
    line('2026-11-16T04:00:01.000Z', { type: 'log', level: 'info', message: { key: 'verify.started', params: { id: '20261116_031500', dest: 'usb', dir: '/x' } } }),
    line('2026-11-16T04:00:02.000Z', { type: 'log', level: 'info', message: { key: 'verify.restoreTest', params: { component: 'datenbank' } } }),
  ];
  const passed = runFromLog(
    'verify-2026-11-16T04-00-00Z-11.jsonl',
    parseLog(
      [
        ...base,
        line('2026-11-16T04:00:05.000Z', { type: 'log', level: 'info', message: { key: 'verify.restoreTestPassed', params: { component: 'datenbank', tables: 2, counted: 2 } } }),
        line('2026-11-16T04:00:06.000Z', { type: 'finished', summary: { result: 'success', exitCode: 0, backupId: '20261116_031500', durationMs: 6000, warnings: [] } }),
      ].join('\n'),
    ),
    noLookup,
  );
  assert.equal(
    passed.restoreTests.map((t) => [t.backupId, t.destination, t.component, t.database, t.tables, t.tablesCompared, t.rows, t.ok]),
    [['20261116_031500', 'usb', 'datenbank', 'praxis_tomedo', 2, 2, 36, true]],
  );
  const differ = { key: 'verify.rowsDiffer', params: { component: 'datenbank', tables: 'public.patient 11 ≠ 12' } };
  const failed = runFromLog(
    'verify-2026-11-16T04-00-00Z-11.jsonl',
    parseLog(
      [
        ...base,
        line('2026-11-16T04:00:05.000Z', { type: 'log', level: 'error', message: differ }),
        line('2026-11-16T04:00:06.000Z', { type: 'finished', summary: { result: 'failed', exitCode: 1, backupId: '20261116_031500', durationMs: 6000, warnings: [], error: { key: 'verify.failed', params: {} } } }),
      ].join('\n'),
    ),
    noLookup,
  );
  assert.equal(failed.restoreTests.map((t) => [t.ok, t.problems]), [[false, [differ]]]);
  assert.equal([failed.result, failed.exitCode, failed.verification?.ok, failed.verification?.destination], ['failed', 1, false, 'usb']);
});

test('a mirror copy: the disk it went to, read back or not, ejected or not', () => {
  const r = runFromLog(
    'run-2026-11-03T02-15-00Z-10.jsonl',
    parseLog(
      [
        line('2026-11-03T02:16:00.000Z', { type: 'mirror-started', name: 'usb', mirrorType: 'volume' }),
        line('2026-11-03T02:17:00.000Z', { type: 'mirror-finished', name: 'usb', result: 'success', copied: ['20261103_031500'], bytesCopied: 4096, ejected: true, verified: true, target: { dir: '/media/PRAXIS/Praxis-Backup', label: 'PRAXIS', uuid: '1234-ABCD' } }),
        line('2026-11-03T02:17:01.000Z', { type: 'finished', summary: { result: 'success', exitCode: 0, backupId: '20261103_031500', durationMs: 61000, warnings: [] } }),
      ].join('\n'),
    ),
    noLookup,
  );
  assert.equal(r.mirrors, [
    { name: 'usb', mirrorType: 'volume', at: '2026-11-03T02:17:00.000Z', result: 'success', copied: ['20261103_031500'], bytesCopied: 4096, verified: true, ejected: true, target: { dir: '/media/PRAXIS/Praxis-Backup', label: 'PRAXIS', uuid: '1234-ABCD' }, message: null },
  ]);
});

test.run();

// lowerOwnPriority for real (Linux), in a process of its own (test/fixtures/priority-child.ts):
// every thread of it at nice 19 and in the idle I/O class, and a child it starts afterwards too;
// without ionice (a locator that finds none) nice 19 still holds, the I/O class stays as it was,
// and the log's second line says why — the run is not stopped. Read from /proc and `ionice -p`.
// macOS: taskpolicy -b -p took (exit 0) and ps shows nice 19 for the process and its child.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { macTest } from '../darwin/needs-macos';

const test = suite('lowering the own priority, for real');
const linux = process.platform === 'linux' ? test : test.skip;
const onMac = macTest(test);
const CHILD = join(import.meta.dirname, '..', 'fixtures', 'priority-child.ts');

/** Field 19 of /proc/<pid>[/task/<tid>]/stat (the fields after the name start at field 3). */
function nice(path: string): number {
  const s = readFileSync(`${path}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19 - 3]);
}
const ionice = async (pid: number) => String((await execa('ionice', ['-p', String(pid)])).stdout).trim();

async function lowered(mode: 'found' | 'missing', inspect: (r: { pid: number; child: number; outcome: any; lines: { de: string[]; en: string[] } }) => Promise<void>) {
  const p = execa(process.execPath, ['--import', 'tsx', CHILD, mode], { stdin: 'pipe', reject: false });
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
    });
    p.once('exit', () => reject(new Error(`child ended without a report: ${buf}`)));
  });
  try {
    await inspect({ pid: p.pid!, ...JSON.parse(first) });
  } finally {
    p.stdin!.end();
    const r = await p;
    assert.is(r.exitCode, 0, String(r.stderr));
  }
}

linux('with ionice: every thread nice 19 and idle, a child started afterwards too; one log line', async () => {
  await lowered('found', async ({ pid, child, outcome, lines }) => {
    assert.equal(outcome, { lowered: ['nice', 'ionice'], notLowered: [] });
    assert.equal(lines.de, ['Niedrige Priorität: nice 19, ionice Leerlauf-Klasse.']);
    const tasks = readdirSync(`/proc/${pid}/task`);
    assert.ok(tasks.length > 1, 'node runs several threads');
    for (const t of tasks) {
      assert.is(nice(`/proc/${pid}/task/${t}`), 19, `thread ${t}`);
      assert.is(await ionice(Number(t)), 'idle', `thread ${t}`);
    }
    assert.is(nice(`/proc/${child}`), 19, 'the child inherits nice');
    assert.is(await ionice(child), 'idle', 'the child inherits the idle class');
  });
});

linux('without ionice: nice 19 all the same, the I/O class unchanged, and the reason in a second info line', async () => {
  const ownIo = await ionice(process.pid);
  await lowered('missing', async ({ pid, child, outcome, lines }) => {
    assert.equal(outcome.lowered, ['nice']);
    assert.equal(outcome.notLowered.map((n: { part: string }) => n.part), ['ionice']);
    assert.equal(lines.de, [
      'Niedrige Priorität: nice 19.',
      'ionice Leerlauf-Klasse nicht gesetzt (ionice nicht gefunden; Debian/Ubuntu: apt install util-linux); der Lauf geht trotzdem weiter, in diesem Teil mit normaler Priorität.',
    ]);
    assert.match(lines.en[1]!, /^ionice idle class not set \(ionice not found; Debian\/Ubuntu: apt install util-linux\)/);
    assert.is(nice(`/proc/${pid}`), 19);
    assert.is(nice(`/proc/${child}`), 19);
    assert.is(await ionice(pid), ownIo, 'I/O class as the parent left it');
    assert.is.not(await ionice(child), 'idle');
  });
});

onMac('macOS: nice 19 and taskpolicy -b (exit 0, so PRIO_DARWIN_BG is set); the child started afterwards at nice 19 too', async () => {
  await lowered('found', async ({ pid, child, outcome, lines }) => {
    assert.equal(outcome, { lowered: ['nice', 'taskpolicy'], notLowered: [] });
    assert.equal(lines.de, ['Niedrige Priorität: nice 19, taskpolicy -b (Hintergrund: CPU, Platte und Netz gedrosselt).']);
    for (const p of [pid, child]) assert.is(String((await execa('ps', ['-o', 'nice=', '-p', String(p)])).stdout).trim(), '19', `ps nice of ${p}`);
  });
});

test.run();

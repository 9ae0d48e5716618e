// The practice keeps working while the backup runs (issue 19): a real `run` through the CLI, caught
// while its mirror's rsync copies — held there by the mirror's own bandwidth cap (limitKiBs: 1,
// rsync --bwlimit=1 on a megabyte: minutes), so the test waits for a state, not a time. From /proc:
// that rsync (a grandchild's worth of forks, all inheriting) has nice 19 and the idle I/O class,
// and so has every thread of the CLI process (its own reading is low too); with
// performance.lowPriority off it runs at the test's own priority. And a capped mirror that still
// finishes. Linux only (tmpfs, /proc); macOS's taskpolicy: test/process/priority-effect.test.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, startCli, type CliEnv } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, registerCleanup, runCleanups, waitUntil } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('low priority of a real run (nice, ionice) and the mirror bandwidth cap');
const ON_LINUX = process.platform === 'linux';

let root: string;
let env: CliEnv;

test.before(async () => {
  root = await makeTempDir('praxis-priority-');
  env = await cliEnv(root, { PRAXIS_BACKUP_NOTIFY: 'none' });
});
test.after(() => runCleanups());

async function practice(name: string, o: { lowPriority: boolean; limitKiBs: number; megabytes: number }) {
  const dir = join(root, name);
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: 4, bytesEach: Math.round((o.megabytes * 1024 * 1024) / 4) });
  const configFile = join(dir, 'config.json');
  // A second file system stands in for the share (the mirror refuses the backup's own disk).
  const mirrorDir = (await mountTmpfs(8)).path;
  await writeFile(
    configFile,
    JSON.stringify({
      backupDir: join(dir, 'backups'),
      components: [{ name: 'files', type: 'folder', path: src }],
      mirrors: [{ name: 'nas', type: 'path', path: mirrorDir, limitKiBs: o.limitKiBs }],
      performance: { lowPriority: o.lowPriority },
    }),
  );
  return { configFile, mirrorDir };
}

/** /proc/<pid>/stat: the fields after the command name (which may hold spaces and parentheses). */
function statFields(pid: number | string, task?: string): string[] | null {
  try {
    const s = readFileSync(task ? `/proc/${pid}/task/${task}/stat` : `/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // ended meanwhile
  }
}
/** Field 19 of stat is nice; the fields after the name start at field 3. */
const niceOf = (f: string[]) => Number(f[19 - 3]);
const ppidOf = (f: string[]) => Number(f[4 - 3]);

/** The running rsync below `ancestor` whose argv holds `--bwlimit=` (the mirror's copy), or null. */
function cappedRsyncBelow(ancestor: number): number | null {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(name);
    if (f) parent.set(Number(name), ppidOf(f));
  }
  for (const pid of parent.keys()) {
    let cmd: string[];
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!cmd[0]?.endsWith('rsync') || !cmd.some((a) => a.startsWith('--bwlimit='))) continue;
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === ancestor) return pid;
  }
  return null;
}

async function ioniceOf(pid: number): Promise<string> {
  return String((await execa('ionice', ['-p', String(pid)])).stdout).trim();
}

/** Starts `run`, waits until the mirror's capped rsync runs, hands it to `inspect`, then cancels the run. */
async function catchMirrorRsync(configFile: string, inspect: (rsync: number, cli: number) => Promise<void>): Promise<string> {
  const child = startCli(['run', '--config', configFile], env.env);
  registerCleanup(() => void (child.exitCode === null && child.kill('SIGKILL')));
  let rsync: number | null = null;
  await waitUntil(async () => (rsync = cappedRsyncBelow(child.pid!)) !== null || child.exitCode !== null, 120_000, 50);
  if (rsync === null) assert.unreachable(`the mirror's rsync was never seen running: ${String((await child).stderr)}`);
  try {
    await inspect(rsync!, child.pid!);
  } finally {
    child.kill('SIGTERM'); // the run cancels cleanly and stops its rsync
  }
  return String((await child).stderr);
}

const linux = ON_LINUX ? test : test.skip;

linux('lowPriority on (the default): the mirror rsync of a real run has nice 19 and the idle I/O class, as has every thread of the CLI; the log says so', async () => {
  const p = await practice('on', { lowPriority: true, limitKiBs: 1, megabytes: 1 });
  const stderr = await catchMirrorRsync(p.configFile, async (rsync, cli) => {
    const f = statFields(rsync);
    assert.ok(f, 'rsync still running');
    assert.is(niceOf(f!), 19, 'rsync nice (/proc stat field 19)');
    assert.is(await ioniceOf(rsync), 'idle');
    assert.match(readFileSync(`/proc/${rsync}/cmdline`, 'utf8'), /\0--bwlimit=1\0/);
    // Every thread of the CLI: libuv's pool does the verification's reading.
    const tasks = readdirSync(`/proc/${cli}/task`);
    assert.ok(tasks.length > 1, 'node runs several threads');
    for (const t of tasks) {
      const tf = statFields(cli, t);
      if (tf) assert.is(niceOf(tf), 19, `CLI thread ${t} nice`);
    }
    assert.is(await ioniceOf(cli), 'idle');
  });
  assert.match(stderr, /Niedrige Priorität: nice 19, ionice Leerlauf-Klasse\./);
});

linux('lowPriority off: the mirror rsync runs at the priority the run was started with, and the log says normal priority', async () => {
  const p = await practice('off', { lowPriority: false, limitKiBs: 1, megabytes: 1 });
  const ownNice = getPriority();
  const ownIo = await ioniceOf(process.pid);
  const stderr = await catchMirrorRsync(p.configFile, async (rsync) => {
    const f = statFields(rsync);
    assert.ok(f, 'rsync still running');
    assert.is(niceOf(f!), ownNice, 'rsync nice as the test process');
    assert.is(await ioniceOf(rsync), ownIo);
    assert.is.not(await ioniceOf(rsync), 'idle');
  });
  assert.match(stderr, /Normale Priorität: performance\.lowPriority ist in der Konfiguration ausgeschaltet\./);
  assert.not.match(stderr, /Niedrige Priorität/);
});

linux('a capped folder mirror still finishes: 256 KiB at 4096 KiB/s, copied, exit 0, the copy on the mirror; mirror and verify say their low priority too', async () => {
  const p = await practice('capped', { lowPriority: true, limitKiBs: 4096, megabytes: 0.25 });
  const r = await runCli(['run', '--config', p.configFile, '--json'], env.env);
  assert.is(r.code, 0, r.stderr);
  // The tray and --json followers read 'started' first; the priority line comes right after it.
  assert.equal(r.events.slice(0, 2).map((e) => e.type === 'log' ? e.message.key : e.type), ['started', 'priority.lowered']);
  const summary = r.events.at(-1)!.summary;
  assert.is(summary.mirrors[0].result, 'success', JSON.stringify(summary.mirrors));
  const id = summary.backupId as string;
  const there = join(p.mirrorDir, id, 'files');
  assert.ok(existsSync(join(p.mirrorDir, id, 'manifest.json')), 'complete on the mirror');
  const files = readdirSync(there, { recursive: true }).filter((n) => String(n).endsWith('.pdf') || String(n).endsWith('.tif') || String(n).endsWith('.dcm'));
  assert.is(files.length, 4);
  // The other two commands the schedule starts lower themselves too (English this time).
  const en = { ...env.env, LANG: 'en_US.UTF-8' };
  for (const args of [['mirror'], ['verify']]) {
    const c = await runCli([...args, '--config', p.configFile], en);
    assert.is(c.code, 0, `${args[0]}: ${c.stderr}`);
    assert.match(c.stderr, /Low priority: nice 19, ionice idle class\./, args[0]);
  }
});

test.run();

// The `rss500k` case of `npm run bench`: a tree of 500 000 small files (bench/tree.ts, profile
// "tiny": 200 B – 2 KB, 660 folders, written with 16 writers in ~1–2 min), backed up by the whole
// `praxis-backup run` — first backup, then no-change nights — with the engine's peak RSS recorded
// for every run, and the no-change nights timed against raw `rsync -aHAXS --link-dest=PREV`.
//
// Goals (issue 19): peak RSS flat — each run ≤ 150 MiB and ≤ 1.2 × the same runs on 10 000 files —
// and the no-change ratio ≤ 1.10 like the 50 000-file case.
//
// Not in the default list: on the 2-core dev VM a first backup of 500 000 files takes minutes, each
// no-change run 1–3 min. What keeps it that short:
// - Nights chain, as they do in a practice: every product run goes into the same backup folder and
//   links against its own previous snapshot; every raw run links against the raw side's previous
//   one (its first against the product's first backup, the same files the product's first night
//   links against). No `cp -al` of 500 000 entries per run, no deletes between runs (deleting makes
//   the next creations on this ext4 slower, see README).
// - No separate warm-up pair: the first backup has just read the whole tree; before every timed run
//   the tree's inodes are warmed (prewarm 'meta'), the runs alternate E R, R E, …
// Disk: ~2 GiB of 4 KiB blocks per full copy (source, first backup) and ~1.1 M inodes (`df -i`).
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { prewarm } from './prewarm';
import { makeTree } from './tree';
import type { DriverResult } from './engine-driver';

interface Run {
  result: DriverResult;
  wallMs: number;
}
type Pairs = { engine: number[]; raw: number[]; runs: Run[]; load: number[] };

/** What run-bench.ts lends this case (its engine runner, raw rsync and method). */
export interface BigTreeContext {
  files: number;
  /** The small tree the flatness is judged against (the rss case's small one). */
  smallFiles: number;
  rounds: number;
  data: string;
  runs: string;
  goals: { nochange: number; rssMaxKiB: number; rssFlat: number };
  log(s: string): void;
  engine(label: string, config: Record<string, unknown>): Promise<Run>;
  /** rsync -aHAXS ARGS: the product's binary at the product's priority; `parent` made first (untimed). */
  rawRsync(args: string[], parent?: string): Promise<number>;
  pairs(name: string, rounds: number, warm: () => Promise<void>, engineOnce: (tag: string) => Promise<{ ms: number; run: Run }>, rawOnce: (tag: string) => Promise<number>, opts: { warmUp?: boolean }): Promise<Pairs>;
  timedCase(id: string, description: string, p: Pairs, goal: number, detail: Record<string, unknown>): unknown;
  phaseDetail(runs: Run[], rsyncPhases: number[]): Record<string, unknown>;
}

const folderConfig = (backupDir: string, path: string) => ({ backupDir, components: [{ name: 'files', type: 'folder', path }] });
const completeId = (r: DriverResult) => r.backupId ?? '';
const rsyncPhase = (r: DriverResult) => r.components[0]?.ms ?? NaN;

export async function bigTreeCase(ctx: BigTreeContext): Promise<{ timed: unknown; rss: Record<string, unknown> }> {
  const { log } = ctx;
  const runFigures = (r: DriverResult) => ({
    maxRssKiB: r.maxRssKiB,
    rssBeforeRunKiB: r.rssBeforeKiB,
    runS: Number((r.runMs / 1000).toFixed(3)),
    rsyncPhaseS: Number((rsyncPhase(r) / 1000).toFixed(3)),
    verifyS: r.verifyMs === undefined ? null : Number((r.verifyMs / 1000).toFixed(3)),
  });

  // The same two runs on the small tree: what "flat" is measured against.
  const small = await makeTree(join(ctx.data, `tiny-${ctx.smallFiles}`), ctx.smallFiles, { profile: 'tiny' });
  const smallDir = join(ctx.runs, `rss500k-small-${ctx.smallFiles}`);
  const smallFirst = (await ctx.engine('rss500k-small-first', folderConfig(smallDir, small.root))).result;
  const smallNext = (await ctx.engine('rss500k-small-nochange', folderConfig(smallDir, small.root))).result;
  const baselineKiB = Math.max(smallFirst.maxRssKiB, smallNext.maxRssKiB);
  log(`rss500k: ${ctx.smallFiles} files: peak RSS first ${smallFirst.maxRssKiB} KiB, no-change ${smallNext.maxRssKiB} KiB`);

  log(`rss500k: preparing ${ctx.files} small files …`);
  const t = performance.now();
  const tree = await makeTree(join(ctx.data, `tiny-${ctx.files}`), ctx.files, {
    profile: 'tiny',
    onProgress: (d, n) => (d % 100_000 === 0 || d === n) && log(`  ${d}/${n} files written`),
  });
  const genS = (performance.now() - t) / 1000;
  log(`  ${tree.reused ? 'reused' : `written in ${genS.toFixed(0)} s`}: ${tree.files} files in ${tree.dirs} folders, ${(tree.bytes / 1024 / 1024).toFixed(0)} MiB`);
  const src = tree.root;

  log('rss500k: first backup by the product (timed, no raw pair) …');
  await prewarm(src, 'content');
  const engineDir = join(ctx.runs, 'rss500k-engine');
  const first = (await ctx.engine('rss500k-first', folderConfig(engineDir, src))).result;
  log(`  ${(first.runMs / 1000).toFixed(1)} s (rsync phase ${(rsyncPhase(first) / 1000).toFixed(1)} s, check ${((first.verifyMs ?? NaN) / 1000).toFixed(1)} s), peak RSS ${first.maxRssKiB} KiB`);

  // The raw chain starts at the product's first backup: the files both sides' first night links against.
  let rawPrev = join(engineDir, completeId(first), 'files');
  const rawDir = join(ctx.runs, 'rss500k-raw');
  let rawN = 0;
  const phases: number[] = [];
  const engineNoChange = async (tag: string) => {
    const run = await ctx.engine(`rss500k-nochange-${tag}`, folderConfig(engineDir, src));
    phases.push(rsyncPhase(run.result));
    return { ms: run.result.runMs, run };
  };
  const rawNoChange = async () => {
    const id = `2000-01-${String(++rawN).padStart(2, '0')}`;
    const partial = join(rawDir, `${id}.partial`);
    const ms = await ctx.rawRsync([`--link-dest=${rawPrev}`, `${src}/`, `${join(partial, 'files')}/`], partial);
    // As the product does after its copy (untimed here: it is a rename).
    await rename(partial, join(rawDir, id));
    rawPrev = join(rawDir, id, 'files');
    return ms;
  };
  const warm = async () => void (await prewarm(src, 'meta'));
  const p = await ctx.pairs(`rss500k no-change`, ctx.rounds, warm, engineNoChange, rawNoChange, { warmUp: false });

  const peaks = [first.maxRssKiB, ...p.runs.map((r) => r.result.maxRssKiB)];
  const maxKiB = Math.max(...peaks);
  const growth = maxKiB / baselineKiB;
  const timed = ctx.timedCase(
    'rss500k no-change',
    `${tree.files} small files, unchanged: praxis-backup run (its check included) vs rsync -aHAXS --link-dest=PREV SRC/ NEW/ (chained nights)`,
    p,
    ctx.goals.nochange,
    { ...ctx.phaseDetail(p.runs, phases), engineMaxRssKiB: p.runs.map((r) => r.result.maxRssKiB) },
  );
  const rss = {
    files: tree.files,
    treeWrittenS: tree.reused ? null : Number(genS.toFixed(1)),
    small: { files: ctx.smallFiles, first: runFigures(smallFirst), nochange: runFigures(smallNext) },
    first: runFigures(first),
    nochange: p.runs.map((r) => runFigures(r.result)),
    maxRssKiB: maxKiB,
    growth: Number(growth.toFixed(3)),
    goal: `every run ≤ ${ctx.goals.rssMaxKiB} KiB (150 MiB) and ≤ ${ctx.goals.rssFlat} × the ${ctx.smallFiles}-file runs' peak (${baselineKiB} KiB)`,
    pass: maxKiB <= ctx.goals.rssMaxKiB && growth <= ctx.goals.rssFlat,
  };
  return { timed, rss };
}

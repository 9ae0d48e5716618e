// The off-site copy in the benchmark (`--cases offsite-first,offsite-nochange`, or `offsite` for
// both): the mirror step of a `type: "restic"` mirror against raw `restic backup` of the same
// backup folder, in the same run, on the same disk.
//
//   offsite-first     a backup folder of the 50 000-file tree into an empty repository     goal ≤ 1.10
//   offsite-nochange  the next backup folder of the same, unchanged files (hard-linked by the
//                     engine's --link-dest), into a repository that holds the previous one  goal ≤ 1.10
//
// Product side: bench/mirror-driver.ts, runMirrors() on a config with one restic mirror at a local
// repository — unlock, tidy, list, `restic backup` and the read-back of the manifest, all timed.
// Raw side: the restic command a careful admin would type for the same folder:
//   first:    restic backup --json .                                         (from inside the folder)
//   nochange: restic backup --json --parent <previous snapshot> --ignore-ctime .
// A plain `restic backup` of a new path without --parent finds no parent (restic looks for one by
// host and *path*, and every backup folder has a new path): it would read and hash all 330 MiB
// again, which is not what the product does and not what an admin would measure it against. The
// product passes the same --parent and --ignore-ctime (hard links change ctime).
// Both sides: the same restic, the same password (RESTIC_PASSWORD), the same cache folder
// (RESTIC_CACHE_DIR beside the runs), --json with RESTIC_PROGRESS_FPS=1 (the product's output
// settings: without them restic --json prints 60 status lines a second, a cost of output format,
// not of the copy).
//
// Repositories: "first" gets a fresh `restic init` for every run (untimed), on both sides.
// "no-change" gets, for every run, a hard-linked copy (cp -al, untimed) of one seed repository that
// holds the previous backup as the product sent it (its tags, host and time): restic never changes
// a file of a repository, it only adds and removes, so the copies stay independent.
import { execa } from 'execa';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DriverResult } from './engine-driver';
import type { MirrorDriverResult } from './mirror-driver';
import { prewarm } from './prewarm';
import type { TreeInfo } from './tree';

export const OFFSITE_CASES = ['offsite-first', 'offsite-nochange'];
export const OFFSITE_GOAL = 1.1;
/** The mirror's name in the product's config. */
const NAME = 'offsite';
/** A fixed password for the bench's throw-away repositories (never a real one). */
const PASSWORD = 'bench-offsite-not-a-secret';

interface Run {
  result: DriverResult;
  wallMs: number;
}
type Pairs = { engine: number[]; raw: number[]; runs: Run[]; load: number[] };

/** What run-bench.ts lends this case: its runs folder, its engine runner (any driver) and its method. */
export interface OffsiteContext {
  rounds: number;
  runs: string;
  tree: TreeInfo;
  cases: Set<string>;
  log(s: string): void;
  flush(): Promise<void>;
  engine(label: string, config: Record<string, unknown>, env?: Record<string, string>, driver?: string[]): Promise<Run>;
  /** The mirror driver's argv after `node` (the bundle, or tsx and the source). */
  mirrorDriver: string[];
  pairs(name: string, rounds: number, warm: () => Promise<void>, engineOnce: (tag: string) => Promise<{ ms: number; run: Run }>, rawOnce: (tag: string) => Promise<number>): Promise<Pairs>;
  timedCase(id: string, description: string, p: Pairs, goal: number, detail: Record<string, unknown>): unknown;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const s3 = (ms: number) => Number((ms / 1000).toFixed(3));

/** A restic child of the product's run, named by its subcommand: "backup", "snapshots", "list locks", … ("?": gone before its argv was read). */
function childLabel(args: string[]): string {
  const sub = args.find((a) => !a.startsWith('-')) ?? '?';
  if (sub === 'cat' || sub === 'list') return `${sub} ${args[args.indexOf(sub) + 1] ?? ''}`;
  return sub;
}

/** Per restic subcommand: how many calls and their summed time in one run. */
function breakdown(r: MirrorDriverResult): Record<string, { calls: number; ms: number }> {
  const out: Record<string, { calls: number; ms: number }> = {};
  for (const c of r.children) {
    const k = c.program === 'restic' ? childLabel(c.args) : c.program;
    const e = (out[k] ??= { calls: 0, ms: 0 });
    e.calls++;
    e.ms += c.endMs - c.startMs;
  }
  return out;
}

export async function offsiteCases(ctx: OffsiteContext): Promise<unknown[]> {
  const results: unknown[] = [];
  const restic = (await execa('sh', ['-c', 'command -v restic'])).stdout.trim();
  const resticVersion = (await execa(restic, ['version'])).stdout.trim();
  ctx.log(`raw restic: ${restic} (${resticVersion})`);
  const base = join(ctx.runs, 'offsite');
  // With the runs, so it goes at the end like them (every fresh repository gets a cache of its own).
  const cache = join(base, 'restic-cache');
  await mkdir(base, { recursive: true });
  const env = { RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: cache };
  const resticEnv = (repo: string) => ({ ...env, RESTIC_REPOSITORY: repo, RESTIC_PROGRESS_FPS: '1' });
  const init = (repo: string) => execa(restic, ['init'], { env: resticEnv(repo), stdin: 'ignore' });

  // The backup folders, made by the product from the tree: a first backup and the next one of the
  // unchanged tree (the engine hard-links it with rsync --link-dest).
  ctx.log('off-site: making two backups of the tree with the engine (untimed) …');
  const local = join(base, 'backups');
  const folderConfig = { backupDir: local, components: [{ name: 'files', type: 'folder', path: ctx.tree.root }] };
  await ctx.engine('offsite-backup-1', folderConfig);
  await ctx.engine('offsite-backup-2', folderConfig);
  const [first, second] = (await readdir(local)).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort();
  if (!first || !second) throw new Error(`off-site: expected two backups in ${local}`);
  const folderA = join(local, first);
  const folderB = join(local, second);
  // "first" mirrors a backup dir that holds only the first backup (hard links: the same inodes).
  const onlyFirst = join(base, 'backups-first');
  await mkdir(onlyFirst, { recursive: true });
  await execa('cp', ['-al', folderA, join(onlyFirst, first)]);

  const productConfig = (backupDir: string, repo: string) => ({
    backupDir,
    components: [{ name: 'files', type: 'folder', path: ctx.tree.root }],
    mirrors: [{ name: NAME, type: 'restic', repository: repo }],
  });
  const driverEnv = { ...env, PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none' };
  const product = async (label: string, backupDir: string, repo: string) => {
    const run = await ctx.engine(label, productConfig(backupDir, repo), driverEnv, ctx.mirrorDriver);
    const m = (run.result as MirrorDriverResult).mirror;
    if (m.result !== 'success' || m.verified !== true) throw new Error(`off-site ${label}: ${m.result}, verified ${m.verified}: ${JSON.stringify(m.message)}`);
    return run;
  };
  const raw = async (repo: string, cwd: string, args: string[]) => {
    await ctx.flush();
    const start = performance.now();
    const r = await execa(restic, ['backup', '--json', ...args, '.'], { cwd, env: resticEnv(repo), stdin: 'ignore' });
    const ms = performance.now() - start;
    const summary = r.stdout.split('\n').map((l) => (l.includes('"summary"') ? (JSON.parse(l) as { data_added: number; snapshot_id: string }) : null)).find(Boolean);
    if (!summary) throw new Error(`raw restic backup printed no summary in ${cwd}`);
    return { ms, added: summary.data_added, snapshot: summary.snapshot_id };
  };

  const detailOf = (p: Pairs, added: { product: number[]; raw: number[] }) => {
    const runs = p.runs.map((r) => r.result as MirrorDriverResult);
    const phase = runs.map((r) => breakdown(r).backup?.ms ?? NaN);
    const kinds = new Set(runs.flatMap((r) => Object.keys(breakdown(r))));
    const perCommand: Record<string, { calls: number; medianMs: number }> = {};
    for (const k of kinds) {
      const b = runs.map((r) => breakdown(r)[k] ?? { calls: 0, ms: 0 });
      perCommand[k] = { calls: median(b.map((x) => x.calls)), medianMs: Math.round(median(b.map((x) => x.ms))) };
    }
    return {
      resticBackupPhaseMedianS: s3(median(phase)),
      outsideResticBackupMedianS: s3(median(p.engine.map((ms, i) => ms - phase[i]!))),
      resticCommands: perCommand,
      bytesAdded: added,
      restic: `${restic} (${resticVersion})`,
    };
  };

  if (ctx.cases.has('offsite-first')) {
    const added = { product: [] as number[], raw: [] as number[] };
    const productFirst = async (tag: string) => {
      const repo = join(base, `first-product-${tag}`);
      await init(repo);
      const run = await product(`offsite-first-product-${tag}`, onlyFirst, repo);
      if (tag !== 'warm') added.product.push((run.result as MirrorDriverResult).mirror.bytesCopied);
      return { ms: run.result.runMs, run };
    };
    const rawFirst = async (tag: string) => {
      const repo = join(base, `first-raw-${tag}`);
      await init(repo);
      const r = await raw(repo, folderA, []);
      if (tag !== 'warm') added.raw.push(r.added);
      return r.ms;
    };
    const warm = async () => void (await prewarm(folderA, 'content'));
    const p = await ctx.pairs('off-site first', ctx.rounds, warm, productFirst, rawFirst);
    results.push(
      ctx.timedCase('offsite-first', `backup folder of ${ctx.tree.files} files into an empty restic repository: product mirror step vs restic backup --json .`, p, OFFSITE_GOAL, detailOf(p, added)),
    );
  }

  if (ctx.cases.has('offsite-nochange')) {
    // The seed: the first backup as the product sent it, in the backup dir the no-change runs use
    // (its manifest is then in the product's cache there, as after any earlier night's run).
    ctx.log('off-site no-change: the seed repository with the first backup (untimed) …');
    const seed = join(base, 'seed');
    const seedDir = join(base, 'backups-seed');
    await mkdir(seedDir, { recursive: true });
    await execa('cp', ['-al', folderA, join(seedDir, first)]);
    await init(seed);
    const seeded = await product('offsite-seed', seedDir, seed);
    const parent = (seeded.result as MirrorDriverResult).mirror.snapshot;
    if (!parent) throw new Error('off-site: the seed run reported no snapshot');
    await execa('cp', ['-a', join(seedDir, '.restic-cache'), join(local, '.restic-cache')]);
    const added = { product: [] as number[], raw: [] as number[] };
    const productNoChange = async (tag: string) => {
      const repo = join(base, `nochange-product-${tag}`);
      await execa('cp', ['-al', seed, repo]);
      const run = await product(`offsite-nochange-product-${tag}`, local, repo);
      const m = (run.result as MirrorDriverResult).mirror;
      if (m.copied.join() !== second) throw new Error(`off-site no-change: the product sent ${m.copied.join(', ') || 'nothing'}, not ${second}`);
      if (tag !== 'warm') added.product.push(m.bytesCopied);
      return { ms: run.result.runMs, run };
    };
    const rawNoChange = async (tag: string) => {
      const repo = join(base, `nochange-raw-${tag}`);
      await execa('cp', ['-al', seed, repo]);
      const r = await raw(repo, folderB, ['--parent', parent, '--ignore-ctime']);
      if (tag !== 'warm') added.raw.push(r.added);
      return r.ms;
    };
    // Only metadata of the folder is read (unchanged files are skipped by the parent); the parent's
    // trees come from the repository and restic's cache.
    const warm = async () => {
      await prewarm(folderB, 'meta');
      await prewarm(seed, 'content');
      if (await stat(cache).catch(() => null)) await prewarm(cache, 'content');
    };
    const p = await ctx.pairs('off-site no-change', ctx.rounds, warm, productNoChange, rawNoChange);
    results.push(
      ctx.timedCase(
        'offsite-nochange',
        `next backup folder of the unchanged ${ctx.tree.files} files: product mirror step vs restic backup --json --parent PREV --ignore-ctime .`,
        p,
        OFFSITE_GOAL,
        detailOf(p, added),
      ),
    );
  }
  return results;
}

/** Extra lines for the table: where the product's time went, and the bytes each side added. */
export function offsiteNotes(detail: Record<string, unknown>): string[] {
  const cmds = detail.resticCommands as Record<string, { calls: number; medianMs: number }> | undefined;
  const added = detail.bytesAdded as { product: number[]; raw: number[] } | undefined;
  if (!cmds || !added) return [];
  const kib = (xs: number[]) => xs.map((b) => (b / 1024).toFixed(1)).join(' / ');
  return [
    `    product's children (median per run): ${Object.entries(cmds).filter(([, v]) => v.calls > 0).map(([k, v]) => `${k} ×${v.calls} ${(v.medianMs / 1000).toFixed(2)} s`).join(', ')}`,
    `    bytes added (data_added, KiB): product ${kib(added.product)}; raw ${kib(added.raw)}`,
  ];
}

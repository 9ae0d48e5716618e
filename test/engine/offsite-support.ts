// What the off-site (restic) engine tests share: a practice with a folder component and one restic
// mirror, local backups on an injected clock (each a night later), runMirrors with a MapStore
// keyring, and a `resticPath` wrapper that records every argv the product gives restic before
// exec'ing the real one (exec: the recorded process IS restic, same pid, same environment).
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runBackup } from '../../src/backup/backup-run';
import { validateConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import type { Shares } from '../../src/core/shares';
import type { Volumes } from '../../src/core/volumes';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { runMirrors, type MirrorDeps, type MirrorResult } from '../../src/mirror/mirror-run';
import { SilentNotifier } from '../../src/notify/notifier';
import { ToolLocator } from '../../src/process/tool-locator';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { StatusStore } from '../../src/run/status-store';
import { MapStore } from '../helpers/map-store';
import { createSampleFiles } from '../helpers/sample-practice';
import { descendants } from '../helpers/process-tree';

const refuse = (what: string) => () => Promise.reject(new Error(`${what} used by a restic mirror`));
const noVolumes: Volumes = { kind: 'none', list: refuse('volumes'), find: refuse('volumes'), mount: refuse('volumes'), unmount: refuse('volumes'), eject: refuse('volumes') };
const noShares: Shares = { mount: refuse('shares'), unmount: refuse('shares') };

export const tools = new ToolLocator('linux', process.env);
export const PASS = 'kbdre-mn7qx-4tzpa-wv98k-3hcsx-qq6ne';
export const MIRROR = 'aussenstelle';
export const REAL_RESTIC = execFileSync('sh', ['-c', 'command -v restic'], { encoding: 'utf8' }).trim();

/** restic run by the test itself (not the product), with the repository and password in its environment. */
export function restic(repo: string, args: string[], extraEnv: Record<string, string> = {}): string {
  return execFileSync(REAL_RESTIC, args, { env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASS, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The same, not throwing: exit code and output (for commands that are expected to fail). */
export function resticTry(repo: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(REAL_RESTIC, args, { env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASS }, encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

export interface Snap { id: string; short_id: string; tags: string[]; time: string }

export const snapshots = (repo: string): Snap[] => JSON.parse(restic(repo, ['snapshots', '--json', '--no-lock'])) ?? [];
/** The backup ids of our snapshots (tagged praxis-backup), oldest first. */
export const snapshotIds = (repo: string): string[] => snapshots(repo).filter((s) => s.tags?.includes('praxis-backup')).map((s) => s.tags.find((t) => /^\d{8}_\d{6}$/.test(t))!).sort();

/** Bytes in a repository folder's data/ (packs land there, also half-uploaded ones). */
export function dataBytes(repoDir: string): number {
  let n = 0;
  for (const e of readdirSync(join(repoDir, 'data'), { recursive: true, withFileTypes: true })) if (e.isFile()) n += statSync(join(e.parentPath ?? e.path, e.name)).size;
  return n;
}

/** A `restic` in its own folder that appends its argv (one line per call) to `argv.log` and execs the real restic. */
export function recordingRestic(dir: string): { path: string; calls(): string[][] } {
  const path = join(dir, 'restic');
  const log = join(dir, 'argv.log');
  writeFileSync(path, `#!/bin/sh\nfor a in "$@"; do printf '%s\\037' "$a"; done >> '${log}'\necho >> '${log}'\nexec '${REAL_RESTIC}' "$@"\n`);
  chmodSync(path, 0o755);
  return {
    path,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\x1f').slice(0, -1)) : []),
  };
}

export interface Practice {
  dir: string;
  src: string;
  config: Config;
  status: StatusStore;
  state: string;
  backups: string;
}

/** A practice folder of `files` files and one restic mirror named aussenstelle (the mirror's fields as given). */
export async function practice(root: string, name: string, mirror: Record<string, unknown>, o: { files?: number; bytesEach?: number; keep?: number; moreMirrors?: Record<string, unknown>[] } = {}): Promise<Practice> {
  const dir = join(root, name);
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: o.files ?? 40, bytesEach: o.bytesEach ?? 20_000 });
  const backups = join(dir, 'backups');
  const config = validateConfig(
    { backupDir: backups, components: [{ name: 'files', type: 'folder', path: src }], retention: { keep: o.keep ?? 5 }, mirrors: [{ name: MIRROR, type: 'restic', ...mirror }, ...(o.moreMirrors ?? [])] },
    'test',
  );
  const state = join(dir, 'state');
  await mkdir(state, { recursive: true });
  return { dir, src, config, status: new StatusStore(state), state, backups };
}

export function collect(): { reporter: Reporter; events: StampedEvent[] } {
  const events: StampedEvent[] = [];
  return { reporter: new Reporter([(e) => events.push(e)]), events };
}

/** The keyring: the repository's password, plus any backend secrets given. */
export function keyring(extra: Record<string, string> = {}, password: string | null = PASS): MapStore {
  return new MapStore(new Map([...(password === null ? [] : [[`encryption://${MIRROR}`, password] as [string, string]]), ...Object.entries(extra)]));
}

/** An injected clock: each backup a night later (ids are the time to the second); mirrors run an hour after the last backup. */
export class Nights {
  constructor(public at = Date.UTC(2026, 10, 2, 2, 0, 0)) {}
  next(days = 1): Date {
    this.at += days * 86_400_000;
    return new Date(this.at);
  }
  mirrorTime(): Date {
    return new Date(this.at + 3600_000);
  }
}

export async function backup(p: Practice, nights: Nights): Promise<string> {
  const at = nights.next();
  const s = await runBackup({ ...p.config, mirrors: [] }, { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), status: p.status, toolVersion: 'test', now: () => at }, collect().reporter, new AbortController().signal);
  assert.is(s.exitCode, 0, JSON.stringify(s.error));
  return s.backupId!;
}

export function mirrorDeps(p: Practice, secrets: MapStore, now: () => Date): MirrorDeps {
  return { volumes: noVolumes, shares: noShares, secrets, tools, status: p.status, notifier: new SilentNotifier(), smbMountBase: join(p.state, 'smb'), lang: 'en', now };
}

/** runMirrors once; its results and every event. */
export async function mirrorRun(p: Practice, secrets: MapStore, nights: Nights, signal = new AbortController().signal): Promise<{ results: MirrorResult[]; events: StampedEvent[] }> {
  const c = collect();
  const results = await runMirrors(p.config, mirrorDeps(p, secrets, () => nights.mirrorTime()), c.reporter, signal);
  return { results, events: c.events };
}

export const logKeys = (events: StampedEvent[]): string[] => events.flatMap((e) => (e.type === 'log' || e.type === 'warning' ? [e.message.key] : []));

/**
 * Samples /proc/<pid>/cmdline and environ of every descendant, as often as the event loop allows,
 * until stop(): where a needle (a secret) was seen — any argv, or the environment of anything but
 * restic itself (the one process that must have the repository's password).
 */
export function sampleChildren(needles: string[], skip: number[] = []): { stop(): Promise<{ leaks: string[]; seen: Map<number, string> }> } {
  const leaks = new Set<string>();
  const seen = new Map<number, string>();
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      for (const pid of descendants(process.pid)) {
        if (skip.includes(pid)) continue;
        let argv: string;
        let environ: string;
        try {
          argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        } catch {
          continue; // gone meanwhile
        }
        const program = argv.split('\0')[0]!;
        if (!program) continue; // a zombie or a process between fork and exec
        seen.set(pid, program);
        for (const n of needles) {
          if (argv.includes(n)) leaks.add(`argv of ${pid} (${program})`);
          if (environ.includes(n) && !/(^|\/)restic$/.test(program)) leaks.add(`environment of ${pid} (${program})`);
        }
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return { leaks: [...leaks], seen };
    },
  };
}

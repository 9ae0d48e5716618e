// The mirror engine with a `type: restic` destination, against a real restic (Debian's 0.14) and a
// local repository: each complete backup becomes one snapshot tagged with its id, a second backup
// of unchanged files adds next to nothing, the copy is read back (its manifest from the
// repository), the status records the snapshot, and an append-only destination never removes.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import type { Volumes } from '../../src/core/volumes';
import type { Shares } from '../../src/core/shares';
import { SilentNotifier } from '../../src/notify/notifier';
import { runBackup } from '../../src/backup/backup-run';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { runMirrors, type MirrorDeps } from '../../src/mirror/mirror-run';
import { StatusStore } from '../../src/run/status-store';
import { ToolLocator } from '../../src/process/tool-locator';
import { MapStore } from '../helpers/map-store';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('mirrors onto a restic repository');

const refuse = (what: string) => () => Promise.reject(new Error(`${what} used by a restic mirror`));
const noVolumes: Volumes = { kind: 'none', list: refuse('volumes'), find: refuse('volumes'), mount: refuse('volumes'), unmount: refuse('volumes'), eject: refuse('volumes') };
const noShares: Shares = { mount: refuse('shares'), unmount: refuse('shares') };

let root: string;
const tools = new ToolLocator('linux', process.env);
const PASS = 'kbdre-mn7qx-4tzpa-wv98k-3hcsx-qq6ne';

function resticEnv(repo: string): NodeJS.ProcessEnv {
  return { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASS };
}
const restic = (repo: string, args: string[]) => execFileSync('restic', args, { env: resticEnv(repo), encoding: 'utf8' });

async function practice(name: string, mirror: Record<string, unknown>) {
  const dir = join(root, name);
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: 40, bytesEach: 20_000 });
  const repo = join(dir, 'repo');
  restic(repo, ['init']);
  const config = validateConfig({ backupDir: join(dir, 'backups'), components: [{ name: 'files', type: 'folder', path: src }], retention: { keep: 5 }, mirrors: [{ name: 'aussenstelle', type: 'restic', repository: repo, ...mirror }] }, 'test');
  const status = new StatusStore(join(dir, 'state'));
  return { dir, src, repo, config, status };
}

function deps(status: StatusStore, secrets = new MapStore(new Map([['encryption://aussenstelle', PASS]]))): MirrorDeps {
  return { volumes: noVolumes, shares: noShares, secrets, tools, status, notifier: new SilentNotifier(), smbMountBase: join(root, 'state', 'smb'), lang: 'de', now: () => new Date(night + 3600_000) };
}

function collect(): { reporter: Reporter; events: StampedEvent[] } {
  const events: StampedEvent[] = [];
  return { reporter: new Reporter([(e) => events.push(e)]), events };
}

// An injected clock: each backup a night later (ids are the time to the second).
let night = Date.UTC(2026, 10, 2, 2, 0, 0);
async function backup(config: Config, status: StatusStore): Promise<string> {
  const at = new Date((night += 86_400_000));
  const s = await runBackup({ ...config, mirrors: [] }, { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), status, toolVersion: 'test', now: () => at }, collect().reporter, new AbortController().signal);
  assert.is(s.exitCode, 0, JSON.stringify(s.error));
  return s.backupId!;
}

interface Snap { id: string; tags: string[]; paths: string[] }
const snapshots = (repo: string): Snap[] => JSON.parse(restic(repo, ['snapshots', '--json'])) ?? [];

test.before(async () => {
  root = await makeTempDir('praxis-restic-');
});
test.after(() => runCleanups());

test('each complete backup becomes one tagged snapshot; unchanged files add next to nothing; status records the snapshot', async () => {
  const p = await practice('erst', {});
  const first = await backup(p.config, p.status);
  const c1 = collect();
  const [r1] = await runMirrors(p.config, deps(p.status), c1.reporter, new AbortController().signal);
  assert.is(r1!.result, 'success', JSON.stringify(r1!.message));
  assert.equal(r1!.copied, [first]);
  assert.ok(r1!.bytesCopied > 40 * 20_000 * 0.5, `first upload ${r1!.bytesCopied} bytes`);
  assert.ok(r1!.verification?.ok, JSON.stringify(r1!.verification));
  let snaps = snapshots(p.repo);
  assert.is(snaps.length, 1);
  assert.ok(snaps[0]!.tags.includes('praxis-backup') && snaps[0]!.tags.includes(first), JSON.stringify(snaps[0]));
  // The snapshot's tree is the backup folder itself: its manifest at the top.
  const manifest = JSON.parse(restic(p.repo, ['dump', 'latest', '/manifest.json']));
  assert.is(manifest.id, first);

  // A second backup of the same files: a new folder (hard links), a new snapshot, almost no new data.
  const second = await backup(p.config, p.status);
  const c2 = collect();
  const [r2] = await runMirrors(p.config, deps(p.status), c2.reporter, new AbortController().signal);
  assert.is(r2!.result, 'success', JSON.stringify(r2!.message));
  assert.equal(r2!.copied, [second]);
  assert.ok(r2!.bytesCopied < 40_000, `an unchanged backup added ${r2!.bytesCopied} bytes`);
  snaps = snapshots(p.repo);
  assert.is(snaps.length, 2);
  const st = await p.status.read();
  assert.is(st.destinations.aussenstelle?.lastSuccess?.backupId, second);
  assert.ok(st.destinations.aussenstelle?.lastSuccess?.snapshot, JSON.stringify(st.destinations.aussenstelle));
  assert.ok(c2.events.some((e) => e.type === 'log' && e.message.key === 'offsite.keepsAll'), 'an append-only destination says it keeps everything');

  // A third run with nothing new sends nothing.
  const [r3] = await runMirrors(p.config, deps(p.status), collect().reporter, new AbortController().signal);
  assert.equal(r3!.copied, []);
  assert.is(snapshots(p.repo).length, 2);
});

test('wrong password: the mirror fails with a message that says so, nothing is sent', async () => {
  const p = await practice('falsch', {});
  await backup(p.config, p.status);
  const [r] = await runMirrors(p.config, deps(p.status, new MapStore(new Map([['encryption://aussenstelle', 'nicht-das-passwort']]))), collect().reporter, new AbortController().signal);
  assert.is(r!.result, 'failed');
  assert.is(r!.message?.key, 'offsite.wrongPassword');
  assert.is(snapshots(p.repo).length, 0);
});

test('no repository there yet: says to run offsite init', async () => {
  const p = await practice('leer', { repository: join(root, 'nirgends') });
  await backup(p.config, p.status);
  const [r] = await runMirrors(p.config, deps(p.status), collect().reporter, new AbortController().signal);
  assert.is(r!.result, 'failed');
  assert.is(r!.message?.key, 'offsite.noRepository', JSON.stringify(r!.message));
  assert.not.ok(existsSync(join(root, 'nirgends', 'config')));
});

test.run();

// An off-site restic repository as a Destination (contract.ts): each complete local backup becomes
// one restic snapshot, tagged `praxis-backup` and its backup id, taken from inside the backup's
// folder (so every snapshot's tree is the backup folder itself, whatever its id) with the previous
// snapshot of ours as explicit parent — unchanged files are then neither read nor sent again.
//
// A snapshot is restic's own commit: it exists only once all its data is in the repository, so an
// interrupted upload leaves no snapshot (only unreferenced packs, which the next upload reuses).
// That is the contract's "complete only once all of it is there" without a .partial of ours.
//
// The server may refuse deletions (append-only, the point of this destination): then we never ask
// it to delete anything (keepsAll), and a refusal we did not expect is a warning, not a failure.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readCatalog, BACKUP_ID, type BackupEntry, type Catalog } from '../../backup-directory/catalog';
import { MANIFEST_FILE, parseManifest, type Manifest } from '../../backup-directory/manifest';
import type { DiskSpace } from '../../backup-directory/space-check';
import { removeTree } from '../../backup-directory/tree-walk';
import type { VerificationRecord } from '../../backup-directory/verification';
import { ExitCode, PraxisError } from '../../core/errors';
import type { SecretStore } from '../../core/secret-store';
import { byteCount, type Message } from '../../i18n';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import type { ToolInfo, ToolLocator } from '../../process/tool-locator';
import type { Reporter } from '../../run/events';
import { isAlive } from '../../run/lock';
import type { Destination, FetchOptions, PutOptions, RepositoryCheck, TargetInfo, VerifyCopyOptions } from '../contract';
import { cryptContext, type AccessOptions } from '../mirror-passphrase';
import {
  backendCredentialId,
  checkResticVersion,
  classifyFailure,
  networkEndpoint,
  parseSftp,
  sshProbePlan,
  REST_PASSWORD,
  resticPlan,
  resticTime,
  resticTool,
  SNAPSHOT_TAG,
  stateFile,
  type ResticAccess,
  type ResticMirror,
} from './restic-command';

export interface ResticDeps {
  tools: ToolLocator;
  secrets: SecretStore;
  askPassphrase?(name: string): Promise<string | null>;
  /** Our own known_hosts file for SFTP repositories. */
  knownHosts: string;
  /** How long the reachability check waits for a TCP connection (default 15 s). */
  connectTimeoutMs?: number;
}

/** One of our snapshots, as `restic snapshots --json` lists it. */
export interface Snapshot {
  id: string;
  short_id?: string;
  time: string;
  hostname: string;
  tags?: string[];
}

/** The backup id a snapshot of ours carries; null for snapshots that are not ours or carry no id. */
export function snapshotBackupId(s: Snapshot): string | null {
  if (!s.tags?.includes(SNAPSHOT_TAG)) return null;
  return s.tags.find((t) => BACKUP_ID.test(t)) ?? null;
}

/** Per backup id the newest snapshot (the same backup sent twice: its later copy wins), newest id first. */
export function ourSnapshots(all: Snapshot[]): { id: string; snapshot: Snapshot }[] {
  const byId = new Map<string, Snapshot>();
  for (const s of all) {
    const id = snapshotBackupId(s);
    if (!id) continue;
    const before = byId.get(id);
    if (!before || before.time < s.time) byId.set(id, s);
  }
  return [...byId].map(([id, snapshot]) => ({ id, snapshot })).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** restic backup's summary line (--json). */
export interface BackupSummary {
  snapshot_id: string;
  data_added: number;
  files_new: number;
  files_changed: number;
  files_unmodified: number;
  total_files_processed: number;
  total_bytes_processed: number;
}

/** A status line of restic backup --json as the run's progress numbers. */
export function parseBackupStatus(line: string): { percent: number; bytes?: number; files?: number; totalFiles?: number; secondsLeft?: number } | null {
  if (!line.startsWith('{')) return null;
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    if (j.message_type !== 'status') return null;
    const num = (k: string) => (typeof j[k] === 'number' ? (j[k] as number) : undefined);
    return {
      percent: Math.min(100, Math.round((num('percent_done') ?? 0) * 100)),
      bytes: num('bytes_done'),
      files: num('files_done'),
      totalFiles: num('total_files'),
      secondsLeft: num('seconds_remaining'),
    };
  } catch {
    return null;
  }
}

export function parseBackupSummary(lines: readonly string[]): BackupSummary | null {
  for (const line of [...lines].reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as BackupSummary & { message_type?: string };
      if (j.message_type === 'summary' && typeof j.snapshot_id === 'string') return j;
    } catch {
      /* a partial line */
    }
  }
  return null;
}

/** verify --target's slice of the repository's data: day N of `days` reads part N (1-based), so all of it in `days` days. */
export function dataSlice(now: Date, days: number): string {
  const day = Math.floor(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / 86_400_000);
  return `${(day % days) + 1}/${days}`;
}

interface RepoState {
  lastPrune?: string;
}

async function tcpReachable(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (err: string | null) => {
      s.destroy();
      resolve(err);
    };
    s.setTimeout(timeoutMs, () => done('timeout'));
    s.once('connect', () => done(null));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

export class ResticDestination implements Destination {
  readonly warnings: Message[] = [];
  readonly where: TargetInfo;
  /** append-only: nothing is ever removed there by us (retention is the storage side's job). */
  readonly keepsAll: boolean;
  private access: ResticAccess | null = null;
  private manifests = new Map<string, Manifest>();
  /**
   * Our snapshots as listed once by this run (unlock lists them) and kept current by put and
   * remove. Every restic command opens the repository anew — a key derivation (scrypt) of about
   * half a second — so a night's copy lists once instead of before each step (list, put, the list
   * after the puts, the read-back): measured by bench/offsite.ts. null: not listed yet.
   */
  private listing: { id: string; snapshot: Snapshot }[] | null = null;
  /** Snapshots whose manifest this run has read from the repository itself (not from the local cache). */
  private readonly readBack = new Set<string>();
  /** This run has marked itself as a holder of locks (lockMarker), and whether one of its locks may have been left. */
  private lockMarked = false;
  private lockMayBeLeft = false;
  /** The server refused a removal in this run (append-only though the config says not): a prune would only be refused too. */
  private deletionsRefused = false;

  constructor(
    readonly mirror: ResticMirror,
    private readonly backupDir: string,
    private readonly deps: ResticDeps,
  ) {
    this.where = { dir: mirror.repository, url: mirror.repository };
    this.keepsAll = mirror.appendOnly;
  }

  get name(): string {
    return this.mirror.name;
  }

  /** The repository's address (there is no folder to read with standard tools: restic restores one). */
  get dir(): string {
    return this.mirror.repository;
  }

  get tool(): ToolInfo | null {
    return this.access?.tool ?? null;
  }

  /**
   * Reach the repository: restic found (and new enough), the password (given, stored or asked
   * for), the backend's keys from the keyring, the server reachable, and the password proven by
   * opening the repository. Throws with what is wrong; nothing is written.
   */
  async unlock(access: AccessOptions = {}): Promise<void> {
    await this.connect(access);
    // Opening the repository with the password proves both; listing our snapshots does exactly
    // that (as `cat config` would) and gives the run the list it needs next.
    this.listing = null;
    await this.snapshots(access.signal);
  }

  /** unlock() without opening the repository: everything `restic init` needs too (offsite init). */
  async connect(access: AccessOptions = {}): Promise<void> {
    const m = this.mirror;
    const tool = await this.deps.tools.find(resticTool(m));
    checkResticVersion(tool);
    const ctx = await cryptContext(m, this.deps, access);
    const backend: Record<string, string> = {};
    for (const v of [...m.backendEnv, REST_PASSWORD]) {
      const id = backendCredentialId(m.name, v);
      const value = await this.deps.secrets.get(id);
      if (value !== null) backend[v] = value;
      else if (v !== REST_PASSWORD) throw new PraxisError('offsite.backendSecretMissing', { name: m.name, variable: v, id });
    }
    await mkdir(join(this.deps.knownHosts, '..'), { recursive: true, mode: 0o700 });
    this.access = { mirror: m, tool, password: ctx.passphrase, backend, knownHosts: this.deps.knownHosts };
    await this.reachable();
  }

  /** `restic init` with the password connect() was given: a new, empty repository at the address. */
  async initRepository(signal?: AbortSignal): Promise<void> {
    await this.restic('init', ['init'], { signal });
  }

  /** A refused TCP connection makes restic retry for minutes: say at once that the server is not there. */
  private async reachable(): Promise<void> {
    const ep = networkEndpoint(this.mirror.repository);
    if (!ep) return;
    const err = await tcpReachable(ep.host, ep.port, this.deps.connectTimeoutMs ?? 15_000);
    if (err) throw new PraxisError('offsite.unreachable', { name: this.name, host: ep.host, port: ep.port, reason: err });
    // SFTP: the ssh session alone first. restic passes ssh's reason for a refusal (a changed host
    // key, a refused login) on only sometimes; ssh by itself always says it (restic-command.ts).
    const sftp = parseSftp(this.mirror.repository);
    if (!sftp) return;
    try {
      await run(sshProbePlan(this.mirror, sftp, this.deps.knownHosts));
    } catch (e) {
      throw this.failure(e, 'ssh');
    }
  }

  private need(): ResticAccess {
    if (!this.access) throw new PraxisError('error.unexpected', { message: `restic mirror ${this.name} used before unlock()` });
    return this.access;
  }

  /** Runs restic; a failure becomes a PraxisError that says what it means. */
  private async restic(label: string, args: string[], o: { signal?: AbortSignal; cwd?: string; onStdoutLine?: (l: string) => void; okExitCodes?: number[]; collect?: boolean } = {}) {
    const plan: CommandPlan = resticPlan(this.need(), label, args, { cwd: o.cwd, okExitCodes: o.okExitCodes });
    const lines: string[] = [];
    const locks = takesLock(args);
    if (locks && !this.lockMarked) {
      await mkdir(this.backupDir, { recursive: true, mode: 0o700 });
      await writeFile(lockMarker(this.backupDir, this.name), JSON.stringify({ pid: process.pid, host: hostname() }) + '\n', { mode: 0o600 });
      this.lockMarked = true;
    }
    try {
      const r = await run(plan, {
        signal: o.signal,
        onStdoutLine: (l) => {
          if (o.collect) lines.push(l);
          o.onStdoutLine?.(l);
        },
      });
      return { ...r, lines };
    } catch (e) {
      // restic removes its lock whenever it ends by itself, with an error too (exit 1, or 3 for
      // unreadable files); killed, crashed (a Go panic exits 2), cancelled (0.14 handles SIGINT
      // only) or timed out it may not have: the mark stays for the next run's tidy.
      if (locks && !(e instanceof CommandError && e.reason === 'exit' && (e.exitCode === 1 || e.exitCode === 3))) this.lockMayBeLeft = true;
      throw this.failure(e, label);
    }
  }

  /** What a failed restic command means, in the admin's words (with restic's last lines for the log). */
  failure(e: unknown, op: string): unknown {
    if (!(e instanceof CommandError) || e.reason !== 'exit') return e;
    const name = this.name;
    const ep = networkEndpoint(this.mirror.repository);
    const tail = e.stderrTail.slice(-8);
    switch (classifyFailure(e.exitCode, e.stderrTail)) {
      case 'wrongPassword':
        return new PraxisError('offsite.wrongPassword', { name }, ExitCode.failed, tail);
      case 'noRepository':
        return new PraxisError('offsite.noRepository', { name, repository: this.mirror.repository }, ExitCode.failed, tail);
      case 'locked':
        return new PraxisError('offsite.locked', { name }, ExitCode.failed, tail);
      case 'hostKeyChanged':
        return new PraxisError('offsite.hostKeyChanged', { name, host: ep?.host ?? '?', file: this.deps.knownHosts }, ExitCode.failed, tail);
      case 'hostKeyUnknown':
      case 'authFailed':
        return new PraxisError('offsite.authFailed', { name, host: ep?.host ?? '?' }, ExitCode.failed, tail);
      case 'unreachable':
        return new PraxisError('offsite.unreachable', { name, host: ep?.host ?? this.mirror.repository, port: ep?.port ?? 0, reason: tail.at(-1) ?? '' }, ExitCode.failed, tail);
      case 'full':
        return new PraxisError('offsite.full', { name }, ExitCode.failed, tail);
      case 'deleteRefused':
        return new PraxisError('offsite.deleteRefused', { name }, ExitCode.failed, tail);
      default:
        return new PraxisError('offsite.failed', { name, op, code: e.exitCode ?? -1, message: tail.at(-1) ?? '' }, ExitCode.failed, tail);
    }
  }

  async guard(): Promise<void> {
    this.need();
  }

  async vanished(): Promise<boolean> {
    return false;
  }

  /** A repository on a server tells no free space; the upload itself says when it is full. */
  async freeSpace(): Promise<DiskSpace> {
    return { free: Number.MAX_SAFE_INTEGER, total: Number.MAX_SAFE_INTEGER };
  }

  async snapshots(signal?: AbortSignal): Promise<{ id: string; snapshot: Snapshot }[]> {
    if (this.listing) return this.listing;
    const r = await this.restic('snapshots', ['snapshots', '--json', '--no-lock', '--tag', SNAPSHOT_TAG], { signal, collect: true });
    const all = JSON.parse(r.lines.join('') || '[]') as Snapshot[] | null;
    this.listing = ourSnapshots(all ?? []);
    return this.listing;
  }

  /**
   * By short id and backup id: restic 0.14's backup summary names the new snapshot by its short id
   * only, the next night's listing by its full id — both must find the manifest read back tonight.
   * (Two snapshots sharing both are copies of the same backup: the same manifest.)
   */
  private cacheFile(s: Snapshot): string {
    return join(this.backupDir, '.restic-cache', this.name, `${s.id.slice(0, 8)}-${snapshotBackupId(s) ?? 'none'}.manifest.json`);
  }

  /** A snapshot's manifest: read once from the repository (`restic dump`), then from the local cache (snapshots never change). */
  private async manifestOf(s: Snapshot, signal?: AbortSignal): Promise<Manifest | null> {
    const known = this.manifests.get(s.id);
    if (known) return known;
    const cached = await readFile(this.cacheFile(s), 'utf8').catch(() => null);
    let text = cached;
    if (text === null) {
      const chunks: Buffer[] = [];
      const plan = resticPlan(this.need(), 'dump manifest', ['dump', '--no-lock', s.id, `/${MANIFEST_FILE}`]);
      try {
        await run(plan, {
          signal,
          consumeStdout: async (out) => {
            for await (const c of out) chunks.push(c as Buffer);
          },
        });
      } catch (e) {
        // A snapshot tagged as ours with no manifest at its top (sent by hand from outside a backup's
        // folder) holds no backup: left out, instead of failing the listing of all the others.
        if (e instanceof CommandError && e.reason === 'exit' && e.stderrTail.some((l) => /not found in snapshot/.test(l))) return null;
        throw this.failure(e, 'dump');
      }
      text = Buffer.concat(chunks).toString('utf8');
    }
    const manifest = parseManifest(text);
    if (!manifest) return null;
    if (cached === null) this.readBack.add(s.id);
    this.manifests.set(s.id, manifest);
    if (cached === null) {
      const file = this.cacheFile(s);
      await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
      await writeFile(`${file}.tmp`, text, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    }
    return manifest;
  }

  async list(signal?: AbortSignal): Promise<BackupEntry[]> {
    const out: BackupEntry[] = [];
    for (const { id, snapshot } of await this.snapshots(signal)) {
      const manifest = await this.manifestOf(snapshot, signal);
      if (!manifest || manifest.id !== id) continue; // not a backup of ours after all
      out.push({ id, path: `${this.mirror.repository}#${snapshot.short_id ?? snapshot.id.slice(0, 8)}`, manifest, bytes: manifest.components.reduce((s, c) => s + c.bytes, 0) });
    }
    return out;
  }

  async catalog(): Promise<Catalog> {
    return { complete: await this.list(), partial: [], deleting: [], invalid: [], future: [] };
  }

  /**
   * Locks left by our own runs that died (this host and user, the process gone) are removed with
   * `restic unlock` — which removes stale locks only. Anybody else's lock is left alone.
   */
  async tidy(reporter: Reporter): Promise<void> {
    // Only a run of ours that took a lock and did not end for sure can have left one, and such a run
    // left its mark (lockMarker): without one there is nothing of ours to look for. Listing the
    // locks opens the repository (about half a second of key derivation): skipped on every night
    // that follows a clean one (bench/offsite.ts).
    const marker = lockMarker(this.backupDir, this.name);
    const text = await readFile(marker, 'utf8').catch(() => null);
    if (text === null) return;
    let mark: { pid?: number; host?: string } = {};
    try {
      mark = JSON.parse(text) as typeof mark;
    } catch {
      /* unreadable (a disk that filled up while it was written): look all the same */
    }
    if (mark.host && mark.host !== hostname()) return;
    // Looked at below; a live process of ours other than this one still holds its lock: its mark stays.
    const looked = mark.pid === process.pid || !mark.pid || !isAlive(mark.pid);
    const ids = await this.restic('list locks', ['list', 'locks', '--no-lock'], { collect: true });
    let ours = 0;
    for (const lockId of ids.lines.map((l) => l.trim()).filter(Boolean)) {
      const r = await this.restic('cat lock', ['cat', 'lock', lockId, '--no-lock'], { collect: true }).catch(() => null);
      if (!r) continue;
      try {
        const lock = JSON.parse(r.lines.join('')) as { hostname?: string; pid?: number; uid?: number };
        if (lock.hostname !== hostname() || (process.getuid && lock.uid !== undefined && lock.uid !== process.getuid())) continue;
        if (lock.pid && !isAlive(lock.pid)) ours++;
      } catch {
        /* not a lock we can read */
      }
    }
    if (ours > 0) {
      await this.restic('unlock', ['unlock']);
      reporter.info('offsite.staleLockRemoved', { name: this.name, count: ours });
    }
    if (looked) await rm(marker, { force: true }).catch(() => {});
  }

  async prepare(toPut: BackupEntry[], _mode: PutOptions['mode'], reporter: Reporter): Promise<void> {
    const t = this.need().tool;
    if (toPut.length) reporter.info('run.tool', { tool: 'restic', path: t.path, version: t.version });
  }

  async put(b: BackupEntry, o: PutOptions): Promise<{ bytesCopied: number; stored?: string; files?: number }> {
    const theirs = await this.snapshots(o.signal);
    // The parent: the newest snapshot of ours older than this backup ("latest": any other). Its
    // unchanged files (same size, mtime and inode: hard-linked snapshots keep them) are not read again.
    const parent = theirs.find((t) => (o.mode === 'latest' ? t.id !== b.id : t.id < b.id));
    const args = ['backup', '--json', '--ignore-ctime', '--tag', `${SNAPSHOT_TAG},${b.id}`, '--host', b.manifest.host, '--time', resticTime(new Date(b.manifest.finishedAt))];
    if (parent) args.push('--parent', parent.snapshot.id);
    if (this.mirror.limitUploadKiBs) args.push('--limit-upload', String(this.mirror.limitUploadKiBs));
    args.push('.');
    const tail: string[] = [];
    const r = await this.restic(`backup ${b.id}`, args, {
      signal: o.signal,
      cwd: b.path,
      onStdoutLine: (line) => {
        const p = parseBackupStatus(line);
        if (p) o.reporter.progress(`mirror:${this.name}`, p.percent, b.id, p);
        else if (line.includes('"summary"')) tail.push(line);
      },
    });
    const summary = parseBackupSummary([...tail, ...r.stdoutTail]);
    if (!summary) throw new PraxisError('offsite.failed', { name: this.name, op: 'backup', code: 0, message: 'no summary' });
    o.reporter.info('offsite.sent', {
      name: this.name,
      id: b.id,
      snapshot: summary.snapshot_id.slice(0, 8),
      files: summary.total_files_processed,
      added: byteCount(summary.data_added),
    });
    // The snapshot just made joins this run's listing (restic printed its id), so the list and the
    // read-back after the puts need no new listing; its manifest is still read from the repository.
    if (this.listing) {
      const made: Snapshot = { id: summary.snapshot_id, short_id: summary.snapshot_id.slice(0, 8), time: new Date(b.manifest.finishedAt).toISOString(), hostname: b.manifest.host, tags: [SNAPSHOT_TAG, b.id] };
      this.listing = ourSnapshots([...this.listing.filter((s) => s.id !== b.id).map((s) => s.snapshot), made]);
    }
    return { bytesCopied: summary.data_added, stored: summary.snapshot_id, files: summary.total_files_processed };
  }

  /**
   * Read back what was sent: the snapshot's manifest, from the repository, must be the local one
   * byte for byte (it holds every dump's sha256 and every folder's count and size). `deep`: the
   * whole backup is restored into a scratch folder and checked like a local one.
   */
  async verify(id: string, check: (copy: BackupEntry, o: VerifyCopyOptions) => Promise<VerificationRecord>, o: VerifyCopyOptions): Promise<VerificationRecord | null> {
    const found = (await this.snapshots(o.signal)).find((s) => s.id === id);
    if (!found) return null;
    // Read back from the repository, never from the local cache — unless this run has just read this
    // very snapshot's manifest from the repository (the list after the puts): that was the read-back.
    if (!this.readBack.has(found.snapshot.id)) {
      this.manifests.delete(found.snapshot.id);
      await rm(this.cacheFile(found.snapshot), { force: true });
    }
    const started = Date.now();
    if (o.deep) {
      const scratch = join(this.backupDir, `.restic-verify-${this.name}`);
      try {
        const entry = await this.fetch(id, { scratch, reporter: o.reporter, signal: o.signal });
        return entry ? await check(entry, { ...o, deep: true }) : null;
      } finally {
        await removeTree(scratch).catch(() => {});
      }
    }
    const stored = await this.manifestOf(found.snapshot, o.signal);
    const local = o.referencePath ? await readFile(join(o.referencePath, MANIFEST_FILE), 'utf8').then(parseManifest, () => null) : null;
    const problems: Message[] = [];
    if (!stored) problems.push({ key: 'offsite.manifestMissing', params: { name: this.name, id } });
    else if (local && JSON.stringify(stored) !== JSON.stringify(local)) problems.push(...manifestDifferences(this.name, id, local, stored));
    return {
      format: 1,
      tool: { name: 'praxis-backup', version: '' },
      backupId: id,
      destination: this.name,
      ok: problems.length === 0,
      checked: { checksums: true, index: false, deep: false, restoreTest: false },
      problems,
      warnings: [],
      durationMs: Date.now() - started,
      at: o.now.toISOString(),
      components: (stored ?? local)?.components.map((c) => ({ name: c.name, type: c.type, checksum: true })) ?? [],
    };
  }

  /** Without append-only: forget this backup's snapshots (the space comes back with the next prune). */
  async remove(id: string): Promise<void> {
    if (this.keepsAll) return;
    const snaps = (await this.restic('snapshots', ['snapshots', '--json', '--no-lock', '--tag', `${SNAPSHOT_TAG},${id}`], { collect: true })).lines.join('');
    const ids = ((JSON.parse(snaps || '[]') as Snapshot[] | null) ?? []).map((s) => s.id);
    if (ids.length) {
      await this.restic(`forget ${id}`, ['forget', ...ids]).catch((e: unknown) => {
        if (refusedDeletion(e)) this.deletionsRefused = true;
        throw e;
      });
    }
    this.listing = null; // listed anew when next asked
  }

  /** Without append-only, after the removals: `restic prune` when the last one is pruneEveryDays old. */
  async maintain(now: Date, reporter: Reporter, signal: AbortSignal): Promise<void> {
    if (this.keepsAll) return;
    const file = stateFile(this.backupDir, this.name);
    const state = JSON.parse((await readFile(file, 'utf8').catch(() => null)) ?? '{}') as RepoState;
    const last = state.lastPrune ? new Date(state.lastPrune).getTime() : 0;
    if (this.deletionsRefused || now.getTime() - last < this.mirror.pruneEveryDays * 86_400_000) return;
    reporter.info('offsite.pruning', { name: this.name });
    try {
      await this.restic('prune', ['prune'], { signal });
    } catch (e) {
      // An append-only server refuses prune's deletions (after ~45 s of restic's retries): the copy
      // is complete all the same — a warning, and the next try only after pruneEveryDays again.
      if (!refusedDeletion(e)) throw e;
      reporter.warn(e.message_.key, e.message_.params);
      this.warnings.push(e.message_); // the mirror's result (exit 3), read after maintain()
    }
    state.lastPrune = now.toISOString();
    await writeFile(`${file}.tmp`, JSON.stringify(state) + '\n', { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  /** Restore backup `id` into <scratch>/<id> and read it as a local backup (restore --from-mirror, verify --deep). */
  async fetch(id: string, o: FetchOptions): Promise<BackupEntry | null> {
    const found = (await this.snapshots(o.signal)).find((s) => s.id === id);
    if (!found) return null;
    const into = join(o.scratch, id);
    await removeTree(into).catch(() => {});
    await mkdir(into, { recursive: true, mode: 0o700 });
    o.reporter.info('offsite.fetching', { name: this.name, id, dir: into });
    await this.restic(`restore ${id}`, ['restore', found.snapshot.id, '--target', into, '--no-lock'], { signal: o.signal });
    return (await readCatalog(o.scratch)).complete.find((b) => b.id === id) ?? null;
  }

  /** verify --target: restic's own check of the repository's structure, plus one slice of its data read back. */
  async checkRepository(now: Date, reporter: Reporter, signal: AbortSignal): Promise<RepositoryCheck> {
    const slice = dataSlice(now, this.mirror.readDataDays);
    reporter.info('offsite.checking', { name: this.name, slice, days: this.mirror.readDataDays });
    try {
      await this.restic('check', ['check', `--read-data-subset=${slice}`], { signal });
      return { ok: true, slice, problems: [] };
    } catch (e) {
      if (e instanceof PraxisError && e.message_.key !== 'offsite.failed') throw e;
      const detail = e instanceof PraxisError ? e.toolOutput.join(' | ') : String(e);
      return { ok: false, slice, problems: [{ key: 'offsite.checkFailed', params: { name: this.name, detail } }] };
    }
  }

  async close(): Promise<boolean> {
    // Every lock this run took was released by restic itself: no reason for the next run to look.
    if (this.lockMarked && !this.lockMayBeLeft) await rm(lockMarker(this.backupDir, this.name), { force: true }).catch(() => {});
    return true;
  }
}

/** restic commands that take a lock in the repository: all but the read-only ones we run with --no-lock, and unlock/init/version. */
function takesLock(args: readonly string[]): boolean {
  return !args.includes('--no-lock') && !['unlock', 'init', 'version'].includes(args[0] ?? '');
}

/**
 * Beside the backups, while a run of ours may hold a lock in the repository: written before the
 * first command that takes one, removed when all of them ended by themselves (close), so it is
 * left only by a run that died or whose restic was killed — the only way a lock of ours stays.
 */
function lockMarker(backupDir: string, mirrorName: string): string {
  return join(backupDir, `.restic-${mirrorName}.locking`);
}

function refusedDeletion(e: unknown): e is PraxisError {
  return e instanceof PraxisError && e.message_.key === 'offsite.deleteRefused';
}

/** Which dumps differ between the local manifest and the one in the repository (sha256 first: that is what a restore checks). */
export function manifestDifferences(name: string, id: string, local: Manifest, stored: Manifest): Message[] {
  const out: Message[] = [];
  for (const c of local.components) {
    const s = stored.components.find((x) => x.name === c.name);
    if (!s) out.push({ key: 'offsite.componentMissing', params: { name, id, component: c.name } });
    else if (c.sha256 !== s.sha256 || c.bytes !== s.bytes) out.push({ key: 'offsite.componentDiffers', params: { name, id, component: c.name } });
  }
  if (!out.length) out.push({ key: 'offsite.manifestDiffers', params: { name, id } });
  return out;
}



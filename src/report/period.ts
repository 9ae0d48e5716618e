// What happened in a period (a month for the Datensicherungsprotokoll, a week for the Wochenbericht),
// collected only from what the runs leave behind anyway: the JSON-lines log of every run, the
// status file, and the manifests and verification.json files in the backup directory. Nothing is
// kept by hand or for the report's sake. The clock is a parameter (`now`): the open findings are
// the alerts `status` would show at that moment.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Config } from '../config/schema';
import { destinationKind } from '../destinations/registry';
import type { Message } from '../i18n';
import { computeAlerts, type Alert } from '../alerting/alert-rules';
import { idToDate, readCatalog } from '../backup-directory/catalog';
import type { RunSummary, StampedEvent } from '../run/events';
import { MANIFEST_FILE, type ManifestComponent } from '../backup-directory/manifest';
import { StatusStore, type Status } from '../run/status-store';
import { VERIFICATION_FILE, type VerificationRecord } from '../backup-directory/verification';

export type RunKind = 'backup' | 'mirror' | 'restore' | 'verify';
/** `incomplete`: the log has no end (the run was killed, the machine lost power, or it still runs). */
export type RunResult = 'success' | 'warning' | 'failed' | 'incomplete';

export interface ToolUse {
  tool: string;
  path: string;
  /** The tool's own first line of `--version`, e.g. "pg_dump (PostgreSQL) 16.4". */
  version: string;
}

export interface RunComponent {
  name: string;
  type: string | null;
  bytes: number | null;
  files: number | null;
  sha256: string | null;
}

export interface MirrorCopy {
  /** The mirror's name in the config. */
  name: string;
  mirrorType: string | null;
  /** When the copy ended (the event's time). */
  at: string;
  result: 'success' | 'absent' | 'failed' | 'skipped' | string;
  /** Backup ids copied. */
  copied: string[];
  bytesCopied: number;
  /** Read back and matched; null when nothing was copied or it was not recorded (older logs). */
  verified: boolean | null;
  /** Ejected afterwards; null when the mirror does not eject (path, share) or it was not recorded. */
  ejected: boolean | null;
  /** Where it went: folder, disk label and UUID, share URL (null in logs older than this record). */
  target: { dir: string; label?: string | null; uuid?: string | null; url?: string } | null;
  /** Why it failed or was absent. */
  message: Message | null;
}

export interface RestoreTest {
  /** When the test's verification started. */
  at: string;
  backupId: string | null;
  /** 'local' or the mirror whose copy was tested. */
  destination: string;
  component: string;
  componentType: string | null;
  /** The database the dump was taken of (from the backup's manifest). */
  database: string | null;
  /** Tables loaded into the scratch database. */
  tables: number | null;
  /** Tables whose row count was compared with the count recorded at backup time. */
  tablesCompared: number | null;
  /** Rows in those tables as the backup recorded them (the manifest): what the comparison covered. */
  rows: number | null;
  ok: boolean;
  problems: Message[];
}

export interface PeriodRun {
  kind: RunKind;
  /** The log file's name in the log folder. */
  logFile: string;
  startedAt: string;
  finishedAt: string | null;
  result: RunResult;
  exitCode: number | null;
  backupId: string | null;
  /** Praxis-Backup's version and the host, as the run logged them (null in logs older than that line). */
  program: { version: string; host: string } | null;
  tools: ToolUse[];
  /** Backup runs: the components written; restores: the components put back. */
  components: RunComponent[];
  /** The local backup directory the run wrote to (backup runs). */
  backupDir: string | null;
  mirrors: MirrorCopy[];
  restoreTests: RestoreTest[];
  /** Verify runs: what was checked and whether it passed. */
  verification: { backupId: string; destination: string; ok: boolean; restoreTest: boolean; problems: Message[] } | null;
  error: Message | null;
  /** The tool's own last lines on failure (already redacted by the runner). */
  details: string[];
  warnings: Message[];
}

export interface PeriodBackup {
  id: string;
  path: string;
  startedAt: string;
  finishedAt: string;
  host: string;
  toolVersion: string;
  bytes: number;
  components: (Pick<ManifestComponent, 'name' | 'type' | 'path' | 'bytes' | 'files' | 'sha256' | 'database' | 'serverVersion' | 'dumpTool' | 'source'> & { tables: number | null; rows: number | null })[];
  warnings: string[];
  /** sha256 of manifest.json as it lies on disk: the record can be checked against the backup later. */
  manifestSha256: string;
  /** The last verification of this backup (verification.json), if any. */
  lastVerification: { at: string; ok: boolean; restoreTest: boolean; destination: string } | null;
}

export interface PeriodData {
  format: 1;
  /** The period, local time: from inclusive, to exclusive (ISO instants). */
  from: string;
  to: string;
  /** The moment the findings are judged at (the report's creation). */
  now: string;
  practiceName: string | null;
  backupDir: string;
  logDir: string;
  /** Mirrors as configured now (name, type, where). */
  mirrorsConfigured: { name: string; type: string; where: string; encrypted: boolean }[];
  /** Oldest first. */
  runs: PeriodRun[];
  /** Every mirror copy and restore test of the period's runs, oldest first (also inside `runs`). */
  mirrorCopies: (MirrorCopy & { runLog: string })[];
  restoreTests: (RestoreTest & { runLog: string })[];
  /** Complete backups in the backup directory made in the period, oldest first. */
  backups: PeriodBackup[];
  /** Backups the period's runs made that are no longer in the backup directory (removed by retention). */
  backupsGone: string[];
  /** The alerts `status` shows at `now`. */
  findings: Alert[];
  /** Per destination from the status file: last success, failure and verification. */
  destinations: Status['destinations'];
  totals: { backups: number; failed: number; warnings: number; incomplete: number; restoreTests: number; restoreTestsFailed: number; mirrorCopies: number; mirrorCopiesFailed: number };
  /** Log files that could not be read (named, never silently skipped). */
  unreadableLogs: string[];
}

export interface PeriodInput {
  from: Date;
  to: Date;
  now: Date;
  config: Config;
  /** The folder of the run logs (app.paths.logDir). */
  logDir: string;
  /** The folder of status.json (app.paths.stateDir). */
  stateDir: string;
}

const LOG_NAME = /^(run|mirror|restore|verify)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)-(\d+)\.jsonl$/;
const KIND: Record<string, RunKind> = { run: 'backup', mirror: 'mirror', restore: 'restore', verify: 'verify' };

/** The calendar month „YYYY-MM“ in local time, or null when it is not one. */
export function monthPeriod(month: string): { from: Date; to: Date } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return null;
  const year = Number(m[1]);
  const index = Number(m[2]) - 1;
  if (index < 0 || index > 11 || year < 2000 || year > 2999) return null;
  return { from: new Date(year, index, 1), to: new Date(year, index + 1, 1) };
}

/** When a log's run started, from its name (the start time in UTC, made by logFileName). */
export function logStart(name: string): Date | null {
  const m = LOG_NAME.exec(name);
  if (!m) return null;
  const iso = m[2]!.replace(/T(\d{2})-(\d{2})-(\d{2})Z$/, 'T$1:$2:$3Z');
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

type Logged = StampedEvent & { text?: string; textEn?: string };

/** Parses one log's lines; a torn last line (a killed run) is skipped. */
export function parseLog(text: string): Logged[] {
  const out: Logged[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as Logged;
      if (e && typeof e === 'object' && typeof e.type === 'string' && typeof e.ts === 'string') out.push(e);
    } catch {
      /* torn write */
    }
  }
  return out;
}

/** One run from its log's events (pure). `verificationOf` gives verification.json of a backup for the restore test's tables and rows. */
export function runFromLog(
  logFile: string,
  events: Logged[],
  lookup: { component(backupId: string | null, name: string): { database: string | null; type: string | null; rows: number | null }; verification(backupId: string, destination: string, startedAt: string, finishedAt: string | null): VerificationRecord | null },
): PeriodRun {
  const kind = KIND[logFile.split('-')[0]!] ?? 'backup';
  const first = events[0];
  const start = (events.find((e) => e.type === 'program') ?? first)?.ts ?? logStart(logFile)?.toISOString() ?? '';
  const finished = events.find((e): e is Logged & { type: 'finished'; summary: RunSummary } => e.type === 'finished');
  const summary = finished?.summary;
  const program = events.find((e) => e.type === 'program');
  const started = events.find((e) => e.type === 'started');
  const run: PeriodRun = {
    kind,
    logFile,
    startedAt: start,
    finishedAt: finished?.ts ?? null,
    result: summary ? summary.result : 'incomplete',
    exitCode: summary ? summary.exitCode : null,
    backupId: summary?.backupId ?? (started?.type === 'started' ? started.id : null),
    program: program?.type === 'program' ? { version: program.version, host: program.host } : null,
    tools: [],
    components: [],
    backupDir: started?.type === 'started' ? started.backupDir : null,
    mirrors: [],
    restoreTests: [],
    verification: null,
    error: summary?.error ?? null,
    details: summary?.details ?? [],
    warnings: summary?.warnings ?? events.filter((e) => e.type === 'warning').map((e) => (e as { message: Message }).message),
  };
  const mirrorTypes = new Map<string, string>();
  let verifyId: string | null = run.backupId;
  let verifyDest = 'local';
  const testing: RestoreTest[] = [];
  const errors: Message[] = [];
  for (const e of events) {
    if (e.type === 'component-started') {
      run.components.push({ name: e.name, type: e.componentType, bytes: null, files: null, sha256: null });
    } else if (e.type === 'component-finished') {
      const c = run.components.find((x) => x.name === e.name) ?? run.components[run.components.push({ name: e.name, type: null, bytes: null, files: null, sha256: null }) - 1]!;
      Object.assign(c, { bytes: e.bytes, files: e.files ?? null, sha256: e.sha256 ?? null });
    } else if (e.type === 'mirror-started') {
      mirrorTypes.set(e.name, e.mirrorType);
    } else if (e.type === 'mirror-finished') {
      run.mirrors.push({
        name: e.name,
        mirrorType: mirrorTypes.get(e.name) ?? null,
        at: e.ts,
        result: e.result,
        copied: e.copied,
        bytesCopied: e.bytesCopied,
        verified: e.verified ?? null,
        ejected: e.ejected ?? null,
        target: e.target ?? null,
        message: summary?.mirrors?.find((m) => m.name === e.name)?.message ?? null,
      });
    } else if (e.type === 'log') {
      const p = e.message.params ?? {};
      const key = e.message.key;
      if (key === 'run.tool') {
        const tool = { tool: String(p.tool), path: String(p.path), version: String(p.version) };
        if (!run.tools.some((x) => x.tool === tool.tool && x.path === tool.path && x.version === tool.version)) run.tools.push(tool);
      } else if (key === 'verify.started') {
        verifyId = String(p.id);
        verifyDest = typeof p.dest === 'string' ? p.dest : 'local';
      } else if (key === 'verify.restoreTest') {
        testing.push(restoreTest(e.ts, verifyId, verifyDest, String(p.component), lookup));
      } else if (key === 'verify.restoreTestPassed') {
        const t = testing.find((x) => x.component === String(p.component));
        if (t) Object.assign(t, { tables: Number(p.tables), tablesCompared: Number(p.counted) });
      } else if (e.level === 'error') {
        errors.push(e.message);
      }
    }
  }
  // A problem names its component: it belongs to that component's restore test.
  for (const t of testing) {
    t.problems = errors.filter((m) => m.params?.component === t.component);
    t.ok = t.problems.length === 0 && t.tables !== null;
    const v = t.backupId ? lookup.verification(t.backupId, t.destination, run.startedAt, run.finishedAt) : null;
    const c = v?.components.find((x) => x.name === t.component);
    if (c && t.tables === null) Object.assign(t, { tables: c.tables ?? null, tablesCompared: c.rowsCompared ?? null });
  }
  run.restoreTests = testing;
  if (kind === 'verify' && verifyId) {
    const v = (summary as (RunSummary & { verification?: VerificationRecord }) | undefined)?.verification;
    run.verification = {
      backupId: verifyId,
      destination: verifyDest,
      ok: v ? v.ok : summary?.result === 'success' || summary?.result === 'warning',
      restoreTest: v ? v.checked.restoreTest : testing.length > 0,
      problems: v ? v.problems : errors,
    };
  }
  return run;
}

function restoreTest(at: string, backupId: string | null, destination: string, component: string, lookup: Parameters<typeof runFromLog>[2]): RestoreTest {
  const c = lookup.component(backupId, component);
  return { at, backupId, destination, component, componentType: c.type, database: c.database, tables: null, tablesCompared: null, rows: c.rows, ok: false, problems: [] };
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

async function readVerification(path: string): Promise<VerificationRecord | null> {
  try {
    const v = JSON.parse(await readFile(join(path, VERIFICATION_FILE), 'utf8')) as VerificationRecord;
    return v && typeof v.at === 'string' && Array.isArray(v.components) ? v : null;
  } catch {
    return null;
  }
}

function mirrorWhere(m: Config['mirrors'][number]): string {
  return destinationKind(m).describe(m);
}

/** Everything the period's record needs, from the logs, the status file and the backup directory. */
export async function collectPeriod(input: PeriodInput): Promise<PeriodData> {
  const { from, to, now, config } = input;
  const inPeriod = (d: Date) => d.getTime() >= from.getTime() && d.getTime() < to.getTime();

  // Backups made in the period (their id is their local start time), with the manifest's checksum.
  const catalog = await readCatalog(config.backupDir);
  const all = [...catalog.complete].reverse();
  const verifications = new Map<string, VerificationRecord | null>();
  for (const b of all) verifications.set(b.id, await readVerification(b.path));
  const backups: PeriodBackup[] = [];
  for (const b of all.filter((x) => inPeriod(idToDate(x.id)))) {
    const m = b.manifest;
    const v = verifications.get(b.id) ?? null;
    backups.push({
      id: b.id,
      path: b.path,
      startedAt: m.startedAt,
      finishedAt: m.finishedAt,
      host: m.host,
      toolVersion: m.tool.version,
      bytes: b.bytes,
      components: m.components.map((c) => ({
        name: c.name,
        type: c.type,
        path: c.path,
        bytes: c.bytes,
        files: c.files,
        sha256: c.sha256,
        database: c.database,
        serverVersion: c.serverVersion,
        dumpTool: c.dumpTool,
        source: c.source,
        tables: c.rows ? Object.keys(c.rows).length : null,
        rows: c.rows ? Object.values(c.rows).reduce((s, n) => s + n, 0) : null,
      })),
      warnings: m.warnings,
      manifestSha256: await sha256File(join(b.path, MANIFEST_FILE)),
      lastVerification: v ? { at: v.at, ok: v.ok, restoreTest: v.checked.restoreTest, destination: v.destination } : null,
    });
  }

  const lookup = {
    component: (id: string | null, name: string) => {
      const inBackup = all.find((b) => b.id === id)?.manifest.components.find((c) => c.name === name);
      const configured = config.components.find((c) => c.name === name);
      return {
        database: inBackup?.database ?? (configured && configured.type !== 'folder' ? configured.database : null),
        type: inBackup?.type ?? configured?.type ?? null,
        rows: inBackup?.rows ? Object.values(inBackup.rows).reduce((s, n) => s + n, 0) : null,
      };
    },
    verification: (id: string, destination: string, startedAt: string, finishedAt: string | null) => {
      const v = verifications.get(id);
      if (!v || v.destination !== destination) return null;
      // Only the verification this run made (verification.json keeps the last one of the backup).
      const at = Date.parse(v.at);
      return at >= Date.parse(startedAt) - 1000 && (!finishedAt || at <= Date.parse(finishedAt)) ? v : null;
    },
  };

  const runs: PeriodRun[] = [];
  const unreadableLogs: string[] = [];
  const names = await readdir(input.logDir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const start = logStart(name);
    if (!start || !inPeriod(start)) continue;
    let text: string;
    try {
      text = await readFile(join(input.logDir, name), 'utf8');
    } catch {
      unreadableLogs.push(name);
      continue;
    }
    const events = parseLog(text);
    if (!events.length) continue;
    runs.push(runFromLog(basename(name), events, lookup));
  }
  runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));

  const status = await new StatusStore(input.stateDir).read();
  const present = new Set(all.map((b) => b.id));
  const made = runs.filter((r) => r.kind === 'backup' && r.backupId && (r.result === 'success' || r.result === 'warning')).map((r) => r.backupId!);
  const mirrorCopies = runs.flatMap((r) => r.mirrors.map((m) => ({ ...m, runLog: r.logFile })));
  const restoreTests = runs.flatMap((r) => r.restoreTests.map((t) => ({ ...t, runLog: r.logFile })));
  const backupRuns = runs.filter((r) => r.kind === 'backup');
  return {
    format: 1,
    from: from.toISOString(),
    to: to.toISOString(),
    now: now.toISOString(),
    practiceName: config.practiceName ?? null,
    backupDir: config.backupDir,
    logDir: input.logDir,
    mirrorsConfigured: config.mirrors.map((m) => ({ name: m.name, type: m.type, where: mirrorWhere(m), encrypted: !!m.encrypt })),
    runs,
    mirrorCopies,
    restoreTests,
    backups,
    backupsGone: [...new Set(made)].filter((id) => !present.has(id)),
    findings: computeAlerts({ config, status, now }),
    destinations: status.destinations,
    totals: {
      backups: backupRuns.length,
      failed: runs.filter((r) => r.result === 'failed').length,
      warnings: runs.filter((r) => r.result === 'warning').length,
      incomplete: runs.filter((r) => r.result === 'incomplete').length,
      restoreTests: restoreTests.length,
      restoreTestsFailed: restoreTests.filter((t) => !t.ok).length,
      mirrorCopies: mirrorCopies.filter((m) => m.result !== 'skipped').length,
      mirrorCopiesFailed: mirrorCopies.filter((m) => m.result === 'failed' || m.result === 'absent').length,
    },
    unreadableLogs,
  };
}

// `praxis-backup schedule install|remove|status|next|render`: the operating system's schedule
// (launchd agent on macOS, systemd user timer on Linux) for `schedule.cron`, and beside it the
// restore test on `verify.cron` when that is set. Thin: the work is in
// the Scheduler adapters (src/schedule/).
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { nextRuns } from '../../config/cron';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { render, t } from '../../i18n';
import { describeCron } from '../../schedule/cron-describe';
import type { InstallResult, ScheduleSpec, SchedulerKind, ScheduleStatus } from '../../schedule/scheduler';
import { ConfigError, ExitCode, PraxisError, UsageError } from '../../core/errors';
import { parseCommand } from '../args';
import { messageJson, type Out } from '../output';

const SUBCOMMANDS = ['install', 'remove', 'status', 'next', 'render'] as const;

export async function scheduleCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('schedule', argv, { count: { type: 'string' }, for: { type: 'string' } }, 1);
  const sub = positionals[0] as (typeof SUBCOMMANDS)[number] | undefined;
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError(`expected one of ${SUBCOMMANDS.join('|')}${sub ? `, got "${sub}"` : ''}`, 'schedule');
  if (values.for !== undefined && sub !== 'render') throw new UsageError('--for only goes with render', 'schedule');
  if (values.count !== undefined && sub !== 'next') throw new UsageError('--count only goes with next', 'schedule');
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;

  switch (sub) {
    case 'next': {
      const count = parseCount(values.count); // before the config: a usage error is the first thing to fix
      return next(out, await scheduledConfig(configFile), count);
    }
    case 'render': {
      const kind = values.for ?? (app.platform === 'darwin' ? 'launchd' : 'systemd');
      if (kind !== 'launchd' && kind !== 'systemd') throw new UsageError(`--for must be launchd or systemd, got "${kind}"`, 'schedule');
      const files = app.scheduler(kind as SchedulerKind).render(spec(await scheduledConfig(configFile), configFile, out));
      if (out.json) out.data({ kind, files });
      else {
        // The file itself on stdout (redirectable as is), its path on stderr.
        files.forEach((f, i) => {
          if (i > 0) out.print('');
          out.text(`# ${f.path}`);
          out.print(f.content.replace(/\n$/, ''));
        });
      }
      return ExitCode.ok;
    }
    case 'install': {
      const config = await scheduledConfig(configFile);
      const scheduler = app.scheduler();
      const result = await scheduler.install(spec(config, configFile, out));
      const first = nextRuns(config.schedule.cron, 1)[0]!;
      const verifyCron = config.verify.cron;
      const firstVerify = verifyCron === undefined ? null : nextRuns(verifyCron, 1)[0]!;
      if (out.json) {
        out.data({
          installed: true,
          kind: scheduler.kind,
          files: result.files,
          cron: config.schedule.cron,
          nextRun: first.toISOString(),
          verifyCron: verifyCron ?? null,
          nextVerify: firstVerify?.toISOString() ?? null,
          notes: result.notes.map((n) => messageJson(out.lang, n)),
          linger: result.linger ?? null,
        });
        return installExit(result.linger);
      }
      out.print(t(out.lang, 'schedule.installed', { kind: scheduler.kind, schedule: words(out, config.schedule.cron) }));
      for (const f of result.files) out.print(t(out.lang, 'schedule.file', { path: f }));
      out.print(t(out.lang, 'status.next', { when: longDate(out, first) }));
      if (verifyCron !== undefined) {
        out.print(t(out.lang, 'schedule.verifySchedule', { schedule: words(out, verifyCron) }));
        out.print(t(out.lang, 'schedule.verifyNext', { when: longDate(out, firstVerify!) }));
      }
      for (const n of result.notes) out.print(render(out.lang, n));
      return installExit(result.linger);
    }
    case 'remove': {
      const result = await app.scheduler().remove();
      if (out.json) out.data({ removed: result.removed, notes: result.notes.map((n) => messageJson(out.lang, n)) });
      else {
        for (const f of result.removed) out.print(t(out.lang, 'schedule.removed', { path: f }));
        for (const n of result.notes) out.print(render(out.lang, n));
      }
      return ExitCode.ok;
    }
    case 'status': {
      const status = await app.scheduler().status();
      let config: Config | null = null;
      try {
        config = await loadConfig(configFile);
      } catch (e) {
        if (!(e instanceof ConfigError && e.kind === 'notFound')) throw e;
      }
      printStatus(out, status, config?.schedule?.cron, config?.verify.cron);
      return ExitCode.ok;
    }
  }
}

/** Installed, but a timer that runs only while somebody is logged in is "done with a warning". */
function installExit(linger: InstallResult['linger']): number {
  return linger && linger.state !== 'on' ? ExitCode.warnings : ExitCode.ok;
}

async function scheduledConfig(file: string): Promise<Config & { schedule: NonNullable<Config['schedule']> }> {
  const config = await loadConfig(file);
  if (!config.schedule) throw new PraxisError('schedule.noCron', { file }, ExitCode.invalidInput);
  return config as Config & { schedule: NonNullable<Config['schedule']> };
}

function spec(config: Config & { schedule: NonNullable<Config['schedule']> }, configFile: string, out: Out): ScheduleSpec {
  const s: ScheduleSpec = { cron: config.schedule.cron, onDiskAttach: config.schedule.onDiskAttach, configFile, lang: out.lang };
  if (config.verify.cron !== undefined) s.verifyCron = config.verify.cron;
  return s;
}

function parseCount(raw: string | undefined): number {
  if (raw === undefined) return 5;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 100) throw new UsageError(`--count must be a whole number from 1 to 100, got "${raw}"`, 'schedule');
  return n;
}

const locale = (out: Out) => (out.lang === 'de' ? 'de-DE' : 'en-GB');
const longDate = (out: Out, d: Date) => d.toLocaleString(locale(out), { dateStyle: 'full', timeStyle: 'short' });

/** „Mo–Fr um 03:15 („15 3 * * 1-5“)“, or only the expression when it has no simple wording. */
function words(out: Out, cron: string): string {
  const text = describeCron(cron, out.lang);
  return text ? t(out.lang, 'schedule.described', { text, cron }) : t(out.lang, 'schedule.raw', { cron });
}

function next(out: Out, config: Config & { schedule: NonNullable<Config['schedule']> }, count: number): number {
  const cron = config.schedule.cron;
  const runs = nextRuns(cron, count);
  const verifyCron = config.verify.cron;
  const verifyRuns = verifyCron === undefined ? null : nextRuns(verifyCron, count);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (out.json) {
    const verify = verifyCron === undefined ? null : { cron: verifyCron, description: describeCron(verifyCron, out.lang), next: verifyRuns!.map((d) => d.toISOString()) };
    out.data({ cron, description: describeCron(cron, out.lang), timeZone: zone, next: runs.map((d) => d.toISOString()), verify });
    return ExitCode.ok;
  }
  out.print(t(out.lang, 'schedule.schedule', { schedule: words(out, cron) }));
  out.print(t(out.lang, 'schedule.nextHeader', { count, zone }));
  for (const d of runs) out.print(`  ${longDate(out, d)}`);
  if (verifyCron !== undefined) {
    // A second list of its own, after an empty line, so the backup's times stay the first thing read.
    out.print('');
    out.print(t(out.lang, 'schedule.verifySchedule', { schedule: words(out, verifyCron) }));
    out.print(t(out.lang, 'schedule.verifyNextHeader', { count, zone }));
    for (const d of verifyRuns!) out.print(`  ${longDate(out, d)}`);
  }
  return ExitCode.ok;
}

function printStatus(out: Out, status: ScheduleStatus, cron: string | undefined, verifyCron: string | undefined): void {
  if (out.json) {
    out.data({
      ...status,
      notes: status.notes.map((n) => messageJson(out.lang, n)),
      cron: cron ?? null,
      nextRun: cron ? nextRuns(cron, 1)[0]!.toISOString() : null,
      verifyCron: verifyCron ?? null,
      nextVerify: verifyCron ? nextRuns(verifyCron, 1)[0]!.toISOString() : null,
    });
    return;
  }
  for (const j of status.jobs) {
    const dash = (v: string | number | undefined) => (v === undefined || v === '' ? '–' : String(v));
    if (!j.installed && !j.loaded) out.print(t(out.lang, 'schedule.status.notInstalled', { name: j.name, file: j.file }));
    else if (j.loaded === null) out.print(t(out.lang, 'schedule.status.unknown', { name: j.name, file: j.file }));
    else if (!j.loaded) out.print(t(out.lang, 'schedule.status.notLoaded', { name: j.name, file: j.file }));
    else out.print(t(out.lang, 'schedule.status.loaded', { name: j.name, file: j.file, state: dash(j.state), runs: dash(j.runs), exit: dash(j.lastExitCode) }));
    if (j.nextElapse) out.print(t(out.lang, 'schedule.status.nextElapse', { when: j.nextElapse }));
    for (const p of j.missingPrograms) out.print(t(out.lang, 'schedule.status.missingProgram', { path: p }));
  }
  if (cron) out.print(t(out.lang, 'schedule.schedule', { schedule: words(out, cron) }));
  if (cron) out.print(t(out.lang, 'status.next', { when: longDate(out, nextRuns(cron, 1)[0]!) }));
  if (verifyCron) out.print(t(out.lang, 'schedule.verifySchedule', { schedule: words(out, verifyCron) }));
  if (verifyCron) out.print(t(out.lang, 'schedule.verifyNext', { when: longDate(out, nextRuns(verifyCron, 1)[0]!) }));
  for (const n of status.notes) out.print(render(out.lang, n));
}

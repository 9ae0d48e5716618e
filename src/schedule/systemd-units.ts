// The systemd user units, built in code for the same reason as the plists (one bundled CLI, nothing
// to find at run time): praxis-backup.service runs one backup (Type=oneshot), praxis-backup.timer
// starts it on the OnCalendar= lines translated from schedule.cron, with Persistent=true so a run
// missed while the machine was off happens once at the next start. With `verify.cron`, the same
// pair again for the restore test: praxis-backup-verify.service / .timer.
import { join } from 'node:path';
import { assertAbsolute } from './launchd-agent';
import { cronToOnCalendar } from './cron-to-systemd';
import type { ProgramPaths, RenderedFile, ScheduleSpec } from './scheduler';

export const SERVICE_UNIT = 'praxis-backup.service';
export const TIMER_UNIT = 'praxis-backup.timer';
export const VERIFY_SERVICE_UNIT = 'praxis-backup-verify.service';
export const VERIFY_TIMER_UNIT = 'praxis-backup-verify.timer';

export const userUnitDir = (home: string, env: NodeJS.ProcessEnv) => join(env.XDG_CONFIG_HOME || join(home, '.config'), 'systemd', 'user');

/**
 * One ExecStart= word. systemd splits on spaces and understands "…" quoting with C escapes; it also
 * expands %-specifiers and $VARIABLES, so those are doubled.
 */
export function execWord(arg: string): string {
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A value in Description= / Environment=: specifiers doubled, nothing else special there. */
const plain = (s: string) => s.replace(/%/g, '%%');

interface UnitPair {
  args: string[];
  cron: string;
  service: string;
  timer: string;
  description: string;
  timerDescription: string;
  /** More [Unit] lines of the service. */
  unitExtra?: string[];
}

/** A oneshot service running `cli <args> --config FILE`, and the timer that starts it on `cron`. */
function serviceAndTimer(spec: ScheduleSpec, program: ProgramPaths, unitDir: string, o: UnitPair): RenderedFile[] {
  const exec = [program.node, program.cli, ...o.args, '--config', spec.configFile].map(execWord).join(' ');
  const service = [
    '[Unit]',
    `Description=${o.description}`,
    ...(o.unitExtra ?? []),
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${exec}`,
    `Environment=PRAXIS_BACKUP_LANG=${spec.lang}`,
    // 3 = done with warnings (the log says which), 75 = skipped because a backup was already
    // running (the status file says so): neither should leave the unit "failed". The same codes
    // mean the same for the restore test (good with warnings; lock held).
    'SuccessExitStatus=3 75',
    // A backup may take hours; the default 90 s start timeout of oneshot units would kill it.
    'TimeoutStartSec=infinity',
    // Let the backup stop its rsync / pg_dump children itself on SIGTERM.
    'KillMode=mixed',
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=${plain(`${o.timerDescription} (cron: ${o.cron.trim()})`)}`,
    '',
    '[Timer]',
    ...cronToOnCalendar(o.cron).map((c) => `OnCalendar=${c}`),
    'Persistent=true',
    `Unit=${o.service}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return [
    { name: o.service, path: join(unitDir, o.service), content: service },
    { name: o.timer, path: join(unitDir, o.timer), content: timer },
  ];
}

export function renderSystemdUnits(spec: ScheduleSpec, program: ProgramPaths, unitDir: string): RenderedFile[] {
  assertAbsolute(program, spec.configFile);
  const files = serviceAndTimer(spec, program, unitDir, {
    args: ['run', '--scheduled'],
    cron: spec.cron,
    service: SERVICE_UNIT,
    timer: TIMER_UNIT,
    description: 'Praxis-Backup: scheduled backup',
    timerDescription: 'Praxis-Backup schedule',
  });
  if (spec.verifyCron === undefined) return files;
  // The restore test's timer is Persistent=true as well: a weekly test whose time falls on a
  // weekend or holiday with the server off would otherwise never run; it runs once after the next
  // start instead. Both timers catching up at that start would race for the backup directory's
  // lock (the loser exits 75, skipped): After= orders the two jobs when both are due at once, so
  // the test waits for the backup instead of making it the one skipped, and tests the fresh backup.
  const verify = serviceAndTimer(spec, program, unitDir, {
    args: ['verify', '--restore-test', '--scheduled'],
    cron: spec.verifyCron,
    service: VERIFY_SERVICE_UNIT,
    timer: VERIFY_TIMER_UNIT,
    description: 'Praxis-Backup: scheduled restore test',
    timerDescription: 'Praxis-Backup restore test schedule',
    unitExtra: [`After=${SERVICE_UNIT}`],
  });
  return [...files, ...verify];
}

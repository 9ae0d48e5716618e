// The systemd user units, built in code for the same reason as the plists (one bundled CLI, nothing
// to find at run time): praxis-backup.service runs one backup (Type=oneshot), praxis-backup.timer
// starts it on the OnCalendar= lines translated from schedule.cron, with Persistent=true so a run
// missed while the machine was off happens once at the next start.
import { join } from 'node:path';
import { assertAbsolute } from './launchd-agent';
import { cronToOnCalendar } from './cron-to-systemd';
import type { ProgramPaths, RenderedFile, ScheduleSpec } from './scheduler';

export const SERVICE_UNIT = 'praxis-backup.service';
export const TIMER_UNIT = 'praxis-backup.timer';

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

export function renderSystemdUnits(spec: ScheduleSpec, program: ProgramPaths, unitDir: string): RenderedFile[] {
  assertAbsolute(program, spec.configFile);
  const exec = [program.node, program.cli, 'run', '--scheduled', '--config', spec.configFile].map(execWord).join(' ');
  const service = [
    '[Unit]',
    'Description=Praxis-Backup: scheduled backup',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${exec}`,
    `Environment=PRAXIS_BACKUP_LANG=${spec.lang}`,
    // 3 = done with warnings (the log says which), 75 = skipped because a backup was already
    // running (the status file says so): neither should leave the unit "failed".
    'SuccessExitStatus=3 75',
    // A backup may take hours; the default 90 s start timeout of oneshot units would kill it.
    'TimeoutStartSec=infinity',
    // Let the backup stop its rsync / pg_dump children itself on SIGTERM.
    'KillMode=mixed',
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=${plain(`Praxis-Backup schedule (cron: ${spec.cron.trim()})`)}`,
    '',
    '[Timer]',
    ...cronToOnCalendar(spec.cron).map((c) => `OnCalendar=${c}`),
    'Persistent=true',
    `Unit=${SERVICE_UNIT}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return [
    { name: SERVICE_UNIT, path: join(unitDir, SERVICE_UNIT), content: service },
    { name: TIMER_UNIT, path: join(unitDir, TIMER_UNIT), content: timer },
  ];
}

// A stand-in for the one process runner, for adapters of tools that cannot run here (launchctl):
// it answers each plan as the test says (recorded output, an exit code), feeds the output lines to
// the caller's handlers, throws CommandError for an exit code the plan does not accept — as the
// real runner does — and records every argv, so the test asserts the exact commands.
import { CommandError, type CommandPlan, type RunOptions, type RunResult, type run as realRun } from '../../src/process/runner';

export type Reply = { exit: number; stdout?: string[]; stderr?: string[] };

/** `reply` gets the plan and how many times this exact argv has been run, this time included. */
export function fakeRunner(reply: (plan: CommandPlan, nth: number) => Reply): { run: typeof realRun; calls: string[][] } {
  const calls: string[][] = [];
  const run = async (plan: CommandPlan, opts: RunOptions = {}): Promise<RunResult> => {
    const argv = [plan.file, ...plan.args];
    calls.push(argv);
    const r = reply(plan, calls.filter((c) => c.join('\0') === argv.join('\0')).length);
    for (const l of r.stdout ?? []) opts.onStdoutLine?.(l);
    for (const l of r.stderr ?? []) opts.onStderrLine?.(l);
    const ok = plan.okExitCodes ?? [0];
    if (!ok.includes(r.exit)) throw new CommandError(plan.label, argv, r.exit, undefined, r.stderr ?? [], r.stdout ?? [], 'exit');
    return { exitCode: r.exit, warning: false, stdoutTail: (r.stdout ?? []).slice(-60), stderrTail: r.stderr ?? [], durationMs: 1 };
  };
  return { run: run as typeof realRun, calls };
}

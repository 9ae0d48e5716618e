// Optional commands before and after a backup (e.g. pause a service that does not like hot
// copies) or a restore (e.g. stop the practice server while its files are put back). An argv list runs directly; a string runs through /bin/sh -c, as in a crontab.
import type { Config } from '../config/schema';
import { run, type CommandPlan } from '../process/runner';

type Hook = NonNullable<NonNullable<Config['hooks']>['beforeBackup']>;

export type HookName = 'beforeBackup' | 'afterBackup' | 'beforeRestore' | 'afterRestore';

export function planHook(name: HookName, hook: Hook, env: Record<string, string>): CommandPlan {
  const argv = typeof hook.command === 'string' ? ['/bin/sh', '-c', hook.command] : hook.command;
  return {
    label: name,
    file: argv[0]!,
    args: argv.slice(1),
    env,
    timeoutMs: hook.timeoutSeconds * 1000,
  };
}

export function hookText(hook: Hook): string {
  return typeof hook.command === 'string' ? hook.command : hook.command.join(' ');
}

/** Runs a hook; its output lines go to the log. Throws CommandError on failure or timeout. */
export async function runHook(
  name: HookName,
  hook: Hook,
  env: Record<string, string>,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  await run(planHook(name, hook, env), { onStdoutLine: onLine, onStderrLine: onLine, signal });
}

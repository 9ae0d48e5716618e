// Runs the built CLI (dist/cli.js) as a child process, the way launchd, the tray and an admin
// run it, each test with its own HOME and XDG dirs so status and logs are its own.
import { execa, type ResultPromise } from 'execa';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines (with --json). */
  events: Record<string, any>[];
}

export interface CliEnv {
  home: string;
  env: Record<string, string>;
  stateDir: string;
  logDir: string;
}

export async function cliEnv(root: string, extra: Record<string, string> = {}): Promise<CliEnv> {
  const home = join(root, 'home');
  await mkdir(home, { recursive: true });
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    LANG: 'de_DE.UTF-8',
    LC_ALL: '',
    LC_MESSAGES: '',
    ...extra,
  };
  const stateDir = join(env.XDG_STATE_HOME, 'praxis-backup');
  return { home, env, stateDir, logDir: join(stateDir, 'logs') };
}

function parseEvents(stdout: string): Record<string, any>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

export async function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const r = await execa(process.execPath, [CLI, ...args], { env, reject: false, stdin: 'ignore' });
  const stdout = String(r.stdout);
  return { code: r.exitCode ?? -1, stdout, stderr: String(r.stderr), events: parseEvents(stdout) };
}

/** Starts the CLI without waiting, for tests that kill it or race it. */
export function startCli(args: string[], env: Record<string, string>): ResultPromise {
  return execa(process.execPath, [CLI, ...args], { env, reject: false, stdin: 'ignore' });
}

/** Everything the CLI wrote to its log dir, concatenated. */
export function readLogs(logDir: string): string {
  let names: string[] = [];
  try {
    names = readdirSync(logDir);
  } catch {
    return '';
  }
  return names.map((n) => readFileSync(join(logDir, n), 'utf8')).join('');
}

/** Every file below dir as text (latin1 and utf8), for "the password is nowhere" checks. */
export function allText(dir: string): string {
  if (!existsSync(dir)) return '';
  let out = '';
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isFile() && statSync(p).size < 5_000_000) out += readFileSync(p).toString('latin1') + readFileSync(p, 'utf8');
  }
  return out;
}

// Running the CLI on a real terminal (a pty made by script(1) from util-linux), to test what only
// happens there: prompts that hide what is typed. Each answer is typed only after its prompt is
// shown — before that the terminal may still be in echo mode.
import { execa } from 'execa';

export interface PtyStep {
  /** Text the program prints before this answer is typed. */
  waitFor: string;
  /** Typed, followed by Enter. */
  type: string;
}

/** Runs `command` (one shell string) in a pty; returns the exit code and everything the terminal showed. */
export async function runInPty(command: string, env: Record<string, string>, steps: PtyStep[], timeoutMs = 30_000): Promise<{ code: number | undefined; out: string }> {
  const child = execa('script', ['-qefc', command, '/dev/null'], { env: { ...env, TERM: 'dumb' }, extendEnv: false, stdin: 'pipe', reject: false });
  let seen = '';
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${text}" in: ${seen}`)), timeoutMs);
      const check = () => {
        if (seen.includes(text)) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      const onData = (d: Buffer) => {
        seen += d.toString();
        check();
      };
      child.stdout!.on('data', onData);
      check();
    });
  for (const s of steps) {
    await waitFor(s.waitFor);
    child.stdin!.write(`${s.type}\r`);
  }
  child.stdin!.end();
  const r = await child;
  return { code: r.exitCode, out: seen + String(r.stdout) };
}

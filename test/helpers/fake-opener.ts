// A stand-in for the desktop's opener. On Linux the app opens files with `xdg-open`
// (src/app/compose.ts openExternal), found on PATH; there is no desktop in the tests and so no
// opener behind it. This one, first on PATH, records its argv (one JSON array a call) and exits 0
// like xdg-open does after handing over — or 3, xdg-open's "no tool to open with" (a server
// without a desktop), while `failing(true)`.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeOpener {
  /** Put first on PATH. */
  bin: string;
  /** Every call so far: its argv (without the program). */
  calls(): string[][];
  /** From now on every call fails (true) or succeeds again (false). */
  failing(on: boolean): void;
}

export function installFakeOpener(root: string): FakeOpener {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  const callsFile = join(root, 'xdg-open-calls.jsonl');
  const failFlag = join(root, 'xdg-open-fails');
  writeFileSync(
    join(bin, 'xdg-open'),
    [
      `#!${process.execPath}`,
      `const fs = require('node:fs');`,
      `fs.appendFileSync(${JSON.stringify(callsFile)}, JSON.stringify(process.argv.slice(2)) + '\\n');`,
      `if (fs.existsSync(${JSON.stringify(failFlag)})) process.exit(3);`,
    ].join('\n') + '\n',
    { mode: 0o755 },
  );
  return {
    bin,
    calls: () =>
      existsSync(callsFile)
        ? readFileSync(callsFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
    failing: (on) => (on ? writeFileSync(failFlag, '') : rmSync(failFlag, { force: true })),
  };
}

// Which program the login starts: dist/tray.js beside the CLI that runs `tray install` (the
// scheduler's rule: this installation, absolute, symlinks resolved), run by this very Node binary on
// Linux and by qode on macOS (NodeGui's runtime there; plain Node cannot load the addon on a Mac).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Platform } from '../platform/paths';
import { ExitCode, PraxisError } from '../core/errors';
import type { TrayProgram } from './autostart';

/** `npm start`'s flag: a 1 MiB young generation keeps the all-day app's resident size down (README). */
export const TRAY_NODE_ARGS = ['--max-semi-space-size=1'];

/** `rel` in `from` or the nearest folder above it that has it (dist/ and src/autostart/ both find the project's). */
export function findUpwards(from: string, rel: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/** qode where @nodegui/qode's install script puts it (its src/config.js: binaries/qode). */
export const findQode = (from: string) => findUpwards(from, join('node_modules', '@nodegui', 'qode', 'binaries', 'qode'));

export function trayProgram(platform: Platform, cli: string, execPath: string, underQode = false): TrayProgram {
  const tray = join(dirname(cli), 'tray.js');
  if (!existsSync(tray)) throw new PraxisError('autostart.trayMissing', { path: tray }, ExitCode.failed);
  if (platform === 'linux') return { runtime: execPath, runtimeArgs: TRAY_NODE_ARGS, tray };
  const qode = underQode ? execPath : findQode(dirname(cli));
  if (!qode) throw new PraxisError('autostart.qodeMissing', { from: dirname(cli) }, ExitCode.failed);
  return { runtime: qode, runtimeArgs: [], tray };
}

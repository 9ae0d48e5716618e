// Argument parsing with node:util's parseArgs: built in, strict about unknown options, no
// dependency to keep up to date. Each command declares its own options.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors';

export const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = 0,
) {
  try {
    const r = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: allowPositionals > 0, strict: true });
    if (r.positionals.length > allowPositionals) throw new UsageError(`unexpected argument "${r.positionals[allowPositionals]}"`, command);
    return r;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message, command);
  }
}

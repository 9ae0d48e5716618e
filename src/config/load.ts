// Reads and validates config.json. Never writes anything: a bad config must leave no trace.
import { open } from 'node:fs/promises';
import type { z } from 'zod';
import { t, type Lang, type MessageKey, type Params } from '../i18n';
import { ConfigError, type ConfigProblem } from '../core/errors';
import { configSchema, type Config } from './schema';

export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** A value as a problem quotes it, cut short: an admin reads it on one line (depth is checked before). */
function show(v: unknown): string {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return text.length > 200 ? text.slice(0, 200) + '…' : text;
}

/** Turns zod's issues into problems that name the field and say what to do. */
export function toProblems(error: z.ZodError, input: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    const value = show(valueAt(input, issue.path));
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          problems.push({ path: formatPath([...issue.path, key]), key: 'config.problem.unknownKey', params: { key } });
        }
        break;
      case 'invalid_type':
        if (issue.received === 'undefined') problems.push({ path, key: 'config.problem.required', params: {} });
        else if (issue.expected === 'integer') problems.push({ path, key: 'config.problem.notInteger', params: {} });
        else problems.push({ path, key: 'config.problem.type', params: { expected: issue.expected, received: issue.received } });
        break;
      case 'invalid_literal':
      case 'invalid_enum_value': {
        const options = 'options' in issue ? issue.options.join(', ') : String(issue.expected);
        problems.push({ path, key: 'config.problem.enum', params: { value, options } });
        break;
      }
      case 'too_small':
        if (issue.message === 'noComponents') problems.push({ path, key: 'config.problem.noComponents', params: {} });
        else if (issue.type === 'string') problems.push({ path, key: 'config.problem.required', params: {} });
        else if (issue.type === 'array') problems.push({ path, key: 'config.problem.tooFew', params: { min: Number(issue.minimum) } });
        else problems.push({ path, key: 'config.problem.tooSmall', params: { min: Number(issue.minimum) } });
        break;
      case 'too_big':
        if (issue.message === 'tooManyMirrors') problems.push({ path, key: 'config.problem.tooManyMirrors', params: {} });
        else if (issue.type === 'string') problems.push({ path, key: 'config.problem.tooLong', params: { max: Number(issue.maximum) } });
        else problems.push({ path, key: 'config.problem.tooBig', params: { max: Number(issue.maximum) } });
        break;
      case 'invalid_union_discriminator':
        // zod's path already ends with the discriminator key ("components[0].type").
        problems.push({
          path,
          key: issue.message === 'mirrorType' ? 'config.problem.mirrorType' : 'config.problem.componentType',
          params: { value },
        });
        break;
      case 'invalid_union': {
        // Each plain union names its own hint (schema.ts, unionHint); one without is said plainly.
        const key = `config.problem.${issue.message}`;
        if (UNION_HINTS.has(key)) problems.push({ path, key: key as MessageKey, params: { value } });
        else problems.push({ path, key: 'config.problem.other', params: { message: issue.message } });
        break;
      }
      case 'invalid_string':
      case 'custom': {
        const params: Params = { value, ...((issue as { params?: Params }).params ?? {}) };
        const key = `config.problem.${issue.message}` as MessageKey;
        if (issue.message === 'cron') {
          problems.push({ path, key: 'config.problem.cron', params });
        } else if (issue.message === 'required') {
          problems.push({ path, key: 'config.problem.required', params: {} });
        } else if (isProblemKey(key)) {
          problems.push({ path, key, params });
        } else {
          problems.push({ path, key: 'config.problem.other', params: { message: issue.message } });
        }
        break;
      }
      default:
        problems.push({ path, key: 'config.problem.other', params: { message: issue.message } });
    }
  }
  return problems;
}

const PROBLEM_KEYS = new Set([
  'config.problem.absolute',
  'config.problem.dotdot',
  'config.problem.name',
  'config.problem.duplicate',
  'config.problem.smbUrl',
  'config.problem.overlapsBackupDir',
  'config.problem.insideComponent',
  'config.problem.email',
  'config.problem.httpUrl',
  'config.problem.resticRepository',
  'config.problem.resticRepositoryPassword',
  'config.problem.envName',
  'config.problem.resticAlwaysEncrypted',
  'config.problem.retentionKeepAndRules',
  'config.problem.retentionEmpty',
  'config.problem.volumeOrVolumes',
  'config.problem.rotationNeedsVolumes',
]);
const UNION_HINTS = new Set(['config.problem.volumeRef', 'config.problem.afterBackup', 'config.problem.hookCommand', 'config.problem.weeklySummary']);
function isProblemKey(k: string): k is MessageKey {
  return PROBLEM_KEYS.has(k);
}

export function renderProblem(lang: Lang, p: ConfigProblem): string {
  const params: Params = { ...p.params, path: p.path };
  if (p.key === 'config.problem.cron' && typeof params.field === 'string') {
    params.field = t(lang, `config.cronField.${params.field}` as MessageKey);
  }
  return t(lang, p.key, params);
}

/** A config file larger than this is not a config (a wrong --config, a log file): said, not parsed. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** A real config nests 4 levels (components[0].exclude[0]); far deeper is not one, and deep enough overflows the stack. */
export const MAX_CONFIG_DEPTH = 32;

// A surrogate half without its other half: JSON allows "\udcf6", UTF-8 cannot carry it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringProblem(s: string): MessageKey | null {
  if (LONE_SURROGATE.test(s)) return 'config.problem.notUnicode';
  if (s.includes('\0')) return 'config.problem.nulByte';
  return null;
}

/**
 * Input the schema must not see: nesting deeper than MAX_CONFIG_DEPTH (walked with a stack of our
 * own, so any depth is safe here); strings that are not valid Unicode (a lone surrogate: the file
 * system would get U+FFFD instead, another path) or hold a NUL byte (no path, name or argument can:
 * the run failed on it, exit 1, after creating the backup directory). One problem per field.
 */
function shapeProblems(input: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: input, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const key = stringProblem(v);
      if (key) problems.push({ path: formatPath(path), key, params: {} });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= MAX_CONFIG_DEPTH) {
      problems.push({ path: formatPath(path.slice(0, 4)) + '…', key: 'config.problem.tooDeep', params: { max: MAX_CONFIG_DEPTH } });
      continue;
    }
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, child] = entries[i]!;
      const key = stringProblem(k);
      if (key) problems.push({ path: formatPath([...path, k]), key, params: {} });
      else stack.push({ v: child, path: [...path, Array.isArray(v) ? Number(k) : k] });
    }
  }
  return problems;
}

/** Validates an already parsed object (the settings window will use this too). */
export function validateConfig(input: unknown, file: string): Config {
  const shape = shapeProblems(input);
  if (shape.length) throw new ConfigError(file, [], 'invalid', shape);
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(file, [], 'invalid', toProblems(parsed.error, input));
  return parsed.data;
}

/** At most MAX_CONFIG_BYTES + 1 bytes: enough to know it is too large, whatever the file is (/dev/zero, a FIFO). */
async function readLimited(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/** The fields (dotted paths) whose strings hold U+FFFD: where the bytes that are not UTF-8 were. */
function replacedFields(v: unknown, path: (string | number)[] = [], out: string[] = []): string[] {
  // Depth-limited: the text was parsed, but not yet checked for depth.
  if (path.length > MAX_CONFIG_DEPTH) return out;
  if (typeof v === 'string') {
    if (v.includes('\uFFFD')) out.push(formatPath(path));
  } else if (v !== null && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) {
      if (k.includes('\uFFFD')) out.push(formatPath([...path, k]));
      else replacedFields(child, [...path, Array.isArray(v) ? Number(k) : k], out);
    }
  }
  return out;
}

/**
 * Reads, parses and validates a config; throws ConfigError (exit 2) for anything wrong with it,
 * before any caller has created or written anything.
 */
export async function loadConfig(file: string): Promise<Config> {
  let bytes: Buffer;
  try {
    bytes = await readLimited(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(file, [], 'notFound');
    throw new ConfigError(file, [(e as Error).message], 'badJson');
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ConfigError(file, [], 'invalid', [{ path: formatPath([]), key: 'config.problem.fileTooLarge', params: { max: '1 MiB' } }]);
  }
  // Strict UTF-8: a lenient decode turns the bytes of a Latin-1 folder name into U+FFFD, a path
  // that exists nowhere; the run then failed on that folder (exit 1) after creating backupDir.
  let text: string;
  let notUtf8 = false;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('utf-8').decode(bytes);
    notUtf8 = true;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, [(e as Error).message], 'badJson');
  }
  if (notUtf8) {
    const fields = replacedFields(json);
    throw new ConfigError(
      file,
      [],
      'invalid',
      (fields.length ? fields : [formatPath([])]).map((path) => ({ path, key: 'config.problem.notUtf8', params: {} })),
    );
  }
  return validateConfig(json, file);
}

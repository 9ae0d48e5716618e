// The scratch database of a restore test (contract.ts: restoreTest), the part every kind shares:
// its name `praxis_verify_<id>` on the component's own server (a database or schema, as the kind
// has them), the leftovers a verify killed with -9 leaves (only names of exactly that form), the
// comparison of the restored rows with the manifest, and the drop on every way out. The live
// database is never touched: a kind's restoreTest never connects to it, renames or drops it.
import type { Message } from '../../i18n';
import { CommandError } from '../../process/runner';
import type { StepContext } from '../../run/step-context';
import type { RestoreTestResult } from '../contract';

export const SCRATCH_PREFIX = 'praxis_verify_';
const SCRATCH = /^praxis_verify_\d{8}_\d{6}$/;
/** PostgreSQL keeps 63 bytes of a name (and would silently cut a longer one), MariaDB 64 characters. */
const MAX_NAME = 63;

/** `praxis_verify_<id>`: 29 characters for a YYYYMMDD_HHMMSS id, far inside both servers' limits. */
export function scratchName(backupId: string): string {
  const name = `${SCRATCH_PREFIX}${backupId}`;
  if (!SCRATCH.test(name) || Buffer.byteLength(name) > MAX_NAME) throw new Error(`not a backup id: ${backupId}`);
  return name;
}

export const isScratchLeftover = (name: string): boolean => SCRATCH.test(name);

/** Row counts against the manifest: which tables differ, and which the manifest names but the dump lacks. */
export function compareRows(expected: Record<string, number> | undefined, actual: Map<string, number>, component: string): { problems: Message[]; warnings: Message[] } {
  if (!expected) return { problems: [], warnings: [{ key: 'verify.rowsNotRecorded', params: { component } }] };
  const differ: string[] = [];
  for (const [table, n] of actual) {
    const want = expected[table];
    if (want !== undefined && want !== n) differ.push(`${table} ${n} ≠ ${want}`);
  }
  const absent = Object.keys(expected).filter((k) => !actual.has(k)).sort();
  const problems: Message[] = [];
  if (differ.length) problems.push({ key: 'verify.rowsDiffer', params: { component, tables: differ.sort().join('; ') } });
  if (absent.length) problems.push({ key: 'verify.tablesAbsent', params: { component, tables: absent.join(', ') } });
  return { problems, warnings: [] };
}

/** The result with the row comparison's findings, and how many tables had a recorded count to compare with. */
export function withRows(result: RestoreTestResult, expected: Record<string, number> | undefined, counts: Map<string, number>, component: string): RestoreTestResult {
  const cmp = compareRows(expected, counts, component);
  result.problems.push(...cmp.problems);
  result.warnings.push(...cmp.warnings);
  result.counted = expected ? [...counts.keys()].filter((k) => expected[k] !== undefined).length : 0;
  return result;
}

/** The drop in every way out (pass, failure, cancel); when even that fails, the next verify removes it and says so. */
export async function dropScratch(ctx: StepContext, name: string, drop: () => Promise<unknown>): Promise<void> {
  try {
    await drop();
    ctx.reporter.info('verify.scratchDropped', { name });
  } catch (e) {
    const message = e instanceof CommandError ? e.stderrTail.slice(-2).join(' ') || e.message : (e as Error)?.message ?? String(e);
    ctx.reporter.warn('verify.scratchLeft', { name, message });
  }
}

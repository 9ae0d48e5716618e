// Crontab expressions as Elexis-OOB documents them: minute hour day month weekday, with `*`,
// numbers, lists (1,3,4), ranges (1-5) and steps (*/10). cron-parser does the range checks; we
// check each field on its own first so that the message can name the field and its value.
import { CronExpressionParser } from 'cron-parser';

export const CRON_FIELDS = ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const;
export type CronField = (typeof CRON_FIELDS)[number];

export interface CronProblem {
  /** Which of the five fields is wrong, or 'expression' when the count of fields is. */
  field: CronField | 'expression';
  value: string;
  reason: string;
}

const FIELD_SYNTAX = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

export function cronProblem(expr: string): CronProblem | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 || expr.trim() === '') {
    return { field: 'expression', value: expr, reason: `5 fields expected (minute hour day month weekday), got ${expr.trim() ? fields.length : 0}` };
  }
  for (let i = 0; i < 5; i++) {
    const value = fields[i]!;
    const field = CRON_FIELDS[i]!;
    if (!FIELD_SYNTAX.test(value)) return { field, value, reason: 'only *, numbers, lists (1,3), ranges (1-5) and steps (*/10) are allowed' };
    const probe = ['*', '*', '*', '*', '*'];
    probe[i] = value;
    try {
      CronExpressionParser.parse(probe.join(' '));
    } catch (e) {
      return { field, value, reason: (e as Error).message };
    }
  }
  try {
    CronExpressionParser.parse(expr);
  } catch (e) {
    // e.g. "* * 31 2 *": each field fine, the combination never happens.
    return { field: 'dayOfMonth', value: fields[2]!, reason: (e as Error).message };
  }
  return null;
}

/** The next `count` run times after `from`. Assumes a valid expression. */
export function nextRuns(expr: string, count: number, from: Date = new Date()): Date[] {
  const it = CronExpressionParser.parse(expr, { currentDate: from });
  const out: Date[] = [];
  for (let i = 0; i < count; i++) out.push(it.next().toDate());
  return out;
}

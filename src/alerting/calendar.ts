// When the calendar says something is due: the weekly summary („Wochenbericht“) and the monthly
// Datensicherungsprotokoll. Pure functions of the config, the state kept in status.json and the
// clock (app.now(), which tests set), in the server's local time: a practice thinks in its days.
//
// "Due" means: the first look (a run, `status`, the tray's check) on or after the day. A server
// that was off on Monday sends Monday's summary on Tuesday, and never twice: the state remembers
// which week (ISO week of the due day) or month was sent.
import type { NotifyConfig } from '../config/schema';

export type Weekday = Exclude<NotifyConfig['weeklySummary'], false>;

/** ISO order: Monday first. */
export const WEEKDAYS: readonly Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** A stretch of local time, `from` inclusive, `to` exclusive. */
export interface Period {
  from: Date;
  to: Date;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Midnight local time of `d`'s day, `plusDays` later (calendar days, so a DST change is a 23 or 25 h day). */
export function localDayStart(d: Date, plusDays = 0): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + plusDays);
}

/** 2026-12-02 (local): the key of "once a day". */
export function localDayKey(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** 2026-W49: the ISO 8601 week of `d`'s local date (Monday first; week 1 holds the year's first Thursday). */
export function isoWeek(d: Date): string {
  const day = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  day.setUTCDate(day.getUTCDate() + 4 - (day.getUTCDay() || 7)); // this week's Thursday decides the year
  const year = day.getUTCFullYear();
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${pad(week)}`;
}

export interface WeeklyDue {
  /** The ISO week of the due day: what status.json records as sent. */
  week: string;
  /** The seven days before the due day (its midnight), so each night is in exactly one summary. */
  period: Period;
}

/**
 * The week whose summary is due now, or null. The due day is the configured weekday on or before
 * today; what is reported are the seven days up to that day's midnight (a summary on Monday covers
 * Monday to Sunday of the week before, whichever day it is actually sent).
 */
export function weeklySummaryDue(day: NotifyConfig['weeklySummary'] | undefined, sent: string | undefined, now: Date): WeeklyDue | null {
  if (!day) return null;
  const target = WEEKDAYS.indexOf(day);
  const today = (now.getDay() + 6) % 7;
  const back = (today - target + 7) % 7;
  const dueDay = localDayStart(now, -back);
  const week = isoWeek(dueDay);
  if (sent === week) return null;
  return { week, period: { from: localDayStart(dueDay, -7), to: dueDay } };
}

export interface MonthlyDue {
  /** 2026-11: the month reported, what status.json records as sent. */
  month: string;
  period: Period;
}

/** The month before `now`'s, as YYYY-MM with its local bounds. */
export function previousMonth(now: Date): MonthlyDue {
  const from = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  const to = new Date(now.getFullYear(), now.getMonth(), 1);
  return { month: `${from.getFullYear()}-${pad(from.getMonth() + 1)}`, period: { from, to } };
}

/** Last month's protocol, when it has not been sent yet (the first look on or after the 1st sends it). */
export function monthlyReportDue(enabled: boolean | undefined, sent: string | undefined, now: Date): MonthlyDue | null {
  if (!enabled) return null;
  const due = previousMonth(now);
  return sent === due.month ? null : due;
}

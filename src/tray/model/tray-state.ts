// What the menu bar shows, as data: the engine's status file, the config and the run this app is
// following go in; the icon state, the tooltip and the menu entries come out. Qt-free, so every
// state is unit-tested without a display; the Qt view (tray-app.ts) only renders this and forwards
// clicks. The menu is rebuilt from here each time it opens.
import { nextRuns } from '../../config/cron';
import type { Config } from '../../config/schema';
import { render, t, type Lang, type Message, type MessageKey } from '../../i18n';
import type { Alert } from '../../alerting/alert-rules';
import type { DestinationStatus, Status } from '../../run/status-store';
import { diskFacts, type DiskFacts } from '../../mirror/rotation';

export type TrayIconState = 'ok' | 'running' | 'warning' | 'error';

export type MenuAction = 'backupNow' | 'cancel' | 'showLog' | 'exportReport' | 'restore' | 'credentials' | 'emergencySheet' | 'concept' | 'setup' | 'settings' | 'autostart' | 'help' | 'fullDiskAccess' | 'quit';

export type Tone = 'normal' | 'ok' | 'warning' | 'error';

export type MenuEntry =
  | { kind: 'info'; id: string; text: string; tone: Tone }
  | { kind: 'action'; action: MenuAction; text: string; enabled: boolean; /** e.g. the mirror of an emergency sheet */ arg?: string; /** a switch: shown with a check mark */ checked?: boolean }
  | { kind: 'separator' };

export interface TrayView {
  icon: TrayIconState;
  /** 0–100 while running, where known: the icon shows it. */
  percent?: number;
  tooltip: string;
  menu: MenuEntry[];
}

/** The run this app started (it reads the CLI's JSON-lines events), before the status file has caught up. */
export interface OwnRun {
  startedAt: string;
  phase: string;
  component?: string;
  percent?: number;
  cancelling?: boolean;
}

export interface TrayInput {
  lang: Lang;
  now: Date;
  status: Status & { interrupted?: boolean };
  /** null when there is no usable config: `configProblem` says why. */
  config: Pick<Config, 'mirrors' | 'schedule'> | null;
  configProblem?: Message;
  ownRun: OwnRun | null;
  /** macOS: Full Disk Access of the scheduled run or this app was denied. */
  fullDiskAccessDenied?: boolean;
  /** Stays false until the restore issue lands: the entry is shown, disabled. */
  restoreAvailable?: boolean;
  /** From computeAlerts (src/alerting/alert-rules.ts): too old, verification failed, schedule missed. */
  alerts?: Alert[];
  /** Notices waiting in the outbox for over a day (src/alerting/undelivered.ts): nobody off the machine hears. */
  undelivered?: { count: number; since: Date } | null;
  /** Whether the login starts this app (`tray install`); undefined: no „Bei Anmeldung starten“ switch. */
  autostart?: boolean;
  /**
   * UUIDs of the disks attached now (the tray lists the volumes when its menu opens and when the
   * status changes); undefined: not known, and a rotating set's disk lines then leave out where the
   * disk is. Not guessed from lastSeen: a disk that was just copied to and ejected was seen a
   * minute ago and is already in the doctor's bag.
   */
  attachedDisks?: string[];
}

const REASON_MAX = 90;

/** One sentence for a menu line: the first sentence, cut with an ellipsis when still too long. */
export function oneSentence(text: string, max = REASON_MAX): string {
  const first = /^(.+?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  const line = first.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

function locale(lang: Lang): string {
  return lang === 'de' ? 'de-DE' : 'en-GB';
}

function clock(d: Date, lang: Lang): string {
  return d.toLocaleTimeString(locale(lang), { hour: '2-digit', minute: '2-digit' });
}

function dayStart(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** „heute 03:15“, „gestern 03:15“, „morgen 03:15“, else the date: for the last and the next run. */
export function dayAndTime(d: Date, now: Date, lang: Lang): string {
  const days = Math.round((dayStart(d) - dayStart(now)) / 86_400_000);
  const time = clock(d, lang);
  if (days === 0) return t(lang, 'tray.when.today', { time });
  if (days === -1) return t(lang, 'tray.when.yesterday', { time });
  if (days === 1) return t(lang, 'tray.when.tomorrow', { time });
  const date = d.toLocaleDateString(locale(lang), { weekday: 'short', day: '2-digit', month: '2-digit', year: days < -300 || days > 300 ? 'numeric' : undefined });
  return t(lang, 'tray.when.date', { date, time });
}

/** „vor 5 Minuten“, „vor 3 Stunden“, „vor 2 Tagen“: how old a destination's last copy is. */
export function ago(d: Date, now: Date, lang: Lang): string {
  const ms = Math.max(0, now.getTime() - d.getTime());
  const min = Math.floor(ms / 60_000);
  if (min < 1) return t(lang, 'tray.ago.justNow');
  if (min < 60) return t(lang, min === 1 ? 'tray.ago.minute' : 'tray.ago.minutes', { n: min });
  const h = Math.floor(min / 60);
  if (h < 24) return t(lang, h === 1 ? 'tray.ago.hour' : 'tray.ago.hours', { n: h });
  const days = Math.floor(h / 24);
  return t(lang, days === 1 ? 'tray.ago.day' : 'tray.ago.days', { n: days });
}

function failedAfterSuccess(d: DestinationStatus | undefined): boolean {
  return !!d?.lastFailure && (!d.lastSuccess || d.lastFailure.at > d.lastSuccess.at);
}

interface Finding {
  tone: 'warning' | 'error';
  text: string;
}

/** Everything that makes the icon turn orange or red, most important first. */
function findings(input: TrayInput): Finding[] {
  const { lang, now, status: s, config } = input;
  const out: Finding[] = [];
  if (!config) out.push({ tone: 'error', text: input.configProblem ? oneSentence(render(lang, input.configProblem), 120) : t(lang, 'tray.state.noConfig') });
  if (s.interrupted) out.push({ tone: 'error', text: t(lang, 'tray.state.interrupted') });
  const last = s.lastRun;
  if (last?.result === 'failed') {
    out.push({ tone: 'error', text: t(lang, 'tray.state.failed', { reason: last.message ? oneSentence(render(lang, last.message)) : `exit ${last.exitCode}` }) });
  }
  // A disk that could not be ejected must not be pulled out: said before anything else of its tone.
  for (const w of last?.warnings ?? []) {
    if (w.key === 'error.ejectRefused') {
      out.push({ tone: 'warning', text: t(lang, 'tray.state.ejectRefused', { label: String(w.params?.label ?? ''), process: String(w.params?.process ?? '?') }) });
    }
  }
  const local = s.destinations.local;
  if (!local?.lastSuccess && config) out.push({ tone: 'warning', text: t(lang, 'tray.state.neverBackedUp') });
  // Too old (per destination, thresholds from the config), a failed verification, a missed night.
  // "Never" for the local folder is the line above already.
  for (const a of input.alerts ?? []) {
    if (a.kind === 'never' && a.destination === 'local') continue;
    if (a.kind === 'notEjected') continue; // said first, above, in the tray's own words
    const text = render(lang, a.message);
    out.push({ tone: a.severity, text: text.length > 160 ? `${text.slice(0, 159).trimEnd()}…` : text });
  }
  for (const m of config?.mirrors ?? []) {
    if (failedAfterSuccess(s.destinations[m.name])) {
      out.push({ tone: m.required ? 'error' : 'warning', text: t(lang, 'tray.state.mirrorMissed', { name: destinationLabel(lang, m), reason: oneSentence(render(lang, s.destinations[m.name]!.lastFailure!.message), 70) }) });
    }
  }
  if (last?.result === 'warning' && !out.some((f) => f.tone === 'warning')) {
    out.push({ tone: 'warning', text: t(lang, 'tray.state.warnings', { count: last.warnings.length }) });
  }
  if (s.lastSkipped && (!last || s.lastSkipped.at > last.startedAt)) {
    out.push({ tone: 'warning', text: t(lang, 'tray.state.skipped', { when: dayAndTime(new Date(s.lastSkipped.at), now, lang) }) });
  }
  if (input.fullDiskAccessDenied) out.push({ tone: 'warning', text: t(lang, 'tray.state.fullDiskAccess') });
  if (input.undelivered) out.push({ tone: 'warning', text: t(lang, 'tray.state.undelivered', { count: input.undelivered.count, when: dayAndTime(input.undelivered.since, now, lang) }) });
  return out;
}

function statusLine(input: TrayInput): { text: string; tone: Tone } {
  const { lang, now, status: s } = input;
  const last = s.lastRun;
  if (last?.result === 'failed') {
    return { text: t(lang, 'tray.line.failed', { reason: last.message ? oneSentence(render(lang, last.message)) : `exit ${last.exitCode}` }), tone: 'error' };
  }
  const success = s.destinations.local?.lastSuccess;
  if (!success) return { text: t(lang, 'tray.state.neverBackedUp'), tone: 'warning' };
  const when = dayAndTime(new Date(success.at), now, lang);
  if (last?.result === 'warning') return { text: t(lang, 'tray.line.lastWithWarnings', { when, count: last.warnings.length }), tone: 'warning' };
  return { text: t(lang, 'tray.line.last', { when }), tone: 'ok' };
}

function runningLine(input: TrayInput): string | null {
  const { lang, status: s, ownRun } = input;
  const r = s.running;
  if (!r && !ownRun) return null;
  if (ownRun?.cancelling) return t(lang, 'tray.line.cancelling');
  const percent = ownRun?.percent ?? r?.percent;
  const phase = ownRun?.phase ?? r?.phase ?? 'start';
  const component = ownRun?.component ?? r?.component;
  const what = phase === 'mirror' && component ? t(lang, 'tray.phase.mirrorTo', { name: component }) : (component ?? phaseText(lang, phase));
  return percent !== undefined ? t(lang, 'tray.line.runningPercent', { percent: Math.round(percent), what }) : t(lang, 'tray.line.running', { what });
}

function phaseText(lang: Lang, phase: string): string {
  switch (phase) {
    case 'mirror':
      return t(lang, 'tray.phase.mirror');
    case 'retention':
      return t(lang, 'tray.phase.retention');
    default:
      return t(lang, 'tray.phase.preparing');
  }
}

/**
 * A mirror as its menu line names it: by its name, or where the catalogue has words for its kind
 * (`tray.dest.named.<type>`: „Auslagerung „aussen““) with them — a repository's name alone does
 * not say that the copy is off-site.
 */
export function destinationLabel(lang: Lang, m: { name: string; type: string }): string {
  const key = `tray.dest.named.${m.type}` as MessageKey;
  const named = t(lang, key, { name: m.name });
  return named === key ? m.name : named;
}

function destinationLines(input: TrayInput): MenuEntry[] {
  const { lang, now, status: s, config } = input;
  const dests = [{ name: 'local', label: t(lang, 'tray.dest.local'), disks: [] as DiskFacts[] }, ...(config?.mirrors ?? []).map((m) => ({ name: m.name, label: destinationLabel(lang, m), disks: diskFacts(m, s, input.attachedDisks) }))];
  return dests.flatMap(({ name, label, disks }): MenuEntry[] => {
    const d = s.destinations[name];
    const line: MenuEntry = failedAfterSuccess(d)
      ? { kind: 'info', id: `dest:${name}`, text: t(lang, 'tray.dest.failed', { dest: label, ago: ago(new Date(d!.lastFailure!.at), now, lang) }), tone: 'warning' }
      : !d?.lastSuccess
        ? { kind: 'info', id: `dest:${name}`, text: t(lang, 'tray.dest.never', { dest: label }), tone: 'normal' }
        : { kind: 'info', id: `dest:${name}`, text: t(lang, 'tray.dest.last', { dest: label, ago: ago(new Date(d.lastSuccess.at), now, lang) }), tone: 'normal' };
    return [line, ...disks.map((f) => diskLine(name, f, now, lang))];
  });
}

/**
 * One disk of a rotating set: „USB „Freitag“: vor 6 Tagen, zu Hause“ / „…, angeschlossen“ — when
 * the last copy onto it was, and whether it is here (from the volume list; left out when unknown).
 */
export function diskLine(mirror: string, f: DiskFacts, now: Date, lang: Lang): MenuEntry {
  const label = f.label ?? (f.uuid.length > 13 ? `${f.uuid.slice(0, 8)}…` : f.uuid);
  const when = f.lastSuccessAt ? ago(new Date(f.lastSuccessAt), now, lang) : t(lang, 'tray.disk.never');
  const key = f.attached === undefined ? 'tray.disk.last' : f.attached ? 'tray.disk.attached' : 'tray.disk.away';
  return { kind: 'info', id: `disk:${mirror}:${f.uuid}`, text: t(lang, key, { label, ago: when }), tone: f.lastFailure ? 'warning' : 'normal' };
}

function nextRunLine(input: TrayInput): string {
  const { lang, now, config } = input;
  const cron = config?.schedule?.cron;
  if (!cron) return t(lang, 'tray.line.noSchedule');
  const next = nextRuns(cron, 1, now)[0];
  return next ? t(lang, 'tray.line.next', { when: dayAndTime(next, now, lang) }) : t(lang, 'tray.line.noSchedule');
}

export function trayView(input: TrayInput): TrayView {
  const { lang } = input;
  const running = runningLine(input);
  const found = findings(input);
  const icon: TrayIconState = running ? 'running' : found.some((f) => f.tone === 'error') ? 'error' : found.length ? 'warning' : 'ok';
  const status = statusLine(input);
  const menu: MenuEntry[] = [];
  if (running) menu.push({ kind: 'info', id: 'running', text: running, tone: 'normal' });
  menu.push({ kind: 'info', id: 'status', text: status.text, tone: status.tone });
  // The status line already carries a failed run's reason; the rest of the findings follow it.
  for (const f of found) {
    if (f.text !== status.text && !status.text.includes(f.text)) menu.push({ kind: 'info', id: 'finding', text: f.text, tone: f.tone });
  }
  menu.push({ kind: 'info', id: 'next', text: nextRunLine(input), tone: 'normal' });
  menu.push(...destinationLines(input));
  menu.push({ kind: 'separator' });
  if (running) {
    menu.push({ kind: 'action', action: 'cancel', text: t(lang, 'tray.action.cancel'), enabled: !input.ownRun?.cancelling });
  } else {
    menu.push({ kind: 'action', action: 'backupNow', text: t(lang, 'tray.action.backupNow'), enabled: input.config !== null });
  }
  menu.push({ kind: 'action', action: 'showLog', text: t(lang, 'tray.action.showLog'), enabled: true });
  // The month's Datensicherungsprotokoll as a PDF (the CLI writes it from the logs and manifests).
  menu.push({ kind: 'action', action: 'exportReport', text: t(lang, 'tray.action.exportReport'), enabled: input.config !== null });
  menu.push({ kind: 'action', action: 'restore', text: t(lang, 'tray.action.restore'), enabled: !!input.restoreAvailable && !running });
  if (input.fullDiskAccessDenied) menu.push({ kind: 'action', action: 'fullDiskAccess', text: t(lang, 'tray.action.fullDiskAccess'), enabled: true });
  menu.push({ kind: 'separator' });
  menu.push({ kind: 'action', action: 'credentials', text: t(lang, 'tray.action.credentials'), enabled: true });
  // Each encrypted mirror's Notfallblatt, to print again (a second safe, a lost copy).
  for (const m of input.config?.mirrors ?? []) {
    if (m.encrypt) menu.push({ kind: 'action', action: 'emergencySheet', arg: m.name, text: t(lang, 'tray.action.emergencySheet', { name: m.name }), enabled: true });
  }
  // The practice's Datensicherungskonzept, made from the config: printed beside the Notfallblatt.
  menu.push({ kind: 'action', action: 'concept', text: t(lang, 'tray.action.concept'), enabled: input.config !== null });
  // Not set up yet (no config file): the first-run assistant again, after „Später“ in its window.
  if (!input.config && !input.configProblem) menu.push({ kind: 'action', action: 'setup', text: t(lang, 'tray.action.setup'), enabled: true });
  menu.push({ kind: 'action', action: 'settings', text: t(lang, 'tray.action.settings'), enabled: true });
  if (input.autostart !== undefined) menu.push({ kind: 'action', action: 'autostart', text: t(lang, 'tray.action.autostart'), enabled: true, checked: input.autostart });
  // The practice's handbook (docs/handbuch.md, docs/manual.md): always there, also without a config.
  menu.push({ kind: 'action', action: 'help', text: t(lang, 'tray.action.help'), enabled: true });
  menu.push({ kind: 'separator' });
  menu.push({ kind: 'action', action: 'quit', text: t(lang, running ? 'tray.action.quitWhileRunning' : 'tray.action.quit'), enabled: true });

  const percent = running ? (input.ownRun?.percent ?? input.status.running?.percent) : undefined;
  const headline = running ?? (found[0]?.text || status.text);
  return { icon, percent, tooltip: `Praxis-Backup – ${headline}`, menu };
}

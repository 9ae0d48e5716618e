// The settings window's model, Qt-free so all of it is tested without a display: the form state
// (strings, as the widgets hold them), the way back to a config, validation through the very same
// validateConfig as the CLI (so the window can never accept what a scheduled run would reject),
// the live schedule preview, the volume choices, and saving (atomic write + (re)installing the
// schedule through the Scheduler port).
import { resolve } from 'node:path';
import { cronProblem, nextRuns, type CronProblem } from '../../config/cron';
import { formatPath, renderProblem, validateConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { KINDS, kindOf } from '../../databases/registry';
import type { MirrorFormFields } from '../../destinations/contract';
import { DESTINATION_KINDS } from '../../destinations/registry';
import type { Volume } from '../../core/volumes';
import { formatBytes, render, t, type Lang, type MessageKey } from '../../i18n';
import { describeCron } from '../../schedule/cron-describe';
import { lingerInstallMessage } from '../../schedule/linger';
import type { Scheduler } from '../../schedule/scheduler';
import { ConfigError, PraxisError, type ConfigProblem } from '../../core/errors';
import { flag, inOriginalOrder, obj, str, text, whole, withoutUndefined } from './form-values';
import { notifyConfigOf, notifyFieldLabel, notifyFieldOf, notifyFormFrom, type NotifyFormState } from './notify-form';
import { writeFileAtomically, type RawConfig } from './settings-file';
import { retentionConfigOf, retentionFormFrom, type RetentionForm } from './retention-form';
import { GENERATION_RULES } from '../../retention/policy';

/** The type column's choices: every type of every registered database kind, in the registry's order, then a folder. */
export const COMPONENT_TYPES: readonly string[] = [...KINDS.flatMap((k) => k.types as readonly string[]), 'folder'];
/** What „+ Datenbank“ adds: the registry's first kind (the type column changes it). */
export const NEW_DATABASE_TYPE: string = KINDS[0]!.types[0]!;
/** The mirror type column's choices: the destination kinds that say how the window edits them, in the registry's order. */
export const MIRROR_TYPES: readonly string[] = DESTINATION_KINDS.filter((k) => k.form).map((k) => k.type as string);

/**
 * How a mirror row of this type is edited (the kind's own `form`); a type the window does not know
 * (a typo in the file) as a folder, so what was typed still goes back into the file.
 */
export function mirrorFields(type: string): MirrorFormFields {
  return DESTINATION_KINDS.find((k) => k.type === type)?.form ?? { where: 'path' };
}
/** The choices of a database's „Passwort“ column, '' first: the config's default (not set). */
export const PASSWORD_MODES = ['', 'keyring', 'none'] as const;
export const MIRROR_MODES = ['all', 'latest'] as const;

export interface ComponentRow {
  name: string;
  /** One of COMPONENT_TYPES; kept as the string the config had. */
  type: string;
  database: string;
  host: string;
  port: string;
  user: string;
  path: string;
  /**
   * Where a database's password comes from (config `password`): '' = not set (no password first,
   * the keyring only when the server asks), 'keyring', 'none' (never the keyring). One of PASSWORD_MODES.
   */
  password: string;
  /** The component as it was on disk: what the window does not edit (e.g. a folder's `exclude`)
   * is kept from it verbatim, as long as the type stays (another type would reject those keys). */
  origin?: Record<string, unknown>;
}

export interface MirrorRow {
  name: string;
  type: string;
  /** 'uuid:<uuid>' or 'label:<label>' (see volumeValue), '' when none is chosen yet. */
  volume: string;
  /**
   * A rotating set of disks (config `volumes`), the entries as the file has them: written back as
   * they are, never collapsed to one `volume`. Absent for a single disk.
   */
  volumes?: Record<string, unknown>[];
  url: string;
  user: string;
  path: string;
  /** An off-site repository's address in restic's syntax (sftp:…, rest:…, s3:…, a path). */
  repository: string;
  mode: string;
  eject: boolean;
  /** The server refuses deletions (the config's default: on). */
  appendOnly: boolean;
  required: boolean;
  /**
   * Not shown (encryption is set up with `encryption setup` / `volumes prepare`), but carried
   * through every edit, also a change of type: a form must never turn an encrypted mirror into a
   * plain one without anybody saying so.
   */
  encrypt: boolean;
  origin?: Record<string, unknown>;
}

export interface SettingsForm {
  backupDir: string;
  components: ComponentRow[];
  mirrors: MirrorRow[];
  /** Empty: no schedule (saving removes an installed one). */
  cron: string;
  /** „Aufbewahrung“: a count or generations (model/retention-form.ts). */
  retention: RetentionForm;
  /** „Benachrichtigungen“ (model/notify-form.ts). */
  notify: NotifyFormState;
}

/** What a new config starts with: the schedule of the Elexis manual's example (Mo–Fr 03:15). */
export const NEW_CRON = '15 3 * * 1-5';

const COMPONENT_EDITED = ['name', 'type', 'database', 'host', 'port', 'user', 'path', 'password'];
const MIRROR_EDITED = ['name', 'type', 'volume', 'volumes', 'url', 'user', 'path', 'repository', 'mode', 'eject', 'appendOnly', 'required', 'encrypt'];

const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(obj) : []);

/** What the window does not edit of an original row, when the row still has the original's type. */
function extraOf(type: string, origin: Record<string, unknown> | undefined, edited: string[]): Record<string, unknown> {
  if (!origin || origin.type !== type) return {};
  return Object.fromEntries(Object.entries(origin).filter(([k]) => !edited.includes(k)));
}

export function volumeValue(ref: unknown): string {
  const r = obj(ref);
  if (typeof r.uuid === 'string') return `uuid:${r.uuid}`;
  if (typeof r.label === 'string') return `label:${r.label}`;
  return '';
}

export function volumeRefOf(value: string): { uuid: string } | { label: string } | undefined {
  if (value.startsWith('uuid:') && value.length > 5) return { uuid: value.slice(5) };
  if (value.startsWith('label:') && value.length > 6) return { label: value.slice(6) };
  return undefined;
}

/** The form for a config as it is on disk (valid or not), or for a first setup (null). */
export function formFromConfig(config: Readonly<RawConfig> | null): SettingsForm {
  if (!config) return { backupDir: '', components: [], mirrors: [], cron: NEW_CRON, retention: retentionFormFrom(undefined), notify: notifyFormFrom(undefined) };
  return {
    backupDir: str(config.backupDir),
    components: list(config.components).map((c) => ({
      name: str(c.name),
      type: str(c.type),
      database: str(c.database),
      host: str(c.host),
      port: str(c.port),
      user: str(c.user),
      path: str(c.path),
      password: str(c.password),
      origin: c,
    })),
    mirrors: list(config.mirrors).map((m) => ({
      name: str(m.name),
      type: str(m.type),
      volume: volumeValue(m.volume),
      ...(Array.isArray(m.volumes) ? { volumes: list(m.volumes).map((d) => ({ ...d })) } : {}),
      url: str(m.url),
      user: str(m.user),
      path: str(m.path),
      repository: str(m.repository),
      mode: str(m.mode) || 'all',
      eject: m.eject === true,
      appendOnly: m.appendOnly !== false,
      required: m.required === true,
      // A kind that always encrypts is encrypted without saying so in the file: changed to another kind, it stays so.
      encrypt: m.encrypt === true || (mirrorFields(str(m.type)).alwaysEncrypted === true && m.encrypt !== false),
      origin: m,
    })),
    cron: str(obj(config.schedule).cron),
    retention: retentionFormFrom(config.retention),
    notify: notifyFormFrom(config.notify),
  };
}

function componentOf(row: ComponentRow): Record<string, unknown> {
  const extra = extraOf(row.type, row.origin, COMPONENT_EDITED);
  const base = { name: text(row.name), type: row.type };
  if (row.type === 'folder') return inOriginalOrder({ ...base, path: text(row.path), ...extra }, row.origin);
  return inOriginalOrder({ ...base, database: text(row.database), host: text(row.host), port: whole(row.port), user: text(row.user), password: text(row.password), ...extra }, row.origin);
}

function mirrorOf(row: MirrorRow): Record<string, unknown> {
  const extra = extraOf(row.type, row.origin, MIRROR_EDITED);
  const base = { name: text(row.name), type: row.type };
  const mode = row.mode === 'all' && row.origin && !('mode' in row.origin) ? undefined : row.mode; // 'all' is the default
  const f = mirrorFields(row.type);
  const sameKind = row.origin?.type === row.type;
  // Always encrypted: `encrypt` stays as the file had it (a row of another kind's `false` would be refused).
  const encrypt = f.alwaysEncrypted ? (sameKind ? row.origin!.encrypt : undefined) : flag(row.encrypt, 'encrypt', row.origin);
  const tail = { mode, required: flag(row.required, 'required', row.origin), encrypt, ...extra };
  // A rotating set stays a set: `volumes` instead of `volume` (the schema wants exactly one of them).
  const set = f.where === 'volume' && row.volumes ? { volumes: row.volumes.map((d) => ({ ...d })) } : {};
  const where = f.where === 'volume' ? (row.volumes ? undefined : volumeRefOf(row.volume)) : text(targetText(row, f));
  const user = f.user ? { user: text(row.user) } : {};
  const eject = f.eject ? { eject: flag(row.eject, 'eject', row.origin) } : {};
  // Written for a new row (the file then says what it does); left out when the file left it to its default and it still is.
  const appendOnly = f.appendOnly ? { appendOnly: row.appendOnly && sameKind && !('appendOnly' in row.origin!) ? undefined : row.appendOnly } : {};
  return inOriginalOrder({ ...base, [f.where]: where, ...set, ...user, ...eject, ...appendOnly, ...tail }, row.origin);
}

/** A rotating set's target column: „3 wechselnde Platten: Montag, Mittwoch, Freitag“ (a disk without a label by its UUID); null for one disk. */
export function rotationText(row: Pick<MirrorRow, 'volumes'>, lang: Lang): string | null {
  if (!row.volumes) return null;
  const names = row.volumes.map((d) => str(d.label) || shortUuid(str(d.uuid)));
  return t(lang, row.volumes.length === 1 ? 'tray.settings.rotation.one' : 'tray.settings.rotation.many', { count: row.volumes.length, names: names.join(', ') });
}

/**
 * Adds an attached disk (by its UUID: a set's disks are told apart by UUID only) to the row's
 * rotating set, with the name people call it by („Freitag“). A row with one disk chosen by UUID
 * becomes a set with that disk first; the same disk twice is not added.
 */
export function addDiskToSet(row: MirrorRow, uuid: string, label: string): void {
  const set = row.volumes ?? (row.volume.startsWith('uuid:') ? [{ uuid: row.volume.slice(5) }] : []);
  if (set.some((d) => str(d.uuid).toLowerCase() === uuid.toLowerCase())) return;
  row.volumes = [...set, withoutUndefined({ uuid, label: text(label) })];
  row.volume = '';
}

/** Takes a disk out of the row's set; the last one taken out leaves the row with no disk chosen. */
export function removeDiskFromSet(row: MirrorRow, index: number): void {
  if (!row.volumes) return;
  const rest = row.volumes.filter((_, i) => i !== index);
  row.volumes = rest.length ? rest : undefined;
}

/** The text field's value for the row's kind: a share's URL, a folder, a repository's address (a disk is chosen in a list). */
export function targetText(row: MirrorRow, f: MirrorFormFields = mirrorFields(row.type)): string {
  return f.where === 'url' ? row.url : f.where === 'repository' ? row.repository : row.path;
}

/** Which of the row's fields the text field edits (for a disk: none). */
export function targetField(type: string): 'url' | 'path' | 'repository' | null {
  const where = mirrorFields(type).where;
  return where === 'volume' ? null : where;
}

/**
 * The config to save: the original with the parts this window edits replaced. Everything else
 * (hooks, schedule.onDiskAttach, keys a later version adds) stays as it was, in its place.
 */
export function configFromForm(form: SettingsForm, original: Readonly<RawConfig> | null): RawConfig {
  const out: RawConfig = { ...(original ?? {}) };
  out.backupDir = text(form.backupDir);
  out.components = form.components.map(componentOf);
  // A config without "retention" has the default generations; writing them out would be a change nobody made.
  out.retention = retentionConfigOf(form.retention, out.retention, 'retention' in out && out.retention !== undefined);
  if (form.mirrors.length || 'mirrors' in out) out.mirrors = form.mirrors.map(mirrorOf);
  const cron = form.cron.trim().replace(/\s+/g, ' ');
  out.schedule = cron ? { ...obj(out.schedule), cron } : undefined;
  out.notify = notifyConfigOf(form.notify);
  return withoutUndefined(out);
}

// ---- validation: problems mapped to the widgets that show them ----

/** Which part of the window shows a problem: 'backupDir', 'components.1.port', 'mirrors.0',
 * 'schedule', 'retention', … or 'other' for parts the window does not edit (hooks, unknown keys). */
export type FieldId = string;

export interface FieldProblem {
  field: FieldId;
  /** The config path as the CLI prints it ("components[1].port"). */
  path: string;
  problem: ConfigProblem;
  /** In the window's language, naming the field the way the window labels it. */
  message: string;
}

const NUMERIC = new Set(['port', 'keep', ...GENERATION_RULES]);
const RETENTION_KEYS: readonly string[] = ['keep', ...GENERATION_RULES];

export function fieldOf(path: (string | number)[]): FieldId {
  const [top, index, key] = path;
  if (top === 'backupDir') return 'backupDir';
  // A count's problem at its spin box ('retention.daily'); "all zero" and unknown keys at the section.
  if (top === 'retention') return typeof index === 'string' && RETENTION_KEYS.includes(index) ? `retention.${index}` : 'retention';
  if (top === 'schedule') return 'schedule';
  if (top === 'notify') return notifyFieldOf(path);
  if ((top === 'components' || top === 'mirrors') && typeof index === 'number') {
    const edited = top === 'components' ? COMPONENT_EDITED : MIRROR_EDITED;
    return typeof key === 'string' && edited.includes(key) ? `${top}.${index}.${key}` : `${top}.${index}`;
  }
  if ((top === 'components' || top === 'mirrors') && index === undefined) return top;
  return 'other';
}

/** "components[1].port" → ['components', 1, 'port'] (the inverse of formatPath). */
export function parsePath(path: string): (string | number)[] {
  if (path === formatPath([])) return [];
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

const FIELD_KEYS: Record<string, MessageKey> = {
  name: 'tray.settings.col.name',
  type: 'tray.settings.col.type',
  database: 'tray.settings.col.database',
  host: 'tray.settings.col.host',
  port: 'tray.settings.col.port',
  user: 'tray.settings.col.user',
  path: 'tray.settings.col.path',
  volume: 'tray.settings.col.volume',
  url: 'tray.settings.col.url',
  repository: 'tray.settings.col.repository',
  mode: 'tray.settings.col.mode',
  eject: 'tray.settings.col.eject',
  appendOnly: 'tray.settings.col.appendOnly',
  required: 'tray.settings.col.required',
};

/** The field as the window labels it: „Komponente 2 („elexis“), Port“. */
export function fieldLabel(lang: Lang, form: SettingsForm, field: FieldId, path: string): string {
  const [top, i, key] = field.split('.');
  if (top === 'backupDir') return t(lang, 'tray.settings.backupDir.label');
  if (top === 'retention') {
    const owner = t(lang, 'tray.settings.retention.label');
    return i ? t(lang, 'tray.settings.field.in', { owner, field: t(lang, `tray.settings.retention.rule.${i}` as MessageKey) }) : owner;
  }
  if (top === 'schedule') return t(lang, 'tray.settings.schedule.label');
  if (top === 'notify') return notifyFieldLabel(lang, field);
  if (top === 'components' || top === 'mirrors') {
    if (i === undefined) return t(lang, top === 'components' ? 'tray.settings.components.title' : 'tray.settings.mirrors.title');
    const n = Number(i);
    const name = (top === 'components' ? form.components[n]?.name : form.mirrors[n]?.name)?.trim();
    const owner = name
      ? t(lang, top === 'components' ? 'tray.settings.field.componentNamed' : 'tray.settings.field.mirrorNamed', { n: n + 1, name })
      : t(lang, top === 'components' ? 'tray.settings.field.component' : 'tray.settings.field.mirror', { n: n + 1 });
    const fieldKey = key ? FIELD_KEYS[key] : undefined;
    return fieldKey ? t(lang, 'tray.settings.field.in', { owner, field: t(lang, fieldKey) }) : owner;
  }
  return path;
}

/** A cron problem in the admin's language, naming the field and what is allowed there. */
export function cronErrorText(p: CronProblem, lang: Lang): string {
  const field = t(lang, `config.cronField.${p.field}` as MessageKey);
  if (p.field === 'expression') {
    const count = p.value.trim() ? p.value.trim().split(/\s+/).length : 0;
    return t(lang, 'tray.settings.cron.fieldCount', { count });
  }
  const range = /expected range (\d+)-(\d+)/.exec(p.reason);
  if (range) return t(lang, 'tray.settings.cron.range', { field, value: p.value, min: range[1]!, max: range[2]! });
  if (p.reason.startsWith('only *')) return t(lang, 'tray.settings.cron.syntax', { field, value: p.value });
  if (/Invalid explicit day of month/.test(p.reason)) return t(lang, 'tray.settings.cron.never', { value: p.value });
  return t(lang, 'tray.settings.cron.other', { field, value: p.value, reason: p.reason });
}

/** The form's text for a field id such as 'mirrors.0.volume'. */
function valueAtField(form: SettingsForm, field: FieldId): unknown {
  const [top, i, key] = field.split('.');
  const row = top === 'components' ? form.components[Number(i)] : top === 'mirrors' ? form.mirrors[Number(i)] : undefined;
  return row && key ? (row as unknown as Record<string, unknown>)[key] : undefined;
}

function fieldProblem(lang: Lang, form: SettingsForm, problem: ConfigProblem): FieldProblem {
  const path = parsePath(problem.path);
  const field = fieldOf(path);
  const last = field.split('.').pop()!;
  let p = problem;
  // The form hands non-numbers through as text; "expected number, got string" would puzzle an admin.
  if (NUMERIC.has(last) && problem.key === 'config.problem.type') p = { ...problem, key: 'config.problem.notInteger', params: {} };
  // No disk chosen yet: zod can only say "label or uuid"; the admin has to pick one from the list.
  const noSet = !form.mirrors[Number(field.split('.')[1])]?.volumes;
  if (last === 'volume' && (problem.key === 'config.problem.volumeRef' || (problem.key === 'config.problem.volumeOrVolumes' && noSet)) && valueAtField(form, field) === '') {
    p = { ...problem, key: 'config.problem.required', params: {} };
  }
  const label = fieldLabel(lang, form, field, problem.path);
  let message: string;
  if (field === 'schedule' && p.key === 'config.problem.cron') {
    const cp = cronProblem(form.cron);
    message = cp ? t(lang, 'tray.settings.field.problem', { field: label, message: cronErrorText(cp, lang) }) : renderProblem(lang, { ...p, path: label });
  } else if (field === 'other') {
    message = t(lang, 'tray.settings.problem.notHere', { message: renderProblem(lang, p) });
  } else {
    message = renderProblem(lang, { ...p, path: label });
  }
  return { field, path: problem.path, problem: p, message };
}

export type Checked = { ok: true; config: Config; raw: RawConfig } | { ok: false; problems: FieldProblem[]; raw: RawConfig };

/** The form through validateConfig, the CLI's own validation. */
export function checkForm(form: SettingsForm, original: Readonly<RawConfig> | null, lang: Lang, file = 'config.json'): Checked {
  const raw = configFromForm(form, original);
  try {
    return { ok: true, config: validateConfig(raw, file), raw };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, problems: [...e.problems, ...unchosenDisks(form, e.problems)].map((p) => fieldProblem(lang, form, p)), raw };
  }
}

/**
 * A disk row with no disk chosen: "volume or volumes" is checked only once the rest of the config
 * parses (the schema's last step), so next to other problems it went unsaid; said here with them.
 */
function unchosenDisks(form: SettingsForm, said: ConfigProblem[]): ConfigProblem[] {
  return form.mirrors.flatMap((m, i) => {
    const path = formatPath(['mirrors', i, 'volume']);
    if (mirrorFields(m.type).where !== 'volume' || m.volumes || m.volume !== '' || said.some((p) => p.path === path)) return [];
    return [{ path, key: 'config.problem.required', params: {} } as ConfigProblem];
  });
}

export function validate(form: SettingsForm, original: Readonly<RawConfig> | null, lang: Lang): FieldProblem[] {
  const r = checkForm(form, original, lang);
  return r.ok ? [] : r.problems;
}

// ---- the schedule field's live preview ----

export type SchedulePreview = { runs: string[]; description: string } | { error: string };

const locale = (lang: Lang) => (lang === 'de' ? 'de-DE' : 'en-GB');

/** „Mo., 30.11.2026, 03:15“: short enough for five lines under the field, with the weekday. */
export function formatRun(d: Date, lang: Lang): string {
  return d.toLocaleString(locale(lang), { weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function schedulePreview(cron: string, lang: Lang, now: Date = new Date(), count = 5): SchedulePreview {
  const expr = cron.trim().replace(/\s+/g, ' ');
  if (!expr) return { runs: [], description: t(lang, 'tray.settings.schedule.none') };
  const p = cronProblem(expr);
  if (p) return { error: cronErrorText(p, lang) };
  const words = describeCron(expr, lang);
  return {
    runs: nextRuns(expr, count, now).map((d) => formatRun(d, lang)),
    description: words ? t(lang, 'schedule.described', { text: words, cron: expr }) : t(lang, 'schedule.raw', { cron: expr }),
  };
}

// ---- rows: adding with a name that is not taken yet ----

function freeName(base: string, taken: string[]): string {
  const lower = new Set(taken.map((n) => n.toLowerCase()));
  if (!lower.has(base)) return base;
  for (let i = 2; ; i++) if (!lower.has(`${base}-${i}`)) return `${base}-${i}`;
}

export function newComponent(form: SettingsForm, type: string): ComponentRow {
  const base = type === 'folder' ? 'ordner' : 'datenbank';
  return { name: freeName(base, form.components.map((c) => c.name)), type, database: '', host: '', port: '', user: '', path: '', password: '' };
}

export function newMirror(form: SettingsForm): MirrorRow {
  return { name: freeName('usb', form.mirrors.map((m) => m.name)), type: MIRROR_TYPES[0]!, volume: '', url: '', user: '', path: '', repository: '', mode: 'all', eject: true, appendOnly: true, required: false, encrypt: false };
}

/** Shown for an empty host/port/user: what the config's default will be. */
export function componentDefaults(type: string): { host: string; port: string; user: string } {
  const d = kindOf({ type })?.defaults;
  return d ? { host: d.host, port: String(d.port), user: d.user } : { host: '', port: '', user: '' };
}

/**
 * A type's name in the type column: the catalogue's `tray.settings.type.<type>` („PostgreSQL
 * (tomedo)“), else the kind's own name from the registry, so a kind registered later is offered
 * without a text here; a type nobody knows (a typo in the file) as it is.
 */
export function componentTypeLabel(type: string, lang: Lang): string {
  const key = `tray.settings.type.${type}`;
  const text = t(lang, key as MessageKey);
  if (text !== key) return text;
  return kindOf({ type })?.labelFor(type) ?? type;
}

// ---- volume choices ----

export interface VolumeChoice {
  /** What the form stores (volumeValue). */
  value: string;
  text: string;
  attached: boolean;
}

/**
 * The attached volumes a mirror can use, external disks first. Each is offered by its UUID when it
 * has one: two disks can carry the same label, and a label would then pick either. References in the
 * form that match nothing attached stay choosable, marked "not attached", so opening and saving the
 * window never changes a mirror the admin did not touch.
 */
export function volumeChoices(volumes: Volume[], form: SettingsForm, lang: Lang): VolumeChoice[] {
  const usable = volumes.filter((v) => v.uuid || v.label).sort((a, b) => Number(b.external) - Number(a.external));
  const choices: VolumeChoice[] = usable.map((v) => ({
    value: v.uuid ? `uuid:${v.uuid}` : `label:${v.label}`,
    text: t(lang, v.uuid ? 'tray.settings.volume.choice' : 'tray.settings.volume.choiceNoUuid', {
      label: v.label ?? t(lang, 'tray.settings.volume.noLabel'),
      size: formatBytes(v.sizeBytes, lang),
      where: t(lang, v.external ? 'volumes.external' : 'volumes.internal'),
      uuid: v.uuid ? shortUuid(v.uuid) : '',
    }),
    attached: true,
  }));
  for (const m of form.mirrors) {
    if (!m.volume || choices.some((c) => sameValue(c.value, m.volume))) continue;
    const ref = volumeRefOf(m.volume)!;
    const attached = 'label' in ref && usable.some((v) => v.label === ref.label);
    const what = 'uuid' in ref ? `UUID ${shortUuid(ref.uuid)}` : t(lang, 'tray.settings.volume.byLabel', { label: ref.label });
    choices.push({ value: m.volume, text: attached ? what : t(lang, 'tray.settings.volume.absent', { what }), attached });
  }
  return choices;
}

/** UUIDs compare case-insensitively (volumes.ts). */
export function sameValue(a: string, b: string): boolean {
  return a.startsWith('uuid:') && b.startsWith('uuid:') ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** Enough of a UUID to tell two disks apart in a menu; the config keeps the whole one. */
const shortUuid = (u: string) => (u.length > 13 ? `${u.slice(0, 8)}…` : u);

// ---- saving ----

export type ScheduleOutcome =
  /** warning: installed, but it runs only while the user is logged in (Linux without lingering). */
  | { action: 'installed'; files: string[]; notes: string[]; warning?: string }
  | { action: 'removed'; removed: string[]; notes: string[] }
  /** The config IS saved; the operating system's schedule is not what it says. Never silent. */
  | { action: 'failed'; wanted: 'install' | 'remove'; reason: string; detail: string[] };

export type SaveResult =
  | { ok: false; problems: FieldProblem[] }
  | { ok: false; problems: []; writeError: string }
  /** nextSteps: what the admin does next for a mirror new in this save (its kind's nextStep: an off-site repository to create). */
  | { ok: true; config: Config; file: string; backup: string | null; schedule: ScheduleOutcome; nextSteps: string[] };

export interface SaveRequest {
  form: SettingsForm;
  original: Readonly<RawConfig> | null;
  configFile: string;
  scheduler: Scheduler;
  lang: Lang;
}

export async function saveSettings(req: SaveRequest): Promise<SaveResult> {
  const file = resolve(req.configFile); // the scheduled job is started with this path: absolute
  const checked = checkForm(req.form, req.original, req.lang, file);
  if (!checked.ok) return { ok: false, problems: checked.problems };
  let backup: string | null;
  try {
    backup = await writeFileAtomically(file, JSON.stringify(checked.raw, null, 2) + '\n');
  } catch (e) {
    return { ok: false, problems: [], writeError: (e as Error).message };
  }
  const schedule = checked.config.schedule;
  let outcome: ScheduleOutcome;
  try {
    if (schedule) {
      // The scheduled restore test (verify.cron) is installed with the backup job; leaving it out would remove it.
      const verifyCron = checked.config.verify?.cron;
      const r = await req.scheduler.install({ cron: schedule.cron, onDiskAttach: schedule.onDiskAttach, ...(verifyCron ? { verifyCron } : {}), configFile: file, lang: req.lang });
      outcome = { action: 'installed', files: r.files, notes: r.notes.map((n) => render(req.lang, n)) };
      // The notes are not shown in the window: a timer that needs somebody logged in must not look fine.
      if (r.linger && r.linger.state !== 'on') outcome.warning = render(req.lang, lingerInstallMessage(r.linger));
    } else {
      const r = await req.scheduler.remove();
      outcome = { action: 'removed', removed: r.removed, notes: r.notes.map((n) => render(req.lang, n)) };
    }
  } catch (e) {
    const reason = e instanceof PraxisError ? render(req.lang, e.message_) : (e as Error).message;
    outcome = { action: 'failed', wanted: schedule ? 'install' : 'remove', reason, detail: e instanceof PraxisError ? e.toolOutput : [] };
  }
  return { ok: true, config: checked.config, file, backup, schedule: outcome, nextSteps: nextSteps(checked.config, req.original, req.lang) };
}

/** The kinds' next steps for the mirrors that are new in this save (or changed to their kind): never again for one saved before. */
export function nextSteps(config: Pick<Config, 'mirrors'>, original: Readonly<RawConfig> | null, lang: Lang): string[] {
  const before = list(original?.mirrors);
  return (config.mirrors ?? []).flatMap((m) => {
    const step = mirrorFields(m.type).nextStep;
    const known = before.some((o) => o.name === m.name && o.type === m.type);
    return step && !known ? [t(lang, step, { name: m.name })] : [];
  });
}

/** The summary after a save: what happened, for the schedule what it means, then the next steps of new mirrors. */
export function saveSummary(result: SaveResult, lang: Lang): { text: string; kind: 'ok' | 'warning' | 'error' } {
  if (!result.ok) {
    if ('writeError' in result) return { text: t(lang, 'tray.settings.summary.writeFailed', { reason: result.writeError }), kind: 'error' };
    return { text: t(lang, 'tray.settings.summary.problems', { count: result.problems.length }), kind: 'error' };
  }
  const head = scheduleSummary(result, lang);
  return { text: [head.text, ...result.nextSteps].join('\n'), kind: head.kind };
}

function scheduleSummary(result: Extract<SaveResult, { ok: true }>, lang: Lang): { text: string; kind: 'ok' | 'warning' } {
  const s = result.schedule;
  if (s.action === 'failed') {
    const key = s.wanted === 'install' ? 'tray.settings.summary.scheduleFailed' : 'tray.settings.summary.scheduleRemoveFailed';
    return { text: t(lang, key, { reason: s.reason }), kind: 'warning' };
  }
  if (s.action === 'removed') return { text: t(lang, 'tray.settings.summary.savedNoSchedule'), kind: 'ok' };
  const cron = result.config.schedule!.cron;
  const words = describeCron(cron, lang);
  const schedule = words ? t(lang, 'schedule.described', { text: words, cron }) : t(lang, 'schedule.raw', { cron });
  const saved = t(lang, 'tray.settings.summary.saved', { schedule });
  return s.warning ? { text: `${saved} ${s.warning}`, kind: 'warning' } : { text: saved, kind: 'ok' };
}

// How the settings forms turn what the widgets hold (strings, switches) back into config values,
// shared by every section of the settings window so they agree: empty means "not given", a switch
// that is off is written only when the file had it, and keys keep the order the file had them
// (opening and saving the window changes nothing nobody touched).

export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
export const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** A switch that is off: written only when the file said so before, so opening and saving changes nothing. */
export const flag = (on: boolean, key: string, origin: Record<string, unknown> | undefined) => (on || (origin && key in origin) ? on : undefined);

/** Empty text means "not given": zod then says "required", or applies the documented default. */
export const text = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());
/** Whole numbers become numbers; anything else stays text so validation names the field. */
export const whole = (s: string): number | string | undefined => (s.trim() === '' ? undefined : /^\d+$/.test(s.trim()) ? Number(s.trim()) : s.trim());

export function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The row's keys in the order the file had them, new ones after: a diff shows only real changes. */
export function inOriginalOrder(row: Record<string, unknown>, origin: Record<string, unknown> | undefined): Record<string, unknown> {
  const clean = withoutUndefined(row);
  if (!origin) return clean;
  const keys = [...Object.keys(origin).filter((k) => k in clean), ...Object.keys(clean).filter((k) => !(k in origin))];
  return Object.fromEntries(keys.map((k) => [k, clean[k]]));
}

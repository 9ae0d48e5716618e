// Shell lines for the Notfallblatt's by-hand steps: names from the config may contain spaces.

/** Quoted for a POSIX shell when needed; `<placeholder>` stays as it is, to be replaced by hand. */
export function sq(s: string): string {
  return /^[A-Za-z0-9_./~:@%+=,-]+$/.test(s) || /^<[^<>']*>$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

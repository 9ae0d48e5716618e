// Desktop entries (freedesktop.org Desktop Entry Specification 1.5), written and read back. Pure.
//
// Two layers of escaping, in the order the spec undoes them: every value is a "string" whose
// backslash escapes (\\ \n \t \r \s) are undone first, and the Exec value then has its own quoting
// (an argument with a reserved character is put in double quotes, with " ` $ \ escaped by a
// backslash; % is doubled so it is not read as a field code). So a literal backslash in a quoted
// Exec argument takes four. GLib (`gio launch`, GNOME's autostart) is the reference the tests run.

export interface DesktopEntry {
  /** Keys of the [Desktop Entry] group in the order written; localized keys as `Name[de]`. */
  [key: string]: string;
}

/** Characters that force quoting of an Exec argument (spec §7 "The Exec key"). */
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/** One Exec argument as the spec wants it, before the string escaping of the whole value. */
export function quoteExecArg(arg: string): string {
  const percent = arg.replace(/%/g, '%%');
  if (arg !== '' && !RESERVED.test(arg)) return percent;
  return `"${percent.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;
}

/** The Exec value (already string-escaped by renderDesktopEntry) of an argv. */
export function execLine(argv: string[]): string {
  if (argv[0]?.includes('=')) throw new Error(`the program path of an Exec key may not contain "=": ${argv[0]}`);
  return argv.map(quoteExecArg).join(' ');
}

/** Escapes a value of type string / localestring. */
function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/^ /, '\\s');
}

function unescapeValue(v: string): string {
  return v.replace(/\\([\\nrts])/g, (_, c: string) => ({ '\\': '\\', n: '\n', r: '\r', t: '\t', s: ' ' })[c]!);
}

/** The file's text: comment lines first, then the one group. */
export function renderDesktopEntry(entry: DesktopEntry, comments: string[] = []): string {
  const lines = comments.map((c) => `# ${c}`);
  lines.push('[Desktop Entry]');
  for (const [k, v] of Object.entries(entry)) lines.push(`${k}=${escapeValue(v)}`);
  return lines.join('\n') + '\n';
}

/** The [Desktop Entry] group's keys with their string escapes undone; null when there is no such group. */
export function parseDesktopEntry(text: string): DesktopEntry | null {
  let group: string | null = null;
  let found = false;
  const entry: DesktopEntry = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const g = /^\[(.+)\]\s*$/.exec(line);
    if (g) {
      group = g[1]!;
      found ||= group === 'Desktop Entry';
      continue;
    }
    const eq = line.indexOf('=');
    if (group !== 'Desktop Entry' || eq < 0) continue;
    entry[line.slice(0, eq).trim()] = unescapeValue(line.slice(eq + 1).trimStart());
  }
  return found ? entry : null;
}

/** The argv of an Exec value (string escapes already undone): quotes removed, %% → %, field codes dropped. */
export function splitExec(exec: string): string[] {
  const argv: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < exec.length; i++) {
    const c = exec[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < exec.length) cur += exec[++i];
      else if (c === '"') quoted = false;
      else if (c === '%' && exec[i + 1] === '%') cur += exec[++i];
      else cur += c;
    } else if (c === ' ' || c === '\t') {
      if (inArg) argv.push(cur);
      cur = '';
      inArg = false;
    } else if (c === '"') {
      quoted = inArg = true;
    } else if (c === '%' && i + 1 < exec.length) {
      // A field code (%f, %u …) stands for nothing here: we write none, and nothing passes files.
      if (exec[++i] === '%') {
        cur += '%';
        inArg = true;
      }
    } else {
      cur += c;
      inArg = true;
    }
  }
  if (inArg) argv.push(cur);
  return argv;
}

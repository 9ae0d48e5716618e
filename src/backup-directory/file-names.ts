// File names as the file system has them: byte strings. Linux allows any bytes but "/" and NUL in
// a name, so a document copied from an old Windows share or scanner may be named in Latin-1
// ("R\xf6ntgen.pdf"), and a name may hold a newline. Node turns such names into lossy strings
// (U+FFFD) unless it is given and asked for Buffers; a lossy name then names no file at all.
//
// Inside the engine's tree walks a path is therefore a "raw" string: one char per byte (latin1), a
// lossless and cheap key for maps and sorting ("<" on raw strings is byte order). Only at the edges
// it becomes something else: Buffers for fs calls, and for people the readable escaped form.
import { isUtf8 } from 'node:buffer';

/** A relative path as bytes, one char per byte (latin1). */
export type RawPath = string;

export const rawOf = (b: Buffer): RawPath => b.toString('latin1');
export const bytesOf = (raw: RawPath): Buffer => Buffer.from(raw, 'latin1');
/** The raw form of a path given as text (UTF-8). */
export const rawOfText = (text: string): RawPath => rawOf(Buffer.from(text, 'utf8'));

/** Whether the raw path is valid UTF-8 (then its text form is lossless). */
export function rawIsUtf8(raw: RawPath): boolean {
  // Plain ASCII (most names) needs no Buffer.
  return /^[\x00-\x7f]*$/.test(raw) || isUtf8(bytesOf(raw));
}

/** The text of a raw path that is valid UTF-8. */
export const textOf = (raw: RawPath): string => bytesOf(raw).toString('utf8');

const CONTROL: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

function escapeChar(ch: string): string {
  const c = ch.codePointAt(0)!;
  if (CONTROL[ch]) return CONTROL[ch]!;
  if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  return ch;
}

/** Length of the UTF-8 sequence a lead byte starts, 0 for a byte that cannot start one. */
function seqLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/**
 * A path for messages and logs: valid UTF-8 as it reads, every byte that is not part of valid
 * UTF-8 as \xNN, control characters (a newline in a name) as \n, \t, \xNN, and a backslash as \\,
 * so that what is shown maps back to exactly one byte string: "R\xf6ntgen.pdf".
 */
export function displayPath(raw: RawPath): string {
  if (/^[\x20-\x5b\x5d-\x7e]*$/.test(raw)) return raw; // printable ASCII without "\": as is
  const b = bytesOf(raw);
  let out = '';
  for (let i = 0; i < b.length; ) {
    const n = seqLength(b[i]!);
    if (n === 1) {
      out += escapeChar(String.fromCharCode(b[i]!));
      i++;
    } else if (n > 1 && i + n <= b.length && isUtf8(b.subarray(i, i + n))) {
      out += escapeChar(b.toString('utf8', i, i + n));
      i += n;
    } else {
      out += `\\x${b[i]!.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** displayPath of a path given as bytes. */
export const displayBytes = (b: Buffer): string => displayPath(rawOf(b));

/**
 * A file name as rsync prints it, back to its bytes. rsync writes every byte it does not consider
 * printable (in its locale: invalid UTF-8, a newline, with LANG=C every non-ASCII byte) as "\#ooo"
 * in octal, and a backslash that precedes "#" as "\#134", so its lines never break inside a name
 * and the escape is unambiguous. The rest of the line is UTF-8 text (the runner decodes it so).
 */
export function rawOfRsync(text: string): RawPath {
  let raw = '';
  let plain = '';
  const flush = () => {
    if (plain) raw += rawOfText(plain);
    plain = '';
  };
  for (let i = 0; i < text.length; ) {
    const m = /^\\#([0-7]{3})/.exec(text.slice(i, i + 5));
    if (m) {
      flush();
      raw += String.fromCharCode(parseInt(m[1]!, 8) & 0xff);
      i += 5;
    } else plain += text[i++];
  }
  flush();
  return raw;
}

/** An rsync-printed name, readable (see displayPath). */
export const displayRsync = (text: string): string => displayPath(rawOfRsync(text));

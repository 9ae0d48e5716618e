// The passphrase of an encrypted mirror: generated, never chosen by the admin, because it is only
// ever typed from the emergency sheet (Notfallblatt) on the day the server is gone.
//
// Why groups of characters and not words: a good German word list (several thousand words) does
// not ship offline with Node or Debian in a form we could rely on, and a short home-made list
// would be weak. Groups of five from an alphabet without look-alikes (no 0/O, 1/l/I, no 5/S, 2/Z,
// 8/B) read back well from paper and type easily on a German or an English keyboard (no y/z,
// whose keys swap places between QWERTZ and QWERTY).
import { randomInt } from 'node:crypto';

/** 27 characters, lower case and digits only: nothing to confuse, nothing shifted on the keyboard. */
export const PASSPHRASE_ALPHABET = 'abcdefghjkmnpqrstuvwx346789';

export const PASSPHRASE_GROUPS = 6;
export const PASSPHRASE_GROUP_LENGTH = 5;

/** Bits of entropy: 30 characters from 27 ≈ 142 bits, far beyond any offline attack. */
export function passphraseBits(): number {
  return PASSPHRASE_GROUPS * PASSPHRASE_GROUP_LENGTH * Math.log2(PASSPHRASE_ALPHABET.length);
}

/** e.g. "k7mq4-tw9cd-…": six groups of five, separated by "-" (part of the passphrase). */
export function generatePassphrase(): string {
  const groups: string[] = [];
  for (let g = 0; g < PASSPHRASE_GROUPS; g++) {
    let s = '';
    // randomInt draws without modulo bias from the OS's CSPRNG.
    for (let i = 0; i < PASSPHRASE_GROUP_LENGTH; i++) s += PASSPHRASE_ALPHABET[randomInt(PASSPHRASE_ALPHABET.length)];
    groups.push(s);
  }
  return groups.join('-');
}

/**
 * What the admin typed from the sheet, in the form that was stored: spaces and case forgiven
 * (people copy "K7MQ4 TW9CD"), the dashes put back.
 */
export function normalisePassphrase(typed: string): string {
  const raw = typed.trim().toLowerCase().replace(/[\s-]+/g, '');
  const n = PASSPHRASE_GROUP_LENGTH;
  if (raw.length !== PASSPHRASE_GROUPS * n || [...raw].some((c) => !PASSPHRASE_ALPHABET.includes(c))) return typed.trim();
  return raw.match(new RegExp(`.{${n}}`, 'g'))!.join('-');
}

/** Credential id of a mirror's passphrase in the Keychain / Secret Service. */
export function encryptionCredentialId(mirrorName: string): string {
  return `encryption://${mirrorName}`;
}

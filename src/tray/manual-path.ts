// Where the practice's handbook lies, for the tray's „Hilfe…“ entry. Qt-free, so it is tested
// without a display.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lang } from '../i18n';

/**
 * docs/handbuch.md (German) or docs/manual.md (English) beside the project root, found upwards
 * from this file (src/tray, or dist/ in the built app) like the tray icons. Null when this
 * installation has no docs.
 */
export function findManual(lang: Lang, from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  const name = lang === 'de' ? 'handbuch.md' : 'manual.md';
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'docs', name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

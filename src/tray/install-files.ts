// Parts of the installation the menu-bar app needs, found upwards from this file (src/tray when run
// from the sources, dist/ in the bundle and the .deb). Small and free of heavy imports: the app
// asks before its icon is shown (start.ts).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = () => dirname(fileURLToPath(import.meta.url));

/** dist/cli.js beside the tray's bundle (dist/tray.js), or the project's dist/ when run from src/. */
export function findCli(env: NodeJS.ProcessEnv = process.env, from: string = here()): string | null {
  if (env.PRAXIS_BACKUP_CLI) return env.PRAXIS_BACKUP_CLI;
  for (let dir = from; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'cli.js'), join(dir, 'dist', 'cli.js')]) if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/** assets/tray beside the project root, found upwards from this file (src/tray or dist). */
export function findTrayAssets(from: string = here()): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'assets', 'tray');
    if (existsSync(join(candidate, 'ok.png'))) return candidate;
    if (dirname(dir) === dir) throw new Error('assets/tray not found: the tray icons are missing from this installation');
  }
}

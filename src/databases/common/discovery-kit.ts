// What every kind's discovery facet (contract.ts: KindDiscovery) needs alike: the client that lists
// a server's databases and the dump tool's version, whether a path is a socket or a folder, and the
// default places of a platform as they exist under the tests' own root.
import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PraxisError } from '../../core/errors';
import type { ToolInfo } from '../../process/tool-locator';
import type { Listing } from '../contract';

export const isSocket = (p: string) => stat(p).then((s) => s.isSocket(), () => false);
export const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/**
 * System paths under `fsRoot`, each resolved once: /var/run is a link to /run on Debian, so
 * /var/run/postgresql and /run/postgresql are one place, not two.
 */
export async function underRoot(fsRoot: string, paths: readonly string[]): Promise<Set<string>> {
  return new Set(await Promise.all(paths.map((p) => realpath(join(fsRoot, p)).catch(() => join(fsRoot, p)))));
}

/**
 * The client that lists a kind's databases, and the version of the dump tool the backup will use
 * (the client's where the dump tool is missing). A missing client is the Listing that says so with
 * the locator's install hint.
 */
export async function findListingTools(client: () => Promise<ToolInfo>, dump: () => Promise<ToolInfo>): Promise<{ client: ToolInfo; toolVersion: string } | { missing: Listing }> {
  let found: ToolInfo;
  try {
    found = await client();
  } catch (e) {
    if (e instanceof PraxisError) return { missing: { ok: false, wantsPassword: false, wrongPassword: false, problem: e.message_, message: '' } };
    throw e;
  }
  const d = await dump().catch(() => null);
  return { client: found, toolVersion: (d ?? found).version };
}

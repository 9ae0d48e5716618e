// Makes @nodegui/nodegui loadable in this process. Deliberately imports nothing from @nodegui:
// the addon may only be loaded after this ran.
//
// Linux: NodeGui's addon expects three symbols of qode (NodeGui's patched Node.js). Our own tiny
// native module defines them (native/qode-shim, built by scripts/build-native.sh); it must be
// loaded with RTLD_GLOBAL before the addon so the dynamic linker resolves the addon against it.
// Then the app pumps Qt's events itself (event-pump.ts) instead of running Qt's loop.
// Under qode (macOS, NodeGui's supported runtime there) nothing is needed: qode runs Qt's loop.
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type QtRuntime = 'qode' | 'node-shim';

let loaded: QtRuntime | null = null;

/** Where the shim is: beside the project root's build/native, found upwards from this file (src/tray or dist). */
export function findQodeShim(from: string = dirname(fileURLToPath(import.meta.url)), env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PRAXIS_BACKUP_QODE_SHIM) return existsSync(env.PRAXIS_BACKUP_QODE_SHIM) ? env.PRAXIS_BACKUP_QODE_SHIM : null;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'build', 'native', 'qode-shim.node');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

export function prepareQt(): QtRuntime {
  if (loaded) return loaded;
  if ((process.versions as Record<string, string | undefined>).qode) return (loaded = 'qode');
  const shim = findQodeShim();
  if (!shim) {
    throw new Error(
      'NodeGui cannot start under plain Node: build/native/qode-shim.node is missing. Run `bash scripts/setup.sh` (Linux), or start the app with qode (macOS, see README).',
    );
  }
  const mod = { exports: {} as Record<string, unknown> };
  process.dlopen(mod, shim, constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL);
  return (loaded = 'node-shim');
}

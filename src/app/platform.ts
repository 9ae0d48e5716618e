// Which platform this is: the composition root's question, in a module of its own so that the
// menu-bar app can ask it before it loads the composition root (tray/start.ts shows its icon first).
import type { Platform } from '../platform/paths';

export function currentPlatform(): Platform {
  return process.platform === 'darwin' ? 'darwin' : 'linux';
}

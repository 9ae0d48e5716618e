import type { Platform } from '../platform/paths';
import type { SecretStore } from '../core/secret-store';
import type { Reporter } from './events';
import type { ToolLocator } from '../process/tool-locator';

/** What each backup step gets from the run: the ports, the reporter and the cancel signal. */
export interface StepContext {
  platform: Platform;
  tools: ToolLocator;
  secrets: SecretStore;
  reporter: Reporter;
  signal: AbortSignal;
}

// The tray's test seam (PRAXIS_BACKUP_TRAY_TRACE): what it shows, renders and is clicked, as JSON
// lines. Its own small module because start.ts traces the icon before the rest of the app is loaded.
import { appendFileSync } from 'node:fs';

export type Trace = (entry: Record<string, unknown>) => void;

export function traceTo(file: string | undefined): Trace {
  return (entry) => {
    if (!file) return;
    try {
      appendFileSync(file, JSON.stringify({ ts: new Date().toISOString(), ...entry }) + '\n');
    } catch {
      /* tracing must never break the app */
    }
  };
}

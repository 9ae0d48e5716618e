// Step 4 of the assistant: the disks a mirror can go to. A mirror finds its disk by UUID (labels
// repeat: two disks called „Backup“ are common), so a disk without one (not formatted yet) cannot
// be offered.
import type { Volume, Volumes } from '../../core/volumes';

export async function externalDisks(volumes: Volumes, signal: AbortSignal): Promise<Volume[]> {
  const all = await volumes.list();
  signal.throwIfAborted();
  return all.filter((v) => v.external && !!v.uuid);
}

// `praxis-backup volumes [--json]` and `volumes eject <label|uuid>`: which disks are attached,
// and ejecting one so it can be unplugged.
import type { App } from '../../app/compose';
import { formatBytes, t } from '../../i18n';
import { ExitCode, PraxisError, UsageError } from '../../services/errors';
import { parseCommand } from '../args';
import type { Out } from '../output';

export async function volumesCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { positionals } = parseCommand('volumes', argv, {}, 2);
  const volumes = app.volumes();
  if (positionals[0] === 'eject') {
    const which = positionals[1];
    if (!which) throw new UsageError('volumes eject needs the label or UUID of the disk', 'volumes');
    const all = await volumes.list();
    const byUuid = all.filter((v) => v.uuid && v.uuid.toLowerCase() === which.toLowerCase());
    const matches = byUuid.length ? byUuid : all.filter((v) => v.label === which);
    if (matches.length === 0) throw new PraxisError('volumes.notFound', { volume: which });
    if (matches.length > 1) throw new PraxisError('volumes.ambiguous', { volume: which }, ExitCode.invalidInput);
    const v = matches[0]!;
    await volumes.eject(v);
    const msg = t(out.lang, 'mirror.ejected', { label: v.label ?? v.uuid ?? v.device });
    if (out.json) out.data({ ejected: true, volume: v, text: msg });
    else out.print(msg);
    return ExitCode.ok;
  }
  if (positionals.length) throw new UsageError(`unknown sub-command "${positionals[0]}"`, 'volumes');
  const list = await volumes.list();
  if (out.json) {
    out.data({ kind: volumes.kind, volumes: list });
    return ExitCode.ok;
  }
  if (list.length === 0) {
    out.print(t(out.lang, 'volumes.none'));
    return ExitCode.ok;
  }
  out.print(t(out.lang, 'volumes.header'));
  for (const v of list) {
    const where = v.mountPoint ?? t(out.lang, 'volumes.notMounted');
    const free = v.freeBytes !== null ? `${formatBytes(v.freeBytes, out.lang)} ${t(out.lang, 'volumes.free')}` : '';
    const ext = v.external ? t(out.lang, 'volumes.external') : t(out.lang, 'volumes.internal');
    out.print(`  ${(v.label ?? '—').padEnd(18)} ${(v.uuid ?? '—').padEnd(38)} ${v.device.padEnd(14)} ${(v.fileSystem ?? '?').padEnd(6)} ${formatBytes(v.sizeBytes, out.lang).padStart(8)} ${free.padEnd(14)} ${ext.padEnd(7)} ${where}`);
  }
  return ExitCode.ok;
}

// `praxis-backup volumes [--json]` and `volumes eject <label|uuid>`: which disks are attached,
// and ejecting one so it can be unplugged. `volumes prepare <diskN> --encrypted --mirror NAME`
// (macOS): erase a USB disk into an encrypted APFS volume; the flow and its safety are in
// src/destinations/volume/prepare.ts, this only reads the answers and prints.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import { formatBytes, t } from '../../i18n';
import { writeEmergencySheet } from '../../encryption/emergency-sheet';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { diskutilPrepareDisks, prepareEncryptedVolume } from '../../destinations/volume/prepare';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { stdinAnswers } from '../terminal';
import { sheetDir } from './emergency-sheet';

const PREPARE_USAGE = 'usage: volumes prepare <diskN> --encrypted --mirror NAME [--label NAME] [--out DIR]';

async function prepareCommand(app: App, disk: string | undefined, values: { config?: string; encrypted?: boolean; mirror?: string; label?: string; out?: string }, out: Out): Promise<number> {
  const mac = app.macDisks();
  if (!mac) throw new PraxisError('volumes.prepare.notMac', { mirror: values.mirror ?? '<mirror>' }, ExitCode.invalidInput);
  if (!values.encrypted) throw new UsageError(`--encrypted is required: volumes prepare only sets up encrypted disks (a plain erase is not offered). ${PREPARE_USAGE}`, 'volumes');
  if (!disk || !/^disk\d+$/.test(disk)) {
    throw new UsageError(`expected the whole disk's identifier like disk4 (as "diskutil list" shows it), got ${JSON.stringify(disk ?? '')}. ${PREPARE_USAGE}`, 'volumes');
  }
  if (!values.mirror) throw new UsageError(`--mirror NAME is required: the configured disk mirror this disk is for. ${PREPARE_USAGE}`, 'volumes');
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  // Checked (--out must exist) before any question is asked.
  const dir = await sheetDir(app, values.out);

  const keyring = app.keyring();
  const answers = stdinAnswers();
  try {
    const r = await prepareEncryptedVolume(
      { config, configFile, mirror: values.mirror, disk, label: values.label, lang: out.lang },
      { disks: diskutilPrepareDisks(mac), keyring },
      {
        say: (line) => out.text(line),
        ask: (prompt) => answers.ask(prompt),
        writeSheet: (input) => writeEmergencySheet(dir, input),
      },
    );
    if (out.json) out.data({ type: 'volumesPrepare', ...r });
    return ExitCode.ok;
  } finally {
    answers.close();
  }
}

export async function volumesCommand(app: App, argv: string[], out: Out): Promise<number> {
  const prepareOptions = {
    encrypted: { type: 'boolean' },
    mirror: { type: 'string' },
    label: { type: 'string' },
    out: { type: 'string' },
  } as const;
  const { values, positionals } = parseCommand('volumes', argv, prepareOptions, 2);
  if (positionals[0] === 'prepare') return prepareCommand(app, positionals[1], values, out);
  const given = Object.keys(prepareOptions).find((k) => values[k as keyof typeof prepareOptions] !== undefined);
  if (given) throw new UsageError(`--${given} belongs to "volumes prepare"`, 'volumes');
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

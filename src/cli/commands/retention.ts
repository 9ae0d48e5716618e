// `praxis-backup retention preview [--json]`: which backups the policy keeps (and why), which would
// go, what that frees, and what the policy needs once full next to the disk's free space.
// `praxis-backup retention apply [--yes] [--json]`: the policy now, under the directory's lock;
// more than SHRINK_CONFIRM_ABOVE removals are listed and asked about (a terminal) or need --yes.
// Applying records the policy as confirmed, so the nightly run no longer holds it (retention.held).
// Exit codes: 0 done (or nothing to do), 1 the admin said no, 2 invalid input or --yes missing
// without a terminal, 75 another run holds the backup directory.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { readCatalog } from '../../backup-directory/catalog';
import { loadConfig } from '../../config/load';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { formatBytes, t, type Lang, type MessageKey } from '../../i18n';
import { applyRetention } from '../../retention/apply-retention';
import { freedByPrefix } from '../../retention/freed-bytes';
import { GENERATION_RULES, policyKey, policyRules } from '../../retention/policy';
import { previewRetention, type PreviewBackup, type RetentionPreview } from '../../retention/retention-preview';
import { planRetention, SHRINK_CONFIRM_ABOVE } from '../../retention/retention-plan';
import { acquireLock } from '../../run/lock';
import { eventText, Reporter } from '../../run/events';
import type { Mirror, RetentionConfig } from '../../config/schema';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { ask } from '../terminal';

const SUBCOMMANDS = ['preview', 'apply'] as const;

export async function retentionCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('retention', argv, { yes: { type: 'boolean', default: false } }, 1);
  const sub = positionals[0] as (typeof SUBCOMMANDS)[number] | undefined;
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError(`expected one of ${SUBCOMMANDS.join('|')}${sub ? `, got "${sub}"` : ''}`, 'retention');
  if (values.yes && sub !== 'apply') throw new UsageError('--yes only goes with apply', 'retention');
  const config = await loadConfig(values.config ? resolve(values.config) : app.paths.configFile);
  if (sub === 'preview') {
    const p = await previewRetention(config, { now: app.now(), status: app.status });
    if (out.json) out.data(p);
    else for (const line of previewText(out.lang, p, config.retention)) out.print(line);
    return ExitCode.ok;
  }
  return apply(app, config.backupDir, config.retention, values.yes, out, config.mirrors);
}

/** „letzte 20, 7 Tage, 4 Wochen, 12 Monate, 8 Quartale“ */
export function policyText(lang: Lang, r: RetentionConfig): string {
  if (r.keep !== undefined) return t(lang, 'retention.rule.keep', { n: r.keep });
  const rules = policyRules(r);
  return GENERATION_RULES.filter((k) => rules[k])
    .map((k) => t(lang, `retention.rule.${k}` as MessageKey, { n: rules[k]! }))
    .join(', ');
}

function whyText(lang: Lang, b: PreviewBackup): string {
  const parts = b.reasons.map((r) => t(lang, `retention.reason.${r}` as MessageKey));
  if (b.quarterArchive) parts.push(t(lang, 'retention.quarterArchive', b.quarterArchive));
  return parts.join(', ');
}

export function previewText(lang: Lang, p: RetentionPreview, retention?: RetentionConfig): string[] {
  const bytes = (n: number) => formatBytes(n, lang);
  const lines = [t(lang, 'retention.preview.header', { dir: p.dir, policy: retention ? policyText(lang, retention) : p.policy })];
  if (p.running) lines.push(t(lang, 'retention.preview.running'));
  if (p.backups.length === 0) lines.push(t(lang, 'retention.preview.empty'));
  for (const b of p.backups) {
    lines.push(
      b.keep
        ? `  ${b.id}  ${t(lang, 'retention.preview.keeps', { why: whyText(lang, b) })}`
        : `  ${b.id}  ${t(lang, 'retention.preview.goes', { own: bytes(b.ownBytes) })}`,
    );
  }
  const kept = p.backups.length - p.remove.length;
  lines.push(
    p.remove.length
      ? t(lang, 'retention.preview.summary', { kept, count: p.remove.length, freed: bytes(p.freedBytes) })
      : t(lang, 'retention.preview.nothing', { kept }),
  );
  const n = p.need;
  if (n.bytes === null) lines.push(t(lang, 'retention.preview.needUnknown', { kept: n.kept, days: n.reachDays, cron: n.cron }));
  else {
    lines.push(
      t(lang, 'retention.preview.need', {
        bytes: bytes(n.bytes),
        kept: n.kept,
        days: n.reachDays,
        cron: n.cron,
        dumps: bytes(n.dumpBytes),
        folders: bytes(n.folderBytes),
        changes: bytes(n.folderChangeBytes),
        id: n.from!,
      }),
    );
  }
  lines.push(t(lang, 'retention.preview.disk', { free: bytes(p.disk.free), total: bytes(p.disk.total), used: bytes(p.backupsBytes) }));
  if (p.disk.fits === true) lines.push(t(lang, 'retention.preview.fits', { reserve: bytes(p.disk.reserve) }));
  if (p.disk.fits === false && n.bytes !== null) {
    lines.push(t(lang, 'retention.preview.tooBig', { reserve: bytes(p.disk.reserve), missing: bytes(n.bytes - (p.disk.free + p.backupsBytes - p.disk.reserve)) }));
  }
  if (p.held) lines.push(t(lang, 'retention.preview.held', { count: p.remove.length, above: p.shrinkConfirmAbove }));
  else if (p.remove.length) lines.push(t(lang, 'retention.preview.next', { count: p.remove.length }));
  return lines;
}

async function apply(app: App, dir: string, retention: RetentionConfig, yes: boolean, out: Out, mirrors: Mirror[] = []): Promise<number> {
  const now = app.now();
  const lock = await acquireLock(dir, now, 'retention').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new PraxisError('error.dirMissing', { dir }, ExitCode.invalidInput);
    throw e;
  });
  try {
    const catalog = await readCatalog(dir, { now });
    const plan = planRetention(catalog.complete, retention, now);
    const ids = plan.remove.map((b) => b.id);
    const policy = policyText(out.lang, retention);
    if (plan.remove.length > SHRINK_CONFIRM_ABOVE && !yes) {
      if (!process.stdin.isTTY || out.json) {
        throw new PraxisError('retention.apply.needsYes', { count: ids.length, ids: ids.join(', '), policy }, ExitCode.invalidInput);
      }
      out.text(t(out.lang, 'retention.apply.list', { count: ids.length, policy }));
      for (const d of plan.decisions) if (!d.reasons.length) out.text(`  ${d.entry.id}`);
      const answer = (await ask(`${t(out.lang, 'retention.apply.ask', { count: ids.length })} `)).trim().toLowerCase();
      if (!['j', 'ja', 'y', 'yes'].includes(answer)) {
        out.text(t(out.lang, 'retention.apply.notConfirmed', { count: ids.length }));
        return ExitCode.failed;
      }
    }
    // Measured before they go (afterwards there is nothing left to count).
    const going = [...plan.remove].reverse();
    const freed = going.length ? (await freedByPrefix(going.map((b) => b.path))).prefix.at(-1)! : 0;
    // The removals on stderr as they happen (the run's own lines); no run log: this is no backup.
    const reporter = new Reporter(
      [
        (e) => {
          const line = eventText(out.lang, e);
          if (line) out.text(line);
        },
      ],
      () => app.now(),
    );
    const outcome = await applyRetention(catalog.complete, retention, { now, status: app.status, reporter, confirmed: true });
    // A mirror with a policy of its own holds a shrinking change the same way (mirror.retentionHeld);
    // its disk may be at home now, so its removals cannot be listed here: confirming here lets the
    // next copy apply it, and says so per mirror.
    const own = mirrors.filter((m): m is Mirror & { retention: RetentionConfig } => 'retention' in m && !!m.retention && m.mode === 'all');
    if (own.length) {
      await app.status.update((s) => {
        for (const m of own) (s.retentionApplied ??= {})[m.name] = { policy: policyKey(m.retention), at: now.toISOString() };
      });
      for (const m of own) out.text(t(out.lang, 'retention.apply.mirrorConfirmed', { name: m.name, policy: policyText(out.lang, m.retention) }));
    }
    out.text(
      outcome.removed.length
        ? t(out.lang, 'retention.apply.done', { count: outcome.removed.length, freed: formatBytes(freed, out.lang), policy })
        : t(out.lang, 'retention.apply.nothing', { policy }),
    );
    if (out.json) out.data({ dir, policy: outcome.plan.policy, removed: outcome.removed, freedBytes: freed, kept: outcome.plan.decisions.length - outcome.removed.length });
    return ExitCode.ok;
  } finally {
    await lock.release();
  }
}

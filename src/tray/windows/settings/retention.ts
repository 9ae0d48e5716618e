// „Aufbewahrung“: a count (config `retention.keep`) or generations (last/daily/weekly/monthly/
// quarterly), and under it what the policy needs of the disk once full next to the free space
// (model/retention-form.ts works the numbers out; this only shows them).
import { QComboBox, QSpinBox, QWidget, type QBoxLayout, type QLabel } from '@nodegui/nodegui';
import type { BackupEntry } from '../../../backup-directory/catalog';
import type { DiskSpace } from '../../../backup-directory/space-check';
import type { MessageKey } from '../../../i18n';
import { GENERATION_RULES, type GenerationRule } from '../../../retention/policy';
import { backupSizes, RETENTION_MODES, retentionNeed, retentionOfForm } from '../../model/retention-form';
import type { SettingsForm } from '../../model/settings-form';
import { errorLabel, GREY, hbox, label, labelled, RED, vbox, type SectionContext } from './form-widgets';

/** What the need is worked out from: the backup directory as the window found it when it opened. */
export interface DirectoryFacts {
  complete: BackupEntry[];
  space: DiskSpace | null;
}

export class RetentionSection {
  readonly mode: QComboBox;
  readonly keep: QSpinBox;
  readonly rules: Record<GenerationRule, QSpinBox>;
  /** „Bedarf bei voller Aufbewahrung: …“ (red when it does not fit). */
  readonly need: QLabel;
  readonly error: QLabel;
  readonly hint: QLabel;
  /** Containers without a field of their own, held so their wrappers live as long as the section. */
  readonly containers: QWidget[];
  private readonly keepLine: QWidget;
  private readonly rulesLine: QWidget;
  private facts: DirectoryFacts | null = null;
  /** While fill() sets the widgets, their signals are not edits. */
  private filling = false;

  constructor(
    body: QBoxLayout,
    private readonly ctx: SectionContext,
    private readonly now: () => Date,
  ) {
    const { tr } = ctx;
    body.addSpacing(6);
    this.mode = new QComboBox();
    this.mode.addItems(RETENTION_MODES.map((m) => tr(`tray.settings.retention.mode.${m}` as MessageKey)));
    this.mode.setFixedWidth(160);
    this.keep = spin(1);
    this.keep.setSuffix(tr('tray.settings.retention.suffix'));
    this.keep.setFixedWidth(160);
    this.keepLine = new QWidget();
    const kl = hbox(this.keepLine);
    kl.setContentsMargins(0, 0, 0, 0);
    kl.addWidget(this.keep);
    kl.addStretch(1);
    this.rulesLine = new QWidget();
    const rl = hbox(this.rulesLine, 4);
    rl.setContentsMargins(0, 0, 0, 0);
    this.rules = {} as Record<GenerationRule, QSpinBox>;
    const ruleLabels: QLabel[] = [];
    for (const r of GENERATION_RULES) {
      const l = label(tr(`tray.settings.retention.rule.${r}` as MessageKey));
      ruleLabels.push(l);
      rl.addWidget(l);
      const s = (this.rules[r] = spin(0));
      s.setFixedWidth(70);
      rl.addWidget(s);
      rl.addSpacing(8);
    }
    rl.addStretch(1);
    this.error = errorLabel();
    this.need = label('', { wrap: true });
    this.hint = label('', { color: GREY, wrap: true });
    const col = new QWidget();
    const cl = vbox(col, 3);
    cl.setContentsMargins(0, 0, 0, 0);
    for (const w of [this.mode, this.keepLine, this.rulesLine, this.error, this.need, this.hint]) cl.addWidget(w);
    body.addWidget(labelled(tr, 'tray.settings.retention.label', col));
    this.containers = [this.keepLine, this.rulesLine, col, ...ruleLabels];

    this.mode.addEventListener('currentIndexChanged', (i) => {
      if (this.filling) return;
      ctx.form().retention.mode = RETENTION_MODES[i] ?? 'generations';
      ctx.clearError('retention');
      this.showMode();
      this.updateNeed();
    });
    this.keep.addEventListener('valueChanged', (v) => this.edited('keep', v));
    for (const r of GENERATION_RULES) this.rules[r].addEventListener('valueChanged', (v) => this.edited(r, v));
  }

  private edited(field: 'keep' | GenerationRule, v: number): void {
    if (this.filling) return;
    this.ctx.form().retention[field] = String(v);
    this.ctx.clearError(`retention.${field}`);
    this.ctx.clearError('retention'); // "at least one rule above 0" belongs to all of them
    this.updateNeed();
  }

  fill(form: SettingsForm): void {
    this.filling = true;
    try {
      const f = form.retention;
      this.mode.setCurrentIndex(Math.max(0, RETENTION_MODES.indexOf(f.mode)));
      // A spin box cannot hold text: a count that is not a number in the file shows its minimum,
      // and only when the admin edits it does the form change (validation names the file's value).
      this.keep.setValue(Number(f.keep) || 1);
      for (const r of GENERATION_RULES) this.rules[r].setValue(Number(f[r]) || 0);
    } finally {
      this.filling = false;
    }
    this.showMode();
    this.updateNeed();
  }

  /** The backup directory's backups and disk, once the window has read them. */
  setFacts(facts: DirectoryFacts | null): void {
    this.facts = facts;
    this.updateNeed();
  }

  private showMode(): void {
    const keep = this.ctx.form().retention.mode === 'keep';
    this.keepLine.setVisible(keep);
    this.rulesLine.setVisible(!keep);
    this.hint.setText(this.ctx.tr(keep ? 'tray.settings.retention.hint' : 'tray.settings.retention.hintGenerations'));
  }

  /** The need of the policy in the form (hidden while a count is not valid: the error says why). */
  updateNeed(): void {
    const form = this.ctx.form();
    const retention = retentionOfForm(form.retention);
    if (!retention) {
      this.need.hide();
      return;
    }
    const complete = this.facts?.complete ?? [];
    const need = retentionNeed({ retention, cron: form.cron, now: this.now(), sizes: backupSizes(complete[0]), present: complete.length, space: this.facts?.space ?? null }, this.ctx.lang);
    this.need.setText(need.text);
    this.need.setStyleSheet(`QLabel { color: ${need.fits === false ? RED : 'palette(text)'}; }`, false);
    this.need.show();
  }
}

function spin(min: number): QSpinBox {
  const s = new QSpinBox();
  s.setRange(min, 1000);
  return s;
}

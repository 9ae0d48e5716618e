// „Aufbewahren“: how many backups are kept (config `retention.keep`).
import { QSpinBox, type QBoxLayout, type QLabel } from '@nodegui/nodegui';
import type { SettingsForm } from '../../model/settings-form';
import { errorLabel, fieldRow, type SectionContext } from './form-widgets';

export class RetentionSection {
  readonly field: QSpinBox;
  readonly error: QLabel;

  constructor(body: QBoxLayout, ctx: SectionContext) {
    this.field = new QSpinBox();
    this.field.setRange(1, 1000);
    this.field.setSuffix(ctx.tr('tray.settings.retention.suffix'));
    this.field.setFixedWidth(160);
    this.error = errorLabel();
    body.addWidget(fieldRow(ctx.tr, 'tray.settings.retention.label', this.field, this.error, 'tray.settings.retention.hint'));
    this.field.addEventListener('valueChanged', (v) => {
      ctx.form().retention = String(v);
      ctx.clearError('retention');
    });
  }

  fill(form: SettingsForm): void {
    this.field.setValue(Number(form.retention) || 10);
  }
}

// „Sicherungsordner“: where the backups are written (config `backupDir`).
import type { QBoxLayout, QLabel, QLineEdit } from '@nodegui/nodegui';
import type { SettingsForm } from '../../model/settings-form';
import { errorLabel, fieldRow, lineEdit, type SectionContext } from './form-widgets';

export class BackupDirSection {
  readonly field: QLineEdit;
  readonly error: QLabel;

  constructor(body: QBoxLayout, ctx: SectionContext) {
    this.field = lineEdit('', undefined, '/Users/Shared/Praxis-Backup');
    this.error = errorLabel();
    body.addWidget(fieldRow(ctx.tr, 'tray.settings.backupDir.label', this.field, this.error, 'tray.settings.backupDir.hint'));
    this.field.addEventListener('textChanged', (text) => {
      ctx.form().backupDir = text;
      ctx.clearError('backupDir');
    });
  }

  fill(form: SettingsForm): void {
    this.field.setText(form.backupDir);
  }
}

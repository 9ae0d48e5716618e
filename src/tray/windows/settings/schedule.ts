// „Zeitplan“: the cron expression, with its next runs (or what is wrong with it) as you type.
import { AlignmentFlag, QWidget, type QBoxLayout, type QLabel, type QLineEdit } from '@nodegui/nodegui';
import { schedulePreview, type SettingsForm } from '../../model/settings-form';
import { errorLabel, GREY, hbox, label, labelled, lineEdit, markInvalid, setError, vbox, type SectionContext } from './form-widgets';

export class ScheduleSection {
  readonly cron: QLineEdit;
  readonly preview: QLabel;
  readonly error: QLabel;
  /** Containers without a field of their own, held so their wrappers live as long as the section. */
  readonly containers: QWidget[];

  constructor(
    body: QBoxLayout,
    private readonly ctx: SectionContext,
    /** The clock the preview counts the next runs from. */
    private readonly now: () => Date,
  ) {
    // The preview follows every keystroke.
    body.addSpacing(6);
    this.cron = lineEdit('', 200, '15 3 * * 1-5');
    this.error = errorLabel();
    this.preview = label('', { wrap: true });
    // The runs as a list beside the field, where a 200 px field leaves the row empty anyway.
    const cronLine = new QWidget();
    const cronLineLayout = hbox(cronLine, 14);
    cronLineLayout.setContentsMargins(0, 0, 0, 0);
    cronLineLayout.addWidget(this.cron, 0, AlignmentFlag.AlignLeft | AlignmentFlag.AlignTop); // stays left while the preview is hidden
    cronLineLayout.addWidget(this.preview, 1);
    const cronCol = new QWidget();
    const cronLayout = vbox(cronCol, 3);
    cronLayout.setContentsMargins(0, 0, 0, 0);
    cronLayout.addWidget(cronLine);
    cronLayout.addWidget(this.error);
    cronLayout.addWidget(label(ctx.tr('tray.settings.schedule.hint'), { color: GREY, wrap: true }));
    body.addWidget(labelled(ctx.tr, 'tray.settings.schedule.label', cronCol));
    this.cron.addEventListener('textChanged', (text) => {
      ctx.form().cron = text;
      this.updatePreview();
    });
    this.containers = [cronLine, cronCol];
  }

  fill(form: SettingsForm): void {
    this.cron.setText(form.cron);
  }

  updatePreview(): void {
    const p = schedulePreview(this.ctx.form().cron, this.ctx.lang, this.now());
    markInvalid(this.cron, 'error' in p);
    if ('error' in p) {
      setError(this.error, [p.error]);
      this.preview.setText('');
      this.preview.hide();
      return;
    }
    setError(this.error, []);
    const runs = p.runs.length ? ['', this.ctx.tr('tray.settings.schedule.next'), ...p.runs.map((r) => `   ${r}`)] : [];
    this.preview.setText([p.description, ...runs].join('\n'));
    this.preview.show();
  }
}

// Notifications without the tray: exact argv of osascript (macOS) and notify-send (Linux), and a
// missing notification tool never fails the caller.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appleScriptString, planNotifySend, planOsascript, SystemNotifier } from '../../src/notify/notifier';
import type { CommandPlan } from '../../src/process/runner';

const test = suite('notifier');
const body = 'Die USB-Festplatte „PRAXIS \\ "A"“ wurde ausgeworfen und kann jetzt abgezogen werden.';

test('osascript: one -e script, quotes and backslashes escaped for AppleScript', () => {
  const p = planOsascript('Praxis-Backup', body);
  assert.is(p.file, '/usr/bin/osascript');
  assert.equal(p.args, ['-e', `display notification "Die USB-Festplatte „PRAXIS \\\\ \\"A\\"“ wurde ausgeworfen und kann jetzt abgezogen werden." with title "Praxis-Backup"`]);
  assert.is(appleScriptString('a"b\\c'), '"a\\"b\\\\c"');
});

test('notify-send: title and body after --, so a body starting with "-" is no option', () => {
  assert.equal(planNotifySend('Praxis-Backup', '-x Fehler').args, ['--app-name=Praxis-Backup', '--', 'Praxis-Backup', '-x Fehler']);
});

test('SystemNotifier picks the platform tool and swallows its failure', async () => {
  const seen: CommandPlan[] = [];
  const failing = async (plan: CommandPlan) => {
    seen.push(plan);
    throw new Error('no notification daemon');
  };
  await new SystemNotifier('darwin', failing as never).notify('T', 'B');
  await new SystemNotifier('linux', failing as never).notify('T', 'B');
  assert.equal(seen.map((p) => p.file), ['/usr/bin/osascript', 'notify-send']);
});

test.run();

// A second process that flushes the same outbox (outbox.test.ts races it against two in-process
// flushes): argv stateDir, SMTP port, user, password; prints "flushing", then the ok flags of its outcomes as JSON.
import { createDeliverer } from '../../src/alerting/deliver';

const [stateDir, port, user, password] = process.argv.slice(2) as [string, string, string, string];
const d = createDeliverer(
  {
    language: 'de',
    email: { host: '127.0.0.1', port: Number(port), tls: 'starttls', user, from: 'praxis@example.test', to: ['it@example.test'], allowSelfSigned: true },
    onSuccess: false,
    weeklySummary: false,
    monthlyReport: false,
  },
  { secrets: { description: 'child', get: async () => password }, storeName: 'child', stateDir, now: () => new Date('2026-11-25T00:00:00Z'), hostname: 'h', version: 'v', timeoutMs: 5000 },
)!;
// The test starts its own flushes on this line, so all three really run at the same time.
process.stdout.write('flushing\n');
const outcomes = await d.flush();
process.stdout.write(JSON.stringify(outcomes.map((o) => o.ok)));

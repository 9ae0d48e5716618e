// The `notify.email` block of the e2e tests: the test SMTP server (STARTTLS, its self-signed
// certificate accepted explicitly, AUTH as its test user; the password comes from
// PRAXIS_BACKUP_PASSWORD_SMTP, never the config).
import type { TestSmtp } from '../helpers/smtp-server';

export function emailConfig(smtp: TestSmtp) {
  return { host: '127.0.0.1', port: smtp.port, tls: 'starttls', user: smtp.user, from: 'praxis@example.test', to: ['it@example.test'], allowSelfSigned: true };
}

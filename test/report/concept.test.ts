// `praxis-backup concept`: the Datensicherungskonzept as a real PDF from the built CLI, read back
// with poppler's pdftotext. A practice with PostgreSQL, MariaDB and an attachments folder, an
// encrypted USB disk and an SMB share, a schedule, e-mail and a heartbeat: the document names each
// of them, the schedule in words, the generations, the restore order with the standard-tool
// commands, the channels and the blanks, umlauts intact — and no secret, although real secrets are
// in the keyring (a private gnome-keyring) and the environment while it is written. The clock and
// the zone are set for the child (PRAXIS_BACKUP_TEST_NOW, TZ), never taken from the machine.
process.env.TZ = 'Europe/Berlin';
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configSchema } from '../../src/config/schema';
import { MANIFEST_FORMAT } from '../../src/backup-directory/manifest';
import { formatBytes } from '../../src/i18n';
import { buildConcept, generationsReach, hostOf, longestGap, policyWords } from '../../src/report/concept-content';
import { CLI, runCli } from '../helpers/cli';
import { SCREENSHOT_DIR } from '../helpers/display';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

const NOW = '2026-12-02T08:00:00Z'; // a Wednesday
const SMTP_PASSWORD = 'Smtp-Geheimnis-Qx7!';
const DB_PASSWORD = 'Datenbank-Geheimnis-Zk4';
const PASSPHRASE = 'K7QWM-PXR4T-HN9DV-EJ3CA-UF6GL-TB8YS';
// Parts of URLs that work like passwords: whoever knows them can ping or post.
const HEARTBEAT_ID = '2f9c4e1a-HB-Pruefkennung';
const WEBHOOK_TOKEN = 'hook-token-77aa';

let root: string;
let keyring: TestKeyring;
let env: Record<string, string>;
let configFile: string;
const HOURS = 3_600_000;

const full = (backupDir: string, files: string) => ({
  practiceName: 'Praxis Dr. Müller-Lüdenscheidt',
  backupDir,
  components: [
    { name: 'datenbank', type: 'postgres', database: 'tomedo', host: '127.0.0.1', port: 5433, user: 'praxis' },
    { name: 'elexis', type: 'mariadb', database: 'elexis_praxis', host: '127.0.0.1', port: 3307, user: 'root' },
    { name: 'anhaenge', type: 'folder', path: files },
  ],
  retention: { keep: 10 },
  mirrors: [
    { name: 'usb', type: 'volume', volume: { label: 'PRAXIS-BACKUP' }, eject: true, encrypt: true },
    { name: 'nas', type: 'smb', url: 'smb://nas.local/backup', user: 'praxis', mode: 'latest' },
  ],
  schedule: { cron: '15 3 * * 1-5' },
  verify: { afterBackup: true, cron: '0 12 * * 6' },
  notify: {
    email: { host: 'mail.example.de', port: 587, tls: 'starttls', user: 'praxis@example.de', from: 'praxis@example.de', to: ['it-dienstleister@example.de', 'aerztin@example.de'] },
    webhook: { url: `https://monitor.example.de/hooks/${WEBHOOK_TOKEN}` },
    heartbeat: { url: `https://hc.example.de/ping/${HEARTBEAT_ID}` },
    weeklySummary: 'friday',
  },
});

/** pdftotext: -layout as the page looks; -raw in drawing order (a table cell's lines stay together). */
async function pdfText(file: string, mode: '-layout' | '-raw' = '-raw'): Promise<string> {
  return (await execa('pdftotext', [mode, file, '-'])).stdout;
}
/** The text with line breaks and runs of spaces as one space (sentences wrap in the PDF); a line broken after - or / joined again. */
const flat = (s: string) => s.replace(/([-/])\n\s*/g, '$1').replace(/\s+/g, ' ');

test.before(visibly(async () => {
  root = await makeTempDir('concept');
  keyring = await startKeyring();
  // Real secrets where the product keeps them: the concept must not need or print any.
  await keyring.store('smtp://praxis@example.de@mail.example.de:587', SMTP_PASSWORD);
  await keyring.store('encryption://usb', PASSPHRASE);
  const files = join(root, 'Anhänge');
  mkdirSync(files);
  configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify(full(join(root, 'backups'), files), null, 2));
  env = { ...keyring.env, TZ: 'Europe/Berlin', PRAXIS_BACKUP_TEST_NOW: NOW, LANG: 'de_DE.UTF-8', LC_ALL: '', LC_MESSAGES: '', PRAXIS_BACKUP_PASSWORD_DATENBANK: DB_PASSWORD };
}));
test.after(runCleanups);

test('the German concept names what, when, where, how long, the restore order, the tests, the channels and the blanks', async () => {
  const out = join(root, 'Konzept Müller.pdf');
  const r = await runCli(['concept', '--config', configFile, '--out', out], env);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), out, 'the file on stdout, for scripts');
  assert.match(r.stderr, /Datensicherungskonzept geschrieben: /);
  assert.is((statSync(out).mode & 0o777).toString(8), '600');
  const raw = await pdfText(out, '-layout');
  const text = flat(await pdfText(out));

  // Title, practice (umlauts intact), date from the injected clock.
  assert.match(raw, /^Datensicherungskonzept\n/);
  assert.ok(text.includes('Praxis Dr. Müller-Lüdenscheidt · Stand: 02.12.2026'), text.slice(0, 300));
  // What: every component with its kind and database / path.
  assert.ok(text.includes('datenbank PostgreSQL-Datenbank Datenbank „tomedo“ auf 127.0.0.1:5433 (Benutzer praxis) datenbank.pgdump'), text);
  assert.ok(text.includes('elexis MariaDB-Datenbank Datenbank „elexis_praxis“ auf 127.0.0.1:3307 (Benutzer root) elexis.sql.gz'));
  assert.ok(text.includes(join(root, 'Anhänge')), 'the folder with its path (and its umlaut)');
  assert.ok(text.includes('datenbank.pgdump') && text.includes('elexis.sql.gz') && text.includes('anhaenge/'));
  // When: the schedule in words, the longest gap (Friday to Monday).
  assert.ok(text.includes('Mo–Fr um 03:15 („15 3 * * 1-5“)'), text);
  assert.ok(text.includes('höchstens 3 Tage'), 'RPO over the weekend');
  // Where: each destination, scope, encryption, the location left to the practice.
  assert.ok(text.includes('USB-Festplatte „PRAXIS-BACKUP“'));
  assert.ok(text.includes('wird nach dem Kopieren ausgeworfen'));
  assert.ok(text.includes('Netzlaufwerk smb://nas.local/backup (Benutzer praxis)'), text);
  assert.ok(text.includes('ja (gocryptfs)'), 'the USB disk is encrypted');
  assert.ok(text.includes('nur die neueste Sicherung'), 'the share keeps only the newest');
  assert.match(text, /☐ vor Ort ☐ außer Haus ☐ wechselnd außer Haus/);
  assert.ok(text.includes('Aufbewahrungsort der USB-Festplatte „usb“:'));
  assert.not.ok(text.includes('ist nicht verschlüsselt'), 'no unencrypted-disk warning for an encrypted disk');
  // How many, how long: 10 generations, Mon–Fri → 13 days from a Wednesday.
  assert.ok(text.includes('Es werden die 10 neuesten vollständigen Sicherungen aufbewahrt; mit dem Zeitplan reichen sie etwa 13 Tage zurück'), text);
  // Restore: databases first, then folders, with the standard tools' commands.
  const order = ['1. Datenbank „datenbank“', '2. Datenbank „elexis“', '3. Ordner „anhaenge“', '4. Praxissoftware starten'].map((s) => text.indexOf(s));
  assert.ok(order.every((i) => i > 0) && order.every((i, n) => n === 0 || i > order[n - 1]!), `restore order: ${order}`);
  assert.ok(text.includes('sudo -u postgres pg_restore --no-owner -d tomedo "$B/datenbank.pgdump"'));
  assert.ok(text.includes('gunzip -c "$B/elexis.sql.gz" | sudo mariadb'));
  assert.ok(text.includes(`sudo cp -a "$B/anhaenge/." '${join(root, 'Anhänge')}'/`), 'the folder command quotes the path');
  assert.ok(text.indexOf('pg_restore') < text.indexOf('cp -a'), 'databases before folders in the commands too');
  // Tests: after every backup (afterBackup true) and the scheduled one in words.
  assert.ok(text.includes('Nach jeder Sicherung werden die Datenbanken probeweise in eine Test-Datenbank zurückgespielt'));
  assert.ok(text.includes('Zusätzlich eine geplante Probe-Wiederherstellung der neuesten Sicherung: Sa um 12:00'));
  // Emergency sheet of the encrypted disk.
  assert.ok(text.includes('Für die verschlüsselten Datenträger „usb“ gibt es je ein Notfallblatt'));
  assert.ok(text.includes('Aufbewahrungsort des Notfallblatts „usb“:'));
  // Who is informed: recipients and hosts, the weekly day, the monthly record, the heartbeat.
  assert.ok(text.includes('E-Mail an it-dienstleister@example.de, aerztin@example.de (über mail.example.de:587, STARTTLS)'), text);
  assert.ok(text.includes('Webhook an monitor.example.de'));
  assert.ok(text.includes('ein Wochenbericht, jeden Freitag'));
  assert.ok(text.includes('das Datensicherungsprotokoll des Vormonats per E-Mail'));
  assert.ok(text.includes('Heartbeat: Bei jeder Sicherung meldet sich der Server bei der Überwachung hc.example.de (Healthchecks)'));
  // The blanks only the practice can fill in.
  for (const blank of ['Verantwortliche Person:', 'Vertretung:', 'IT-Dienstleister (Firma, Ansprechpartner, Telefon):', 'Ort, Datum:', 'Unterschrift (Praxisinhaber/in):', 'Letzte Wiederherstellungsübung am / durch:']) {
    assert.ok(text.includes(blank), blank);
  }
  assert.match(raw, /Seite 1 von \d/);

  // No secret: not the keyring's, not the environment's, not the URL parts that act as passwords.
  for (const secret of [SMTP_PASSWORD, DB_PASSWORD, PASSPHRASE, PASSPHRASE.replaceAll('-', ''), HEARTBEAT_ID, WEBHOOK_TOKEN]) {
    assert.not.ok(raw.includes(secret) || text.includes(secret), `secret in the PDF: ${secret}`);
    assert.not.ok(r.stdout.includes(secret) || r.stderr.includes(secret), `secret in the output: ${secret}`);
  }
  // The check above can see a secret where one is: the config (as the test wrote it) holds the URL parts.
  assert.ok(readFileSync(configFile, 'utf8').includes(HEARTBEAT_ID));

  // Page 1 as an image, to look at the layout.
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const png = join(SCREENSHOT_DIR, '..', 'concept-page1');
  await execa('pdftoppm', ['-r', '60', '-f', '1', '-l', '1', '-png', '-singlefile', out, png]);
  assert.ok(existsSync(`${png}.png`));
  await execa('pdftoppm', ['-r', '60', '-f', '2', '-l', '2', '-png', '-singlefile', out, join(SCREENSHOT_DIR, '..', 'concept-page2')]);
});

test('English by the CLI’s language; the default file is Datensicherungskonzept.pdf in the current folder', async () => {
  const cwd = join(root, 'cwd-en');
  mkdirSync(cwd);
  const r = await execa(process.execPath, [CLI, 'concept', '--config', configFile, '--json'], { cwd, env: { ...env, PRAXIS_BACKUP_LANG: 'en' }, reject: false });
  assert.is(r.exitCode, 0, r.stderr);
  const file = join(cwd, 'Datensicherungskonzept.pdf');
  assert.equal(JSON.parse(r.stdout.trim()), { type: 'concept', file });
  const text = flat(await pdfText(file));
  assert.ok(text.includes('Backup concept (Datensicherungskonzept)'));
  assert.ok(text.includes('As of 2026-12-02'));
  assert.ok(text.includes('Mon–Fri at 03:15'), text.slice(0, 2000));
  assert.ok(text.includes('at most 3 days'));
  assert.ok(text.includes('The 10 newest complete backups are kept; with the schedule they reach back about 13 days'));
  assert.ok(text.includes('Responsible person:') && text.includes('Where the USB disk “usb” is kept:'));
  assert.ok(text.includes('a weekly summary, every Friday'));
  assert.ok(text.includes('Page 1 of'));
  assert.not.ok(text.includes('Sicherung'), 'no German sentence in the English document');
  // A folder as --out: the usual name inside it.
  const dir = join(root, 'ablage');
  mkdirSync(dir);
  const d = await runCli(['concept', '--config', configFile, '--out', dir], env);
  assert.is(d.code, 0, d.stderr);
  assert.is(d.stdout.trim(), join(dir, 'Datensicherungskonzept.pdf'));
  assert.ok(existsSync(join(dir, 'Datensicherungskonzept.pdf')));
});

test('a practice without copies, schedule or notifications: the concept says what is missing and what to do', async () => {
  const files = join(root, 'nur-ordner');
  mkdirSync(files);
  const cfg = join(root, 'minimal.json');
  writeFileSync(cfg, JSON.stringify({ backupDir: join(root, 'b2'), components: [{ name: 'anhaenge', type: 'folder', path: files }], mirrors: [{ name: 'stick', type: 'volume', volume: { uuid: 'ABCD-1234' } }] }));
  const out = join(root, 'minimal.pdf');
  const r = await runCli(['concept', '--config', cfg, '--out', out], env);
  assert.is(r.code, 0, r.stderr);
  const text = flat(await pdfText(out));
  assert.ok(text.includes('Es ist kein Zeitplan eingerichtet'));
  // No retention in the config: the default generations, in words; without a schedule a backup a
  // night is assumed. From 2 Dec 2026 the projection's newest night is Sunday 7 Jan 2029: the 20
  // nights back to 19 Dec, one earlier Sunday (17 Dec), 10 further month ends (Nov … Feb 2028) and
  // 3 quarter ends (Dec, Sep, Jun 2027) = 34, the oldest 557 days back (≈ 18.3 months); the same
  // figures test/retention/projection.test.ts works out from the calendar.
  assert.ok(
    text.includes('Praxis-Backup behält die letzten 20 Sicherungen, je eine pro Tag der letzten 7 Tage, pro Woche für 4 Wochen, pro Monat für 12 Monate und den Stand am Ende der letzten 8 Quartale (Quartalssicherung).'),
    text,
  );
  assert.ok(text.includes('bei einer Sicherung pro Nacht wären es, sobald alle Regeln gefüllt sind, 34 Sicherungen, die älteste etwa 18 Monate zurück'), text);
  assert.ok(text.includes('alle (siehe 5.)'), 'the scope of the backup folder');
  assert.not.ok(text.includes('neuesten vollständigen Sicherungen aufbewahrt'), 'not the keep-N sentence');
  assert.not.ok(text.includes('Platzbedarf'), 'no backup yet: no sizes to project from');
  assert.ok(text.includes('USB-Festplatte mit der UUID ABCD-1234'));
  assert.ok(text.includes('Hinweis: Die Festplatte „stick“ ist nicht verschlüsselt'), 'an unencrypted USB disk is called out');
  assert.ok(text.includes('Außerhalb des Servers wird niemand benachrichtigt'));
  assert.ok(text.includes('Kein Datenträger ist verschlüsselt'));
});

test('with a backup in the directory the concept says the disk the policy needs, from the newest manifest', async () => {
  const files = join(root, 'mit-sicherung');
  mkdirSync(files);
  const backups = join(root, 'b-sizes');
  const id = '20261201_031500';
  mkdirSync(join(backups, id), { recursive: true });
  const GB = 1024 ** 3;
  const manifest = {
    format: MANIFEST_FORMAT, id, status: 'complete', tool: { name: 'praxis-backup', version: 'test' }, host: 'praxis-server',
    startedAt: '2026-12-01T02:15:00.000Z', finishedAt: '2026-12-01T02:40:00.000Z', warnings: [],
    components: [
      { name: 'datenbank', type: 'postgres', path: 'datenbank.pgdump', bytes: 2 * GB, warnings: [] },
      { name: 'anhaenge', type: 'folder', path: 'anhaenge', bytes: 50 * GB, bytesCopied: GB / 4, files: 90_000, warnings: [] },
    ],
  };
  writeFileSync(join(backups, id, 'manifest.json'), JSON.stringify(manifest));
  const cfg = join(root, 'sizes.json');
  writeFileSync(cfg, JSON.stringify({ backupDir: backups, components: [{ name: 'anhaenge', type: 'folder', path: files }], retention: { last: 10, monthly: 6 }, schedule: { cron: '15 3 * * *' } }));
  const out = join(root, 'sizes.pdf');
  const r = await runCli(['concept', '--config', cfg, '--out', out], env);
  assert.is(r.code, 0, r.stderr);
  const text = flat(await pdfText(out));
  assert.ok(text.includes('Praxis-Backup behält die letzten 10 Sicherungen und je eine pro Monat für 6 Monate.'), text);
  // Nightly from 2 Dec 2026 + 217 days: the newest night 7 Jul 2027; 10 nights back to 28 Jun; the
  // month rule's 6: 7 Jul, 30 Jun (among the 10), the ends of May, Apr, Mar, Feb → 10 + 4 = 14 kept,
  // the oldest 28 Feb: 129 days ≈ 4 months.
  assert.ok(text.includes('Mit dem Zeitplan sind das, sobald alle Regeln gefüllt sind, 14 Sicherungen; die älteste reicht etwa 4 Monate zurück.'), text);
  // 14 × 2 GiB of dumps + 50 GiB of folders once + 13 × ¼ GiB of changes = 81.25 GiB.
  const need = formatBytes(14 * 2 * GB + 50 * GB + 13 * (GB / 4), 'de');
  assert.ok(text.includes(`Platzbedarf dieser Sicherungen: etwa ${need}, gerechnet mit der neuesten Sicherung (Datenbanken ${formatBytes(2 * GB, 'de')} je Sicherung, Ordner ${formatBytes(50 * GB, 'de')} einmal und ${formatBytes(GB / 4, 'de')} Änderungen je weitere Sicherung)`), text);
});

test('bad input exits 2 and names it; nothing is written', async () => {
  const missingDir = join(root, 'gibt-es-nicht');
  let r = await runCli(['concept', '--config', configFile, '--out', join(missingDir, 'k.pdf')], env);
  assert.is(r.code, 2, r.stderr);
  assert.ok(r.stderr.includes(`Das Verzeichnis ${missingDir} existiert nicht`), r.stderr);
  assert.not.ok(existsSync(missingDir));
  r = await runCli(['concept', '--config', configFile, '--out', join(root, 'konzept.txt')], env);
  assert.is(r.code, 2);
  assert.match(r.stderr, /muss auf \.pdf enden/);
  assert.not.ok(existsSync(join(root, 'konzept.txt')));
  const bad = join(root, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...full(join(root, 'b3'), join(root, 'Anhänge')), notify: { email: { host: 'x', from: 'kein-at', to: ['a@b.de'] } } }));
  r = await runCli(['concept', '--config', bad, '--out', join(root, 'bad.pdf')], env);
  assert.is(r.code, 2);
  assert.match(r.stderr, /notify\.email\.from/);
  assert.not.ok(existsSync(join(root, 'bad.pdf')));
  r = await runCli(['concept', '--config', configFile, '--bogus'], env);
  assert.is(r.code, 2);
});

test('schedule arithmetic: the longest gap and how far the generations reach', () => {
  const wed = new Date('2026-12-02T08:00:00+01:00');
  assert.is(longestGap('15 3 * * 1-5', wed), 72 * HOURS, 'Friday 03:15 to Monday 03:15');
  assert.is(longestGap('15 3 * * *', wed), 24 * HOURS);
  assert.is(longestGap('0 */6 * * *', wed), 6 * HOURS);
  // Ten runs Mon–Fri from a Wednesday: Thu … the Wednesday two weeks on = 13 days.
  assert.is(generationsReach('15 3 * * 1-5', 10, wed), 13 * 24 * HOURS);
  assert.is(generationsReach('15 3 * * *', 7, wed), 6 * 24 * HOURS);
  assert.is(hostOf('https://hc.example.de/ping/geheim'), 'hc.example.de');
  assert.is(hostOf('kaputt'), '?');
});

test('the content: ntfy with a token, a self-signed mail server, Uptime Kuma and no heartbeat are each said', () => {
  const base = full('/srv/backup', '/srv/files');
  const cfg = configSchema.parse({
    ...base,
    notify: { email: { ...base.notify.email, allowSelfSigned: true, tls: 'tls', port: 465 }, ntfy: { url: 'https://ntfy.example.de/praxis-geheim', token: true }, heartbeat: { url: 'https://kuma.example.de/api/push/abc', style: 'uptime-kuma' }, onSuccess: true, weeklySummary: false, monthlyReport: false },
  });
  const text = (c: typeof cfg) => JSON.stringify(buildConcept({ config: c, configFile: '/etc/pb.json', lang: 'de', now: new Date('2026-12-02T08:00:00+01:00'), platform: 'darwin' }));
  const s = text(cfg);
  assert.ok(s.includes('über mail.example.de:465, TLS) – das Zertifikat des Mailservers wird nicht geprüft'), s);
  assert.ok(s.includes('Push-Nachricht über ntfy (ntfy.example.de, mit Zugangs-Token)'));
  assert.not.ok(s.includes('praxis-geheim'), 'the topic is not printed');
  assert.ok(s.includes('kuma.example.de (Uptime Kuma)'));
  assert.ok(s.includes('auch nach jeder gelungenen Sicherung'));
  assert.not.ok(s.includes('Wochenbericht'), 'weekly summary off');
  assert.not.ok(s.includes('des Vormonats per E-Mail'), 'monthly report off');
  // macOS: the disk is an encrypted APFS volume, the commands without sudo -u postgres, launchd.
  assert.ok(s.includes('ja (verschlüsseltes APFS-Volume)'));
  assert.ok(s.includes('pg_restore --no-owner -d tomedo') && !s.includes('sudo -u postgres'));
  assert.ok(s.includes('macOS-Dienst launchd'));
  const noHeartbeat = configSchema.parse({ ...base, notify: { email: base.notify.email } });
  assert.ok(text(noHeartbeat).includes('Kein Heartbeat eingerichtet'));
});

test('the content: generations in words (de, en), a mirror with its own, keep N as before, the need from given sizes', () => {
  assert.is(policyWords({ keep: 5 } as never, 'de'), 'die letzten 5 Sicherungen');
  assert.is(policyWords({ weekly: 1 } as never, 'de'), 'je eine aus der letzten Woche');
  assert.is(policyWords({ daily: 7, quarterly: 4 } as never, 'de'), 'je eine pro Tag der letzten 7 Tage und den Stand am Ende der letzten 4 Quartale (Quartalssicherung)');
  assert.is(policyWords({ last: 1, monthly: 3 } as never, 'en'), 'the newest backup and one per month for 3 months');
  assert.is(
    policyWords({ last: 20, daily: 7, weekly: 4, monthly: 12, quarterly: 8 } as never, 'en'),
    'the last 20 backups, one per day for the last 7 days, per week for 4 weeks, per month for 12 months and the state at the end of each of the last 8 quarters (quarter archive)',
  );
  const base = full('/srv/backup', '/srv/files');
  const cfg = configSchema.parse({
    ...base,
    retention: { last: 20, daily: 7, weekly: 4, monthly: 12, quarterly: 8 },
    mirrors: [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-BACKUP' }, retention: { last: 5, quarterly: 1 } }, base.mirrors[1]],
  });
  const GB = 1024 ** 3;
  const sizes = { dumpBytes: GB, folderBytes: 40 * GB, folderChangeBytes: GB / 8 };
  const concept = (lang: 'de' | 'en', withSizes: boolean) =>
    JSON.stringify(buildConcept({ config: cfg, configFile: '/etc/pb.json', lang, now: new Date('2026-12-02T08:00:00+01:00'), platform: 'linux', ...(withSizes ? { sizes } : {}) }));
  const de = concept('de', true);
  // Mon–Fri from 2 Dec 2026: the newest projected run Friday 5 Jan 2029; 20 weekdays back to
  // 11 Dec; the weeks' Fridays are among them; month ends Nov … Feb 2028 (10) and the quarter ends
  // Dec, Sep, Jun 2027 (3) beyond: 33 kept, the oldest (30 Jun 2027) 555 days back ≈ 18 months.
  assert.ok(de.includes('Mit dem Zeitplan sind das, sobald alle Regeln gefüllt sind, 33 Sicherungen; die älteste reicht etwa 18 Monate zurück.'), de);
  assert.ok(de.includes(`Platzbedarf dieser Sicherungen: etwa ${formatBytes(33 * GB + 40 * GB + 32 * (GB / 8), 'de')},`), de);
  assert.ok(de.includes('Auf „usb“ gilt eine eigene Aufbewahrung: Praxis-Backup behält dort die letzten 5 Sicherungen und den Stand am Ende des letzten Quartals (Quartalssicherung).'));
  assert.ok(de.includes('"eigene Regeln (siehe 5.)"'), 'the USB disk’s scope');
  assert.ok(de.includes('"alle (siehe 5.)"'), 'the backup folder’s scope');
  assert.ok(de.includes('"nur die neueste Sicherung"'), 'the share keeps only the newest, its own retention or not');
  const en = concept('en', false);
  assert.ok(en.includes('Praxis-Backup keeps the last 20 backups, one per day for the last 7 days, per week for 4 weeks, per month for 12 months and the state at the end of each of the last 8 quarters (quarter archive).'), en);
  assert.ok(en.includes('With the schedule that is 33 backups once every rule is full; the oldest reaches back about 18 months.'));
  assert.not.ok(en.includes('Disk space'), 'no sizes: no need');
  // keep N reads as it always did, in the table too.
  const keep = JSON.stringify(buildConcept({ config: configSchema.parse(base), configFile: '/etc/pb.json', lang: 'de', now: new Date('2026-12-02T08:00:00+01:00'), platform: 'linux' }));
  assert.ok(keep.includes('Es werden die 10 neuesten vollständigen Sicherungen aufbewahrt; mit dem Zeitplan reichen sie etwa 13 Tage zurück.'));
  assert.ok(keep.includes('"alle 10 Sicherungen"'));
  assert.not.ok(keep.includes('Praxis-Backup behält'));
});

test.run();

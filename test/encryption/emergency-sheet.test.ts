// The emergency sheet (issue 8): the rendered HTML (content in both languages, escaping, A4 print
// rules), a real PDF from LibreOffice when it is installed, and the built CLI against a real
// Secret Service (a private gnome-keyring): refusals with their exit codes, a 0600 file that holds
// the passphrase, and the passphrase nowhere in stdout, stderr or the logs.
import { execa } from 'execa';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeHtml, GOCRYPTFS_DIR, passphraseGroups, renderEmergencySheet, writeEmergencySheet, type SheetInput } from '../../src/encryption/emergency-sheet';
import { allText, CLI } from '../helpers/cli';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('emergency sheet');
test.after(runCleanups);

const PASS = 'k7mq4-tw9cd-abe36-fghjk-mnpqr-stuvw';
const base: SheetInput = {
  practiceName: 'Praxis Dr. Müller & Partner',
  mirror: { name: 'usb', type: 'volume', label: 'PRAXIS-BACKUP-A', uuid: '5F1C0A2B-9D3E-4C11-8F00-0123456789AB' },
  passphrase: PASS,
  createdAt: new Date(2025, 2, 14, 10, 30),
  lang: 'de',
  components: [
    { name: 'datenbank', type: 'postgres', database: 'tomedo' },
    { name: 'elexis', type: 'mariadb', database: 'elexis' },
    { name: 'anhaenge', type: 'folder', path: '/var/lib/tomedo/Anhänge' },
  ],
};

test('German: practice, mirror, label, UUID, date, the passphrase in its groups, the safe box', () => {
  const html = renderEmergencySheet(base);
  assert.match(html, 'Praxis Dr. Müller &amp; Partner');
  assert.match(html, 'usb (USB-Festplatte)');
  assert.match(html, 'PRAXIS-BACKUP-A');
  assert.match(html, '5F1C0A2B-9D3E-4C11-8F00-0123456789AB');
  assert.match(html, '14. März 2025');
  assert.match(html, 'Im Tresor aufbewahren – nicht beim Server');
  for (const g of PASS.split('-')) assert.match(html, `<span class="grp">${g}</span>`);
  assert.is((html.match(/<span class="sep">-<\/span>/g) ?? []).length, 5);
  // The passphrase read off the groups and separators is exactly the passphrase.
  const shown = [...html.matchAll(/<span class="(?:grp|sep)">([^<]*)<\/span>/g)].map((m) => m[1]).join('');
  assert.is(shown, PASS);
  assert.match(html, 'Standardwerkzeugen');
  assert.match(html, 'kann niemand wiederherstellen');
});

test('German: Linux (gocryptfs) and macOS (Finder, Festplattendienstprogramm) steps with the real file names', () => {
  const html = renderEmergencySheet(base);
  assert.match(html, 'sudo apt install gocryptfs');
  assert.match(html, `mkdir ~/praxis-klar &amp;&amp; gocryptfs &quot;/media/$USER/PRAXIS-BACKUP-A/${GOCRYPTFS_DIR}&quot; ~/praxis-klar`);
  assert.match(html, 'JJJJMMTT_HHMMSS');
  assert.match(html, 'createdb tomedo');
  assert.match(html, 'pg_restore --no-owner -d tomedo &quot;$B/datenbank.pgdump&quot;');
  assert.match(html, 'gunzip -c &quot;$B/elexis.sql.gz&quot; | sudo mariadb');
  assert.match(html, "sudo cp -a &quot;$B/anhaenge/.&quot; &#39;/var/lib/tomedo/Anhänge&#39;/");
  assert.match(html, 'fusermount -u ~/praxis-klar');
  assert.match(html, 'Festplattendienstprogramm');
  assert.match(html, '„Aktivieren“');
  assert.match(html, 'Finder');
  assert.match(html, 'Postgres.app');
  assert.match(html, '/Volumes/PRAXIS-BACKUP-A/Praxis-Backup');
  // Steps are numbered lists.
  assert.ok((html.match(/<ol>/g) ?? []).length >= 2);
});

test('English: the same facts and steps in English', () => {
  const html = renderEmergencySheet({ ...base, lang: 'en' });
  assert.match(html, '<html lang="en">');
  assert.match(html, 'Keep in the safe – not next to the server');
  assert.match(html, '14 March 2025');
  assert.match(html, 'usb (USB disk)');
  assert.match(html, 'YYYYMMDD_HHMMSS');
  assert.match(html, 'Open the decrypted view');
  assert.match(html, 'open Disk Utility');
  assert.match(html, 'standard tools alone');
  assert.match(html, 'Nobody can recover this passphrase');
  assert.not.match(html, 'Festplattendienstprogramm');
});

test('platform given: leads with that format, mentions the other; SMB mirror on a Mac: the sparse bundle', () => {
  const linux = renderEmergencySheet({ ...base, platform: 'linux' });
  assert.match(linux, 'gocryptfs');
  assert.not.match(linux, 'Festplattendienstprogramm');
  assert.match(linux, 'macFUSE');
  const smb = renderEmergencySheet({ ...base, platform: 'darwin', mirror: { name: 'nas', type: 'smb', url: 'smb://nas.local/backup' } });
  assert.match(smb, 'Praxis-Backup.sparsebundle');
  assert.match(smb, 'smb://nas.local/backup');
  assert.match(smb, 'doppelklicken');
  assert.not.match(smb, 'fusermount');
  // Without components: placeholders, not empty commands.
  const bare = renderEmergencySheet({ ...base, components: undefined, lang: 'en' });
  assert.match(bare, 'createdb &lt;database&gt;');
});

test('every interpolated text is escaped: a practice name, label or mirror with <script>', () => {
  const evil = '<script>alert("x")</script>';
  const html = renderEmergencySheet({
    ...base,
    practiceName: `Praxis ${evil}`,
    mirror: { name: 'usb', type: 'volume', label: `L${evil}`, uuid: `U${evil}` },
    passphrase: `a<b>-"c"-'d'&e`,
  });
  assert.not.match(html, '<script');
  assert.match(html, 'Praxis &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  assert.match(html, '<span class="grp">a&lt;b&gt;</span>');
  assert.is(escapeHtml(`<&>"'`), '&lt;&amp;&gt;&quot;&#39;');
  // Self-contained: nothing loaded from elsewhere, no scripts.
  assert.not.match(renderEmergencySheet(base), /<(script|link|img|iframe)\b|src=|url\(/i);
});

test('passphrase groups: separators kept; without separators blocks of four for reading', () => {
  assert.equal(passphraseGroups('ab-cd').groups, ['ab', '-', 'cd']);
  assert.equal(passphraseGroups('abcdefghij'), { groups: ['abcd', 'efgh', 'ij'], separatorsTyped: false });
  assert.match(renderEmergencySheet({ ...base, passphrase: 'abcdefghij' }), 'Ohne Leerzeichen');
});

test('A4 print rules: @page A4 with margins, code blocks and the safe box not split', () => {
  const html = renderEmergencySheet(base);
  assert.match(html, '@page { size: A4; margin: 18mm }');
  assert.match(html, /\.safe \{[^}]*break-inside: avoid/);
  assert.match(html, /pre \{[^}]*break-inside: avoid/);
});

test('writeEmergencySheet: Notfallblatt-<mirror>-<date>.html, mode 0600 also when replacing a wider file', async () => {
  const dir = await makeTempDir('praxis-sheet-');
  const old = join(dir, 'Notfallblatt-usb-2025-03-14.html');
  await writeFile(old, 'old', { mode: 0o644 });
  const file = await writeEmergencySheet(dir, base);
  assert.is(file, old);
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), 'k7mq4');
});

test('real PDF on A4 from LibreOffice (when installed)', async () => {
  const soffice = ['/usr/bin/soffice', '/usr/bin/libreoffice'].find((p) => existsSync(p));
  if (!soffice) return console.log('  (LibreOffice not installed: only the @page rule is checked)');
  const dir = await makeTempDir('praxis-sheet-pdf-');
  const file = await writeEmergencySheet(dir, base);
  const r = await execa(soffice, ['--headless', `-env:UserInstallation=file://${dir}/lo-profile`, '--convert-to', 'pdf:writer_web_pdf_Export', '--outdir', dir, file], {
    reject: false, timeout: 120_000, env: { HOME: dir },
  });
  const pdf = file.replace(/\.html$/, '.pdf');
  assert.ok(existsSync(pdf), `no PDF: ${r.stderr} ${r.stdout}`);
  const bytes = readFileSync(pdf).toString('latin1');
  const boxes = [...bytes.matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.ok(boxes.length >= 1, 'no pages');
  // A4 = 210 × 297 mm = 595.3 × 841.9 pt.
  for (const [w, h] of boxes) assert.ok(Math.abs(w! - 595.3) < 2 && Math.abs(h! - 841.9) < 2, `page ${w}×${h} pt is not A4`);
  console.log(`  PDF: ${boxes.length} A4 page(s), ${statSync(pdf).size} bytes`);
  if (existsSync('/usr/bin/pdftotext')) {
    const text = (await execa('pdftotext', [pdf, '-'])).stdout;
    for (const g of PASS.split('-')) assert.match(text, g);
    assert.match(text, 'fusermount -u');
  }
});

// ---- the CLI, built, against a real Secret Service ----

const ROOT = new URL('../..', import.meta.url).pathname;
const KEYTAR_SET = "const k=require('keytar');let s='';process.stdin.on('data',(d)=>(s+=d)).on('end',()=>k.setPassword('Praxis-Backup','encryption://usb',s).then(()=>process.exit(0),(e)=>{console.error(e);process.exit(1)}))";

let kr: TestKeyring;
let root: string;
let configFile: string;

async function cli(args: string[], extra: Record<string, string> = {}) {
  const r = await execa(process.execPath, [CLI, ...args], {
    env: { ...kr.env, LANG: 'de_DE.UTF-8', ...extra }, extendEnv: false, stdin: 'ignore', reject: false,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

test('CLI: a mirror without encrypt → exit 2 naming it and the fix; unknown mirror → exit 2', async () => {
  kr = await startKeyring();
  root = await makeTempDir('praxis-sheet-cli-');
  configFile = join(root, 'config.json');
  await writeFile(configFile, JSON.stringify({
    practiceName: 'Praxis Dr. Sommer',
    backupDir: join(root, 'backups'),
    components: [{ name: 'datenbank', type: 'postgres', database: 'tomedo' }],
    mirrors: [
      { name: 'usb', type: 'path', path: join(root, 'usb'), encrypt: true },
      { name: 'plain', type: 'path', path: join(root, 'plain') },
    ],
  }));
  const r = await cli(['emergency-sheet', 'plain', '--config', configFile]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, '„plain“ ist nicht verschlüsselt');
  assert.match(r.stderr, '"encrypt": true');
  const u = await cli(['emergency-sheet', 'nix', '--config', configFile]);
  assert.is(u.code, 2, u.stderr);
  assert.match(u.stderr, 'usb, plain');
});

test('CLI: no passphrase stored → exit 1 with `encryption setup`', async () => {
  const r = await cli(['emergency-sheet', 'usb', '--config', configFile, '--out', root]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, 'encryption://usb');
  assert.match(r.stderr, 'praxis-backup encryption setup usb');
});

test('CLI: writes a 0600 sheet with the passphrase, prints only its path; the passphrase nowhere else', async () => {
  // Stored through keytar, as the product stores it: an item from `secret-tool store` lacks the
  // xdg:schema attribute keytar's lookup matches on, and was found only now and then. The
  // passphrase goes in on stdin, not argv.
  const k = await execa(process.execPath, ['-e', KEYTAR_SET], { env: kr.env, extendEnv: false, input: PASS, cwd: ROOT, reject: false });
  assert.is(k.exitCode, 0, String(k.stderr));
  const out = join(root, 'out');
  await mkdir(out);
  const r = await cli(['emergency-sheet', 'usb', '--config', configFile, '--out', out]);
  assert.is(r.code, 0, r.stderr);
  const file = r.stdout.trim();
  assert.match(file, /^\/.*\/out\/Notfallblatt-usb-\d{4}-\d{2}-\d{2}\.html$/);
  assert.is(statSync(file).mode & 0o777, 0o600);
  const html = readFileSync(file, 'utf8');
  assert.match(html, 'Praxis Dr. Sommer');
  for (const g of PASS.split('-')) assert.match(html, `<span class="grp">${g}</span>`);
  assert.match(r.stderr, 'Tresor');
  for (const g of PASS.split('-')) {
    assert.not.match(r.stdout + r.stderr, g, 'passphrase printed');
    // Logs, state, config: everything under the CLI's HOME except the sheet itself.
    assert.not.match(allText(kr.home), g, 'passphrase in a file under HOME');
  }
  const j = await cli(['emergency-sheet', 'usb', '--config', configFile, '--out', out, '--json'], { LANG: 'en_GB.UTF-8' });
  assert.is(j.code, 0, j.stderr);
  assert.is(JSON.parse(j.stdout).file, file);
  assert.match(j.stderr, 'Print it now');
});

test('CLI: default folder is the Desktop (XDG name) when there is one', async () => {
  const desk = join(kr.home, 'Schreibtisch');
  await mkdir(desk, { recursive: true });
  await mkdir(join(kr.home, '.config'), { recursive: true });
  await writeFile(join(kr.home, '.config', 'user-dirs.dirs'), 'XDG_DESKTOP_DIR="$HOME/Schreibtisch"\n');
  const r = await cli(['emergency-sheet', 'usb', '--config', configFile]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.trim().startsWith(desk + '/Notfallblatt-usb-'), r.stdout);
  await kr.stop();
});

test.run();

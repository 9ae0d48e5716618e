// The emergency sheet of an off-site restic repository (issue 17): the repository's address, the
// password box, and restic's own recipe (install, address + password typed in, list, restore into
// ~/praxis-restore/<id>), followed by the standard restore steps and the way through Praxis-Backup
// — and none of the folder kinds' steps (no gocryptfs, no disk). That the commands work for real is
// proven by the burn-down test (test/cli/offsite-restore.test.ts), which runs them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderEmergencySheet, type SheetInput } from '../../src/encryption/emergency-sheet';
import { destinationKind } from '../../src/destinations/registry';
import { validateConfig } from '../../src/config/load';

const test = suite('emergency sheet of a restic repository');

const PASS = 'k7mq4-tw9cd-abe36-fghjk-mnpqr-stuvw';
const mirror = validateConfig(
  { backupDir: '/srv/backup', components: [{ name: 'anhaenge', type: 'folder', path: '/srv/anhaenge' }], mirrors: [{ name: 'aussen', type: 'restic', repository: 'sftp:praxis@backup.example.de:/praxis' }] },
  'test',
).mirrors[0]!;
const input = (lang: 'de' | 'en'): SheetInput => ({
  practiceName: 'Praxis Dr. Müller',
  mirror: destinationKind(mirror).sheet(mirror, null),
  passphrase: PASS,
  createdAt: new Date(2026, 10, 20, 9, 0),
  lang,
  components: [
    { name: 'datenbank', type: 'postgres', database: 'tomedo' },
    { name: 'anhaenge', type: 'folder', path: '/srv/anhaenge' },
  ],
});

test('German: address row, password box, restic recipe, standard steps, no folder-kind steps', () => {
  const html = renderEmergencySheet(input('de'));
  assert.match(html, 'aussen (restic-Repository (Auslagerung))');
  assert.match(html, '<th>Repository</th><td>sftp:praxis@backup.example.de:/praxis</td>');
  const shown = [...html.matchAll(/<span class="(?:grp|sep)">([^<]*)<\/span>/g)].map((m) => m[1]).join('');
  assert.is(shown, PASS);
  assert.match(html, 'sudo apt install restic');
  assert.match(html, 'export RESTIC_REPOSITORY=sftp:praxis@backup.example.de:/praxis\nread -rs RESTIC_PASSWORD &amp;&amp; export RESTIC_PASSWORD');
  assert.match(html, 'SSH-Schlüssel');
  assert.match(html, 'restic snapshots --tag praxis-backup');
  assert.match(html, 'B_ID=JJJJMMTT_HHMMSS\nrestic restore latest --tag praxis-backup,$B_ID --target ~/praxis-restore/$B_ID');
  // The standard steps read the restored folder under ~/praxis-restore.
  assert.match(html, 'ls ~/praxis-restore\nB=~/praxis-restore/JJJJMMTT_HHMMSS');
  assert.match(html, 'pg_restore --no-owner -d tomedo &quot;$B/datenbank.pgdump&quot;');
  assert.match(html, 'praxis-backup restore JJJJMMTT_HHMMSS --from-mirror aussen');
  assert.not.match(html, 'gocryptfs');
  assert.not.match(html, 'Festplattendienstprogramm');
  // The password is on the sheet once, in its box, never inside a command.
  assert.is(html.split('k7mq4').length - 1, 1);
});

test('English, and a local path repository: no network hint, no SSH key step', () => {
  const local = validateConfig({ backupDir: '/srv/backup', components: [{ name: 'a', type: 'folder', path: '/srv/a' }], mirrors: [{ name: 'nas', type: 'restic', repository: '/mnt/nas/restic' }] }, 'test').mirrors[0]!;
  const html = renderEmergencySheet({ ...input('en'), mirror: destinationKind(local).sheet(local, null) });
  assert.match(html, 'nas (restic repository (off-site))');
  assert.match(html, 'Restoring from the restic repository (Linux and macOS)');
  assert.match(html, 'export RESTIC_REPOSITORY=/mnt/nas/restic');
  assert.not.match(html, 'SSH key');
  assert.not.match(html, 'needs internet');
  assert.match(html, 'B_ID=YYYYMMDD_HHMMSS');
});

test.run();

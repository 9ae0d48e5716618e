// What each rsync keeps, read from its --version text (recorded: rsync 3.5.0 on this Debian, Apple's
// openrsync from its main.c:1751, Apple's rsync 2.6.9), and which error lines are lost attributes.
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attributeNotKept, capabilityWords, rsyncFidelity } from '../../src/backup/rsync-fidelity';
import { parseVersion, type ToolInfo } from '../../src/process/tool-locator';
import { reportRsync } from '../../src/backup/folder-copy';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { render } from '../../src/i18n';

const RSYNC_350 = `rsync  version 3.5.0  protocol version 32
Copyright (C) 1996-2026 by Andrew Tridgell, Wayne Davison, and others.
Web site: https://rsync.samba.org/
Capabilities:
    64-bit files, 64-bit inums, 64-bit timestamps, 64-bit long ints,
    socketpairs, symlinks, symtimes, hardlinks, hardlink-specials,
    hardlink-symlinks, IPv6, atimes, batchfiles, inplace, append, ACLs,
    ACL-at, xattrs, optional secluded-args, iconv, prealloc, stop-at,
    no crtimes
Optimizations:
    SIMD-roll, no asm-roll, openssl-crypto, no asm-MD5`;
const OPENRSYNC = `openrsync: protocol version 29
rsync version 2.6.9 compatible`;
const APPLE_269 = `rsync  version 2.6.9  protocol version 29
Copyright (C) 1996-2006 by Andrew Tridgell, Wayne Davison, and others.
<http://rsync.samba.org/>
Capabilities: 64-bit files, socketpairs, hard links, symlinks, batchfiles,
              inplace, IPv6, 64-bit system inums, 64-bit internal inums`;

const tool = (text: string, path = '/usr/bin/rsync'): ToolInfo => {
  const lines = text.split('\n');
  return { name: 'rsync', path, version: lines[0]!, versionLines: lines, ...parseVersion(lines[0]!) };
};

test('rsync 3.5.0 (Debian): -H -A -X -S --numeric-ids, nothing lost ("no crtimes" is no loss on Linux)', () => {
  const f = rsyncFidelity(tool(RSYNC_350));
  assert.equal(f.args, ['-H', '-A', '-X', '-S', '--numeric-ids']);
  assert.equal(f.cannotKeep, []);
  assert.ok(capabilityWords(RSYNC_350.split('\n'))!.has('no crtimes'));
});

test('a rsync 3 built without ACLs and xattrs (its Capabilities say "no ACLs", "no xattrs"): no -A/-X, both named as lost', () => {
  const text = RSYNC_350.replace('append, ACLs,', 'append, no ACLs,').replace('ACL-at, xattrs,', 'no xattrs,');
  const f = rsyncFidelity(tool(text));
  assert.equal(f.args, ['-H', '-S', '--numeric-ids']);
  assert.equal(f.cannotKeep, ['acls', 'xattrs']);
});

test('Homebrew rsync 3 on macOS lists crtimes: --crtimes is asked for', () => {
  const f = rsyncFidelity(tool(RSYNC_350.replace('no crtimes', 'crtimes'), '/opt/homebrew/bin/rsync'));
  assert.equal(f.args, ['-H', '-A', '-X', '-S', '--numeric-ids', '--crtimes']);
});

test('openrsync: -E instead of -A/-X, creation dates lost; rsync 2.6.9: xattrs and ACLs lost', () => {
  const o = rsyncFidelity(tool(OPENRSYNC));
  assert.is(o.variant, 'openrsync');
  assert.equal(o.args, ['-H', '-E', '-S', '--numeric-ids']);
  assert.equal(o.cannotKeep, ['crtimes']);
  const old = rsyncFidelity(tool(APPLE_269));
  assert.equal(capabilityWords(APPLE_269.split('\n'))!.has('hard links'), true);
  assert.equal(old.args, ['-H', '-S', '--numeric-ids']);
  assert.equal(old.cannotKeep, ['acls', 'xattrs']);
});

test("this machine's rsync, asked for real: its Capabilities decide (-A only with ACLs, -X only with xattrs)", () => {
  const text = execFileSync('rsync', ['--version'], { encoding: 'utf8' });
  const f = rsyncFidelity(tool(text.trimEnd()));
  const words = capabilityWords(text.split('\n'))!;
  assert.is(f.args.includes('-A'), words.has('ACLs'));
  assert.is(f.args.includes('-X'), words.has('xattrs'));
});

test('attribute lines (recorded on ramfs and on ext4 without ea_inode) are told apart from other errors', () => {
  assert.is(attributeNotKept('rsync: [generator] set_acl: xacl_set(acl-dir, ACL_TYPE_ACCESS): Operation not supported (95)'), 'acls');
  assert.is(attributeNotKept('rsync: [receiver] set_acl: xacl_set(.acl-file.jTFgcf, ACL_TYPE_ACCESS): Operation not supported (95)'), 'acls');
  assert.is(attributeNotKept('rsync: [receiver] rsync_xal_set: fsetxattr("/tmp/i19/mnt/ramfs/x/.xattr-big.iVpywe","user.big8k") failed: Operation not supported (95)'), 'xattrs');
  assert.is(attributeNotKept('rsync: [receiver] rsync_xal_set: lsetxattr(""/m/x/big"","user.big8k") failed: No space left on device (28)'), 'xattrs');
  assert.is(attributeNotKept('rsync: [receiver] write failed on "/m/x/big": No space left on device (28)'), null);
  assert.is(attributeNotKept('rsync: [sender] send_files failed to open "/src/acl-notes.txt": Permission denied (13)'), null);
  assert.is(attributeNotKept('rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]'), null);
});

test('the log says which rsync copies, with which flags, and what it cannot keep (only when it lacks something)', () => {
  const said = (t: ToolInfo) => {
    const events: StampedEvent[] = [];
    reportRsync(new Reporter([(e) => events.push(e)], () => new Date(0)), t);
    return events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
  };
  const old = said(tool(APPLE_269));
  assert.equal(old.map((m) => m.key), ['run.tool', 'run.rsyncKeeps', 'run.rsyncCannotKeep']);
  assert.is(render('en', old[1]!), 'rsync -a -H -S --numeric-ids: besides contents, permissions, owners and times it keeps hard links, sparse files and numeric owner ids');
  assert.is(render('en', old[2]!), 'This rsync (/usr/bin/rsync) cannot keep ACLs and extended attributes (xattrs): files that have them are backed up without them. Install rsync 3 (macOS: brew install rsync) to keep them.');
  assert.match(render('de', old[2]!), /kann ACLs und erweiterte Attribute \(xattrs\) nicht erhalten/);
  assert.equal(said(tool(RSYNC_350)).map((m) => m.key), ['run.tool', 'run.rsyncKeeps']);
});

test.run();

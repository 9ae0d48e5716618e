// File names as bytes: the readable escaped form of messages, and rsync's own escapes read back
// (the rsync lines here are what rsync 3.x printed for such names, see the engine test
// odd-file-names.test.ts, which runs it).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { displayPath, rawIsUtf8, rawOfRsync, rawOfText } from '../../src/backup-directory/file-names';
import { rsyncLineText } from '../../src/backup/folder-copy';

const test = suite('file names');

test('displayPath: UTF-8 as it reads, other bytes as \\xNN, control characters and the backslash escaped', () => {
  assert.is(displayPath('R\xf6ntgen.pdf'), 'R\\xf6ntgen.pdf');
  assert.is(displayPath(rawOfText('Röntgen.pdf')), 'Röntgen.pdf');
  assert.is(displayPath(rawOfText('neu\nzeile\t.txt')), 'neu\\nzeile\\t.txt');
  assert.is(displayPath('a\\b'), 'a\\\\b', 'a backslash doubled: the escaped form maps back to one byte string');
  assert.is(displayPath('x\x01\x7f'), 'x\\x01\\x7f');
  assert.is(displayPath('\xed\xa0\x80'), '\\xed\\xa0\\x80', 'an encoded surrogate is not UTF-8');
  assert.is(displayPath('\xc3'), '\\xc3', 'a cut-off sequence');
  assert.is(displayPath(rawOfText('\u{1F600}.txt')), '\u{1F600}.txt');
  assert.ok(rawIsUtf8(rawOfText('Röntgen')));
  assert.not.ok(rawIsUtf8('R\xf6ntgen'));
});

test('rawOfRsync: "\\#ooo" back to its byte, everything else as UTF-8 text', () => {
  assert.is(rawOfRsync('R\\#366ntgen.pdf'), 'R\xf6ntgen.pdf');
  assert.is(rawOfRsync('new\\#012line.txt'), 'new\nline.txt');
  assert.is(rawOfRsync('back\\#134#012slash'), 'back\\#012slash', 'a literal "\\#" is escaped by rsync as \\#134');
  assert.is(rawOfRsync('Röntgen.pdf'), rawOfText('Röntgen.pdf'));
  assert.is(rawOfRsync('R\\#303\\#266ntgen'), rawOfText('Röntgen'), 'with LANG=C rsync escapes UTF-8 too');
});

test('rsync error lines: prefix gone, quoted names readable', () => {
  assert.is(rsyncLineText('rsync: [sender] opendir "/srv/Befunde \\#304rzte" failed: Permission denied (13)'), 'opendir "/srv/Befunde \\xc4rzte" failed: Permission denied (13)');
  assert.is(rsyncLineText('rsync: [sender] change_dir "/srv/files" failed: No such file or directory (2)'), 'change_dir "/srv/files" failed: No such file or directory (2)');
});

test.run();

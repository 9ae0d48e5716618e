// The dump's own row counter: hand-made dumps in mariadb-dump's shape with every awkward byte a
// value can hold, split at every byte position, the cases it must refuse to guess, and real
// mariadb-dump output of a sample practice against SELECT COUNT(*).
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SqlDumpRowCounter, type DumpRows } from '../../../src/databases/mariadb/sql-dump-rows';
import { startMariadb, type MariaServer } from '../../helpers/mariadb';
import { createSampleMariadb } from '../../helpers/sample-practice';
import { runCleanups } from '../../helpers/temp';

const test = suite('rows in a mariadb-dump SQL stream');

function count(...chunks: Buffer[]): DumpRows {
  const c = new SqlDumpRowCounter();
  for (const b of chunks) c.push(b);
  return c.finish();
}
const sure = (r: DumpRows): Record<string, number> => {
  if (!r.sure) throw new Error(`unsure: ${r.reason}`);
  return r.rows;
};

const HEAD = `/*M!999999\\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
CREATE DATABASE /*!32312 IF NOT EXISTS*/ \`elexis\` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;
USE \`elexis\`;
`;

// Values as mariadb-dump writes them: backslash escapes (\\' \\\\ \\n \\r \\0 \\Z \\"), raw UTF-8,
// raw bytes of a non-hex binary column, hex, NULL, numbers; parentheses and semicolons inside strings.
const TRICKY = Buffer.concat([
  Buffer.from(HEAD),
  Buffer.from(`DROP TABLE IF EXISTS \`Notiz\`;
CREATE TABLE \`Notiz\` (
  \`id\` int(11) NOT NULL,
  \`t\` text DEFAULT 'a (b); c',
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB;
LOCK TABLES \`Notiz\` WRITE;
INSERT INTO \`Notiz\` VALUES
(1,'it\\'s (a) test; really','C:\\\\Praxis\\\\(x)'),
(2,'line1\\nline2\\r\\n\\0\\Z end \\"q\\" ;),(','😀 Größe ü'),
(3,NULL,0x28293B27),
(4,'\\\\','\\\\\\''),
(5,'','x'),
(6,'\`, "double", ''doubled''',-1.5e10);
INSERT INTO \`Notiz\` VALUES (7,'second statement',1),(8,'x',2);
UNLOCK TABLES;
CREATE TABLE \`we\`\`ird (x); name\` (
  \`a b\` int(11) DEFAULT NULL
) ENGINE=MyISAM;
INSERT INTO \`we\`\`ird (x); name\` VALUES (1),(2),(3);
CREATE TABLE \`leer\` (
  \`id\` int(11) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE \`gen\` (
  \`id\` int(11) NOT NULL,
  \`d\` int(11) GENERATED ALWAYS AS (\`id\` * 2) VIRTUAL
) ENGINE=InnoDB;
INSERT INTO \`gen\` (\`id\`, \`d\`, \`we\`\`ird (col)\`) VALUES (1,2,3),
(2,4,6);
`),
  Buffer.from("CREATE TABLE `bin` (\n  `b` varbinary(20)\n) ENGINE=InnoDB;\nINSERT INTO `bin` VALUES (1,'"),
  Buffer.from([0x00, 0xff, 0x28, 0x29, 0x3b, 0x0a, 0xf0, 0x9f, 0x98]), // raw bytes, none of them a quote or backslash
  Buffer.from("'),(2,'\\'\\\\');\n"),
  Buffer.from(`DELIMITER ;;
/*!50003 CREATE*/ /*!50003 TRIGGER tr AFTER INSERT ON Notiz FOR EACH ROW
INSERT INTO \`Notiz\` VALUES (NEW.id + 1000, 'from the trigger', 0), (2, 'x', 0);
INSERT INTO TRACES VALUES (1);
*/;;
DELIMITER ;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
-- Dump completed on 2026-11-24 22:11:50
`),
]);
const TRICKY_ROWS = { Notiz: 8, 'we`ird (x); name': 3, gen: 2, bin: 2 };

test('tricky values, names, a column list, two statements of one table, a trigger body: the exact rows', () => {
  const r = count(TRICKY);
  assert.equal(sure(r), TRICKY_ROWS);
  assert.equal(r.sure && r.tables.sort(), ['Notiz', 'bin', 'gen', 'leer', 'we`ird (x); name']);
});

test('split at every byte position, and fed byte by byte: the same counts', () => {
  const whole = JSON.stringify(count(TRICKY));
  for (let k = 0; k <= TRICKY.length; k++) {
    const r = JSON.stringify(count(TRICKY.subarray(0, k), TRICKY.subarray(k)));
    if (r !== whole) assert.unreachable(`split at ${k}: ${r}`);
  }
  const bytes = [...TRICKY].map((b) => Buffer.from([b]));
  assert.is(JSON.stringify(count(...bytes)), whole);
});

test('one-line extended INSERT (older mariadb-dump/mysqldump) and INSERT IGNORE / REPLACE', () => {
  const create = (t: string) => `CREATE TABLE \`${t}\` (\n  \`id\` int(11)\n) ENGINE=InnoDB;\n`;
  const sql = `${HEAD}${create('a')}${create('b')}${create('c')}INSERT INTO \`a\` VALUES (1,'x'),(2,'(y)'),(3,')');\nINSERT IGNORE INTO \`b\` VALUES (1);\nREPLACE INTO \`c\` VALUES (1),(2);\n`;
  assert.equal(sure(count(Buffer.from(sql))), { a: 3, b: 1, c: 2 });
});

test('a row is a "(" at depth 0: parentheses nested in values outside strings are not rows', () => {
  assert.equal(sure(count(Buffer.from(`${HEAD}CREATE TABLE \`a\` (\n  \`id\` int(11)\n);\nINSERT INTO \`a\` VALUES (1,(2),((3))),(4,')(');\n`))), { a: 2 });
});

test('unsure instead of a guess: cut off inside a statement, unquoted names, no backslash escapes, values of another shape', () => {
  const cases: [string, RegExp][] = [
    [`${HEAD}INSERT INTO \`a\` VALUES (1,'x'),(2,'y`, /ends inside an INSERT/],
    [`${HEAD}INSERT INTO \`a\` VALUES (1,'x')`, /ends inside an INSERT/],
    [`${HEAD}INSERT INTO a VALUES (1);\n`, /unknown shape/],
    [`${HEAD}INSERT INTO a VALUES (1);`, /unknown shape/], // the last line, without a newline
    [`${HEAD}CREATE TABLE IF NOT EXISTS \`a\` (\n  \`id\` int(11)\n);\n`, /CREATE TABLE of an unknown shape/],
    [`${HEAD}CREATE TABLE a (\n  id int(11)\n);\n`, /unknown shape/],
    [`${HEAD}INSERT INTO \`a\` VALUES (1);\n`, /tables the dump does not create: a/],
    [`${HEAD}INSERT  IGNORE INTO \`a\` VALUES (1);\n`, /unknown shape/],
    [`${HEAD}INSERT INTO \`a\` SELECT 1;\n`, /unknown shape/],
    [`${HEAD}INSERT INTO \`a\` VALUES (1,"x");\n`, /double quote/],
    [`${HEAD}INSERT INTO \`a\` VALUES (1)),(2);\n`, /"\)" without/],
    [HEAD.replace("SQL_MODE='NO_AUTO_VALUE_ON_ZERO'", "SQL_MODE='NO_AUTO_VALUE_ON_ZERO,NO_BACKSLASH_ESCAPES'") + "INSERT INTO `a` VALUES ('x\\'),('y');\n", /NO_BACKSLASH_ESCAPES/],
  ];
  for (const [sql, why] of cases) {
    const r = count(Buffer.from(sql));
    assert.is(r.sure, false, sql);
    assert.match(r.sure ? '' : r.reason, why);
  }
  // A trigger's sql_mode line with NO_BACKSLASH_ESCAPES says nothing about the data's escaping.
  const trig = `${HEAD}/*!50003 SET sql_mode              = 'NO_BACKSLASH_ESCAPES' */ ;\nCREATE TABLE \`a\` (\n  \`s\` text\n);\nINSERT INTO \`a\` VALUES ('x\\'y');\n`;
  assert.equal(sure(count(Buffer.from(trig))), { a: 1 });
});

// ---- real mariadb-dump output

let m: MariaServer;
const DB = 'elexis';
const ARGS = ['--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--default-character-set=utf8mb4', '--databases', DB];

test.before(async () => {
  m = await startMariadb();
  // BEHANDLUNGEN of ~2.5 MB: mariadb-dump splits it into several INSERT statements.
  await createSampleMariadb(m, DB, { patients: 1500, visitsPerPatient: 5 });
  await m.sql(
    [
      'CREATE TABLE `we``ird (x); name` (id INT PRIMARY KEY, s TEXT, b BLOB, vb VARBINARY(20), bt BIT(8)) ENGINE=MyISAM',
      "INSERT INTO `we``ird (x); name` VALUES (1, CONCAT('a''b\\\\c', CHAR(10), '(d);e', CHAR(13), CHAR(0), CHAR(26), '\"'), UNHEX('00275C0A0D1A28293B'), UNHEX('FF2728'), b'101')",
      "INSERT INTO `we``ird (x); name` VALUES (2, '😀 Größe', NULL, NULL, NULL), (3, ')', '(', '''', NULL)",
      'CREATE TABLE leer (id INT PRIMARY KEY) ENGINE=InnoDB',
      'CREATE TABLE gen (id INT PRIMARY KEY, a INT, d INT AS (a * 2) VIRTUAL, h INT INVISIBLE DEFAULT 5) ENGINE=InnoDB',
      'INSERT INTO gen (id, a) VALUES (1, 2), (2, 3)',
      "CREATE TRIGGER gen_copy AFTER INSERT ON leer FOR EACH ROW\nINSERT INTO `gen` VALUES (NEW.id, 1)",
    ].join(';\n'),
    DB,
  );
});
test.after(() => runCleanups());

async function liveCounts(): Promise<Record<string, number>> {
  const tables = (await m.sql(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${DB}' AND TABLE_TYPE = 'BASE TABLE'`)).split('\n').filter(Boolean);
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = Number(await m.sql(`SELECT COUNT(*) FROM \`${t.replace(/`/g, '``')}\``, DB));
  return out;
}

test('real mariadb-dump output of the sample practice: exactly SELECT COUNT(*) per table, streamed in the pipe\'s chunks', async () => {
  const c = new SqlDumpRowCounter();
  const child = execa('mariadb-dump', [...m.clientArgs(), ...ARGS], { env: m.env(), buffer: false });
  let statements = 0;
  for await (const chunk of child.stdout!) {
    const b = chunk as Buffer;
    c.push(b);
    statements += b.toString('latin1').split('INSERT INTO `BEHANDLUNGEN`').length - 1;
  }
  await child;
  const r = c.finish();
  const live = await liveCounts();
  assert.ok(statements > 1, `BEHANDLUNGEN in several INSERT statements (${statements})`);
  const rows = sure(r);
  for (const [t, n] of Object.entries(live)) assert.is(rows[t] ?? 0, n, t);
  assert.equal(Object.keys(rows).sort(), Object.keys(live).filter((t) => live[t]! > 0).sort());
  assert.equal(r.sure && r.tables.sort(), Object.keys(live).sort());
  assert.is(rows['we`ird (x); name'], 3);
  assert.is(rows.gen, 2, 'not counted again from the trigger body');
});

test('the server in NO_BACKSLASH_ESCAPES mode: mariadb-dump still writes backslash escapes, the counts stay exact', async () => {
  await m.sql("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')");
  try {
    const { stdout } = await execa('mariadb-dump', [...m.clientArgs(), ...ARGS], { env: m.env(), encoding: 'buffer' });
    const dump = Buffer.from(stdout);
    assert.ok(dump.includes("'a\\'b\\\\c\\n(d);e\\r\\0\\Z\\\"'"), 'backslash escapes in the dump');
    const rows = sure(count(dump));
    const live = await liveCounts();
    for (const [t, n] of Object.entries(live)) assert.is(rows[t] ?? 0, n, t);
  } finally {
    await m.sql("SET GLOBAL sql_mode = REPLACE(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES', '')");
  }
});

test.run();

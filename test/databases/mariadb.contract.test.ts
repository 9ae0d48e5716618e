// MariaDB passes the database contract (contract.ts) against a real server (test/helpers/mariadb.ts).
import { execa } from 'execa';
import type { MariadbComponent } from '../../src/config/schema';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { freePort, waitUntil } from '../helpers/temp';
import { contractSuite, type Sample } from './contract';

// Characters that break naive quoting, so a leak or a quoting bug shows.
const PW = "Vertrag'Geheim \"2\" ; # ü";
let m: MariaServer;

const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const lit = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const text = (s: string | null) => (s === null ? 'NULL' : lit(s));
const blob = (b: Buffer | null) => (b ? `X'${b.toString('hex')}'` : 'NULL');
const lines = (out: string) => out.split('\n').filter(Boolean);

function component(database: string): MariadbComponent {
  return { name: 'datenbank', type: 'mariadb', database, host: m.host, port: m.port, user: m.user } as MariadbComponent;
}

contractSuite({
  type: 'mariadb',
  password: PW,
  wrongPassword: 'falsch',
  async start() {
    m = await startMariadb({ password: PW });
  },
  async stop() {
    await m?.stop();
  },
  component,
  async unreachable(database) {
    return { ...component(database), port: await freePort() };
  },
  key: (table) => table,
  quote,
  async createDatabase(database, sample: Sample) {
    await m.createDb(database);
    await m.sql([
      `CREATE TABLE patient (id INT PRIMARY KEY, nachname VARCHAR(200) NOT NULL, bemerkung VARCHAR(200) NULL, foto BLOB NULL) ENGINE=InnoDB;`,
      `CREATE TABLE ${quote('Befund Ärztin')} (id INT PRIMARY KEY, befund VARCHAR(200) NULL) ENGINE=InnoDB;`,
      `CREATE TABLE eintrag (id INT AUTO_INCREMENT PRIMARY KEY, notiz VARCHAR(200)) ENGINE=InnoDB;`,
      ...sample.patient.map((r) => `INSERT INTO patient VALUES (${r.id}, ${lit(r.nachname)}, ${text(r.bemerkung)}, ${blob(r.foto)});`),
      ...sample.befund.map((r) => `INSERT INTO ${quote('Befund Ärztin')} VALUES (${r.id}, ${text(r.befund)});`),
    ].join('\n'), database);
  },
  async exec(database, sql) {
    await m.sql(sql, database);
  },
  async fill(database, bytes) {
    // Random bytes: nothing for gzip to shrink. seq_1_to_N: MariaDB's sequence engine.
    await m.sql(`CREATE TABLE ballast (id INT PRIMARY KEY, daten BLOB) ENGINE=InnoDB;
      INSERT INTO ballast SELECT seq, RANDOM_BYTES(1024) FROM seq_1_to_${Math.ceil(bytes / 1024)};`, database);
  },
  async startWriter(database) {
    // One session, one autocommitted row after another, until its connection is killed; it says
    // its connection id first (--unbuffered: at once, not when the client exits).
    const session = execa('mariadb', [...m.clientArgs(), '-N', '-B', '--unbuffered', '-D', database], {
      env: { MYSQL_PWD: PW }, reject: false,
      input: `SELECT CONNECTION_ID();
DELIMITER //
BEGIN NOT ATOMIC DECLARE i INT DEFAULT 0; LOOP SET i = i + 1; INSERT INTO eintrag (notiz) VALUES (CONCAT('Schreiber ', i, ': Größe')); DO SLEEP(0.002); END LOOP; END//
`,
    });
    let id = '';
    session.stdout!.setEncoding('utf8');
    session.stdout!.on('data', (chunk: string) => { id ||= chunk.trim().split('\n')[0]!; });
    if (!(await waitUntil(async () => /^\d+$/.test(id) || session.exitCode !== null, 30_000))) throw new Error('the writer did not say its connection id');
    if (!/^\d+$/.test(id)) throw new Error(`the writer ended: ${(await session).stderr}`);
    return {
      async stop() {
        await m.sql(`KILL ${id}`);
        await session;
        const gone = async () => (await m.sql(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ${id}`)) === '0';
        if (!(await waitUntil(gone, 30_000))) throw new Error('the writer session did not end');
      },
    };
  },
  async tables(database) {
    // Per table: COUNT(*) and CHECKSUM TABLE … EXTENDED (reads every row; NULL and '' differ).
    const names = lines(await m.sql(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${lit(database)} AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`));
    if (!names.length) return {};
    const out = lines(await m.sql(names.map((t) => `SELECT COUNT(*) FROM ${quote(database)}.${quote(t)}; CHECKSUM TABLE ${quote(database)}.${quote(t)} EXTENDED;`).join('\n')));
    return Object.fromEntries(names.map((t, i) => [t, { rows: Number(out[2 * i]), checksum: out[2 * i + 1]!.slice(out[2 * i + 1]!.lastIndexOf('\t') + 1) }]));
  },
  async restoreTargets(database) {
    const prefix = lit(`${database}_restore_`);
    return lines(await m.sql(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, CHAR_LENGTH(${prefix})) = ${prefix} ORDER BY 1`));
  },
  async loadBegun(target) {
    return Number(await m.sql(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${lit(target)}`)) > 0;
  },
});

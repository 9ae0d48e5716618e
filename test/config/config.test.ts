// Malformed configs through the real CLI (dist/cli.js): every row must end with exit 2, a message
// that names the field, and no trace on disk (no backup dir, no log, no status file). One valid
// config proves the environment is set up so that a run *would* write there.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, runCleanups } from '../helpers/temp';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(root, 'dist', 'cli.js');

const test = suite('config: malformed configs through the CLI');
test.after(runCleanups);

/** Newest modification time of anything under dir (to know whether dist/cli.js is stale). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

test.before(() => {
  // The test is about the shipped CLI: build it when it is missing or older than the sources.
  if (!existsSync(CLI) || statSync(CLI).mtimeMs < newestMtime(join(root, 'src'))) {
    const r = spawnSync('npx', ['webpack'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`webpack failed:\n${r.stdout}\n${r.stderr}`);
  }
});

interface Sandbox {
  dir: string;
  home: string;
  state: string;
  configHome: string;
  backupDir: string;
  source: string;
  configFile: string;
}

async function sandbox(): Promise<Sandbox> {
  const dir = await makeTempDir('praxis-config');
  const sb: Sandbox = {
    dir,
    home: join(dir, 'home'),
    state: join(dir, 'state'),
    configHome: join(dir, 'xdg-config'),
    backupDir: join(dir, 'backup'),
    source: join(dir, 'praxis-files'),
    configFile: join(dir, 'config.json'),
  };
  for (const d of [sb.home, sb.state, sb.configHome, sb.source]) await mkdir(d);
  await writeFile(join(sb.source, 'brief.txt'), 'Arztbrief\n');
  return sb;
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(sb: Sandbox, args: string[], lang?: string): Promise<CliResult> {
  // A clean environment: no LANG/LC_* of the machine running the tests, no PRAXIS_BACKUP_* overrides.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: sb.home,
    XDG_STATE_HOME: sb.state,
    XDG_CONFIG_HOME: sb.configHome,
  };
  if (lang) env.LANG = lang;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every file (not directory) below dir, relative. */
async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isDirectory()) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1));
  }
  return out.sort();
}

async function assertNothingWritten(sb: Sandbox, what: string): Promise<void> {
  assert.not.ok(existsSync(sb.backupDir), `${what}: the backup directory was created`);
  assert.equal(await filesBelow(sb.state), [], `${what}: files in XDG_STATE_HOME (status, logs)`);
  assert.equal(await filesBelow(sb.home), [], `${what}: files in HOME`);
  assert.equal(await filesBelow(sb.configHome), [], `${what}: files in XDG_CONFIG_HOME`);
  // The sandbox itself holds only what the test put there.
  assert.equal(await readdir(sb.dir).then((n) => n.sort()), ['config.json', 'home', 'praxis-files', 'state', 'xdg-config'], `${what}: sandbox`);
}

type Cfg = Record<string, unknown>;

/** A valid base config; each row breaks exactly one thing. */
function base(sb: Sandbox): Cfg {
  return {
    backupDir: sb.backupDir,
    components: [
      { name: 'datenbank', type: 'postgres', database: 'tomedo', host: 'localhost', port: 5432, user: 'postgres' },
      { name: 'files', type: 'folder', path: sb.source },
    ],
    retention: { keep: 10 },
    schedule: { cron: '15 3 * * 1-5' },
  };
}

const comps = (c: Cfg) => c.components as Cfg[];

interface Row {
  name: string;
  /** Returns the config text (raw JSON text for the bad-JSON row; bytes for the rows that are not UTF-8). */
  make: (sb: Sandbox) => string | Buffer;
  /** Field paths of the problems, exactly (empty for bad JSON, which has no field). */
  paths: string[];
  /** Must appear in the German stderr. */
  de: string[];
  /** Must not appear in it (another field's hint). */
  notDe?: string[];
}

/** The config's JSON with every "ö" in it as the single Latin-1 byte 0xF6: not UTF-8. */
const latin1 = (text: string): Buffer => {
  const parts = text.split('\u00f6').map((p) => Buffer.from(p, 'utf8'));
  return Buffer.concat(parts.flatMap((b, i) => (i ? [Buffer.from([0xf6]), b] : [b])));
};

/** A JSON value nested `depth` arrays deep, as text (JSON.stringify of it would overflow). */
const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

const edit = (fn: (c: Cfg, sb: Sandbox) => void) => (sb: Sandbox) => {
  const c = base(sb);
  fn(c, sb);
  return JSON.stringify(c, null, 2);
};

const ROWS: Row[] = [
  {
    name: 'bad JSON',
    make: (sb) => `{ "backupDir": "${sb.backupDir}", "components": [ { "name": "files", } ] `,
    paths: [],
    de: ['ist kein gültiges JSON', 'config.json'],
  },
  {
    name: 'unknown top-level key',
    make: edit((c) => (c.retension = { keep: 5 })),
    paths: ['retension'],
    de: ['retension: unbekannter Schlüssel „retension“'],
  },
  {
    name: 'unknown key inside a component ("pasword")',
    make: edit((c) => (comps(c)[0]!.pasword = 'geheim')),
    paths: ['components[0].pasword'],
    de: ['components[0].pasword: unbekannter Schlüssel „pasword“'],
  },
  {
    name: 'relative backupDir',
    make: edit((c) => (c.backupDir = 'Praxis-Backup')),
    paths: ['backupDir'],
    de: ['backupDir: muss ein absoluter Pfad sein', '„Praxis-Backup“'],
  },
  {
    name: 'relative folder path',
    make: edit((c) => (comps(c)[1]!.path = 'tomedo/files')),
    paths: ['components[1].path'],
    de: ['components[1].path: muss ein absoluter Pfad sein', '„tomedo/files“'],
  },
  {
    name: 'duplicate component name (case-insensitive)',
    make: edit((c) => (comps(c)[1]!.name = 'Datenbank')),
    paths: ['components[1].name'],
    de: ['components[1].name: der Name „Datenbank“ kommt doppelt vor'],
  },
  {
    name: 'missing database of a postgres component',
    make: edit((c) => delete comps(c)[0]!.database),
    paths: ['components[0].database'],
    de: ['components[0].database: fehlt'],
  },
  {
    name: 'missing path of a folder component',
    make: edit((c) => delete comps(c)[1]!.path),
    paths: ['components[1].path'],
    de: ['components[1].path: fehlt'],
  },
  {
    name: 'bad component type',
    make: edit((c) => (comps(c)[0]!.type = 'sqlite')),
    paths: ['components[0].type'],
    de: ['components[0].type: unbekannter Typ „sqlite“'],
  },
  {
    name: 'port as a string',
    make: edit((c) => (comps(c)[0]!.port = '5432')),
    paths: ['components[0].port'],
    de: ['components[0].port: erwartet number, gefunden string'],
  },
  {
    name: 'port 70000',
    make: edit((c) => (comps(c)[0]!.port = 70000)),
    paths: ['components[0].port'],
    de: ['components[0].port: darf höchstens 65535 sein'],
  },
  {
    name: 'retention.keep 0',
    make: edit((c) => (c.retention = { keep: 0 })),
    paths: ['retention.keep'],
    de: ['retention.keep: muss mindestens 1 sein'],
  },
  {
    name: 'cron minute 61',
    make: edit((c) => (c.schedule = { cron: '61 3 * * *' })),
    paths: ['schedule.cron'],
    de: ['schedule.cron: Feld Minute („61“) ist ungültig'],
  },
  {
    name: 'cron with 6 fields',
    make: edit((c) => (c.schedule = { cron: '0 15 3 * * 1-5' })),
    paths: ['schedule.cron'],
    de: ['schedule.cron: Feld Ausdruck („0 15 3 * * 1-5“) ist ungültig', 'got 6'],
  },
  {
    name: 'cron with letters',
    make: edit((c) => (c.schedule = { cron: '15 3 * * MON-FRI' })),
    paths: ['schedule.cron'],
    de: ['schedule.cron: Feld Wochentag („MON-FRI“) ist ungültig'],
  },
  {
    name: 'thirteen mirrors (the maximum is 12, no longer two)',
    make: edit((c, sb) => {
      c.mirrors = Array.from({ length: 13 }, (_, i) => ({ name: `copy${i}`, type: 'path', path: join(sb.dir, `disk${i}`), mode: 'all' }));
    }),
    paths: ['mirrors'],
    de: ['mirrors: höchstens 12 Ziele'],
  },
  {
    name: 'retention: keep and generations together',
    make: edit((c) => (c.retention = { keep: 10, daily: 7 })),
    paths: ['retention.daily'],
    de: ['retention.daily: „keep“ und Generationen'],
  },
  {
    name: 'retention: a negative count',
    make: edit((c) => (c.retention = { last: 20, weekly: -4 })),
    paths: ['retention.weekly'],
    de: ['retention.weekly: muss mindestens 0 sein'],
  },
  {
    name: 'retention: zero everywhere',
    make: edit((c) => (c.retention = { last: 0, daily: 0, quarterly: 0 })),
    paths: ['retention'],
    de: ['retention: keine Regel behält eine Sicherung'],
  },
  {
    name: 'retention: an unknown rule',
    make: edit((c) => (c.retention = { last: 20, yearly: 3 })),
    paths: ['retention.yearly'],
    de: ['unbekannter Schlüssel „yearly“'],
  },
  {
    name: 'a volume mirror with volume and volumes',
    make: edit((c) => (c.mirrors = [{ name: 'usb', type: 'volume', volume: { label: 'X' }, volumes: [{ uuid: 'A-1', label: 'Montag' }] }])),
    paths: ['mirrors[0].volumes'],
    de: ['entweder „volume“ (eine Platte) oder „volumes“'],
  },
  {
    name: 'a rotating set naming one disk twice',
    make: edit((c) => (c.mirrors = [{ name: 'usb', type: 'volume', volumes: [{ uuid: 'A-1', label: 'Montag' }, { uuid: 'a-1', label: 'Freitag' }] }])),
    paths: ['mirrors[0].volumes[1].uuid'],
    de: ['der Name „a-1“ kommt doppelt vor'],
  },
  {
    // rsync's --bwlimit=0 means "no limit" and it rounds fractions: neither is what the admin asked for.
    name: 'a folder mirror capped at 0 KiB/s and a share at 1.5 KiB/s',
    make: edit((c, sb) => (c.mirrors = [{ name: 'usb', type: 'path', path: join(sb.dir, 'usb'), limitKiBs: 0 }, { name: 'nas', type: 'smb', url: 'smb://nas/praxis', user: 'backup', password: 'keyring', limitKiBs: 1.5 }])),
    paths: ['mirrors[0].limitKiBs', 'mirrors[1].limitKiBs'],
    de: ['mirrors[0].limitKiBs: muss mindestens 1 sein.', 'mirrors[1].limitKiBs: muss eine ganze Zahl sein.'],
  },
  {
    name: 'bad mirror type',
    make: edit((c) => (c.mirrors = [{ name: 'nas', type: 'ftp', path: '/mnt/nas' }])),
    paths: ['mirrors[0].type'],
    de: ['mirrors[0].type: unbekannter Typ „ftp“; erlaubt sind volume, smb, path'],
  },
  {
    name: 'folder component inside backupDir',
    make: edit((c, sb) => (comps(c)[1]!.path = join(sb.backupDir, 'files'))),
    paths: ['components[1].path'],
    de: ['components[1].path: liegt im Backup-Verzeichnis'],
  },
  {
    name: 'backupDir inside a folder component',
    make: edit((c, sb) => (c.backupDir = join(sb.source, 'backup'))),
    paths: ['backupDir'],
    de: ['backupDir: liegt im Ordner der Komponente „files“'],
  },
  {
    name: 'no components',
    make: edit((c) => (c.components = [])),
    paths: ['components'],
    de: ['components: mindestens eine Komponente'],
  },
  {
    name: 'component name that cannot be a file name',
    make: edit((c) => (comps(c)[1]!.name = '../files')),
    paths: ['components[1].name'],
    de: ['components[1].name: „../files“ ist als Name nicht erlaubt'],
  },
  {
    // A Latin-1 folder name typed into the config by an editor set to Latin-1: was exit 1 after
    // the backup directory had been created (the bytes became U+FFFD, a path that exists nowhere).
    name: 'folder path with a byte that is not UTF-8',
    make: (sb) => latin1(edit((c, s) => (comps(c)[1]!.path = join(s.source, 'Röntgen')))(sb)),
    paths: ['components[1].path'],
    de: ['components[1].path: enthält Bytes, die kein UTF-8 sind', 'übergeordneten Ordner'],
  },
  {
    name: 'backupDir with a byte that is not UTF-8',
    make: (sb) => latin1(edit((c, s) => (c.backupDir = join(s.dir, 'Sicherungen-Möller')))(sb)),
    paths: ['backupDir'],
    de: ['backupDir: enthält Bytes, die kein UTF-8 sind'],
  },
  {
    name: 'folder path with a lone surrogate escape ("\\udcf6")',
    make: (sb) => edit((c, s) => (comps(c)[1]!.path = join(s.source, 'R\udcf6ntgen')))(sb),
    paths: ['components[1].path'],
    de: ['components[1].path: enthält ein unvollständiges Unicode-Zeichen'],
  },
  {
    name: 'database name with a NUL character',
    make: edit((c) => (comps(c)[0]!.database = 'tomedo\u0000x')),
    paths: ['components[0].database'],
    de: ['components[0].database: enthält ein Null-Zeichen'],
  },
  {
    // Crashed the validator with "Maximum call stack size exceeded" (exit 1).
    name: 'backupDir of 100 000 nested brackets',
    make: (sb) => edit((c) => (c.backupDir = '@NESTED@'))(sb).replace('"@NESTED@"', nested(100_000)),
    paths: ['backupDir[0][0][0]…'],
    de: ['backupDir[0][0][0]…: mehr als 32 Ebenen ineinander geschachtelt'],
  },
  {
    name: 'a whole file of 500 000 nested brackets',
    make: () => nested(500_000),
    paths: ['[0][0][0][0]…'],
    de: ['mehr als 32 Ebenen'],
  },
  {
    name: 'a file larger than 1 MiB',
    make: (sb) => edit(() => {})(sb) + ' '.repeat(1024 * 1024),
    paths: ['(top level)'],
    de: ['die Datei ist größer als 1 MiB', 'Ist es die richtige Datei (--config)?'],
  },
  {
    // Was answered with the volume hint ("entweder { label } oder { uuid }").
    name: 'verify.afterBackup "yes"',
    make: edit((c) => (c.verify = { afterBackup: 'yes' })),
    paths: ['verify.afterBackup'],
    de: ['verify.afterBackup: „yes“ ist nicht erlaubt; erlaubt sind true', '"auto"'],
    notDe: ['label', 'uuid'],
  },
  {
    name: 'hook command an object',
    make: edit((c) => (c.hooks = { beforeBackup: { command: { run: 'x' } } })),
    paths: ['hooks.beforeBackup.command'],
    de: ['hooks.beforeBackup.command: einen Befehl als Text'],
    notDe: ['label', 'uuid'],
  },
  {
    name: 'hook command an empty list',
    make: edit((c) => (c.hooks = { beforeBackup: { command: [] } })),
    paths: ['hooks.beforeBackup.command'],
    de: ['hooks.beforeBackup.command: mindestens 1 Eintrag'],
  },
  {
    name: 'practiceName of 300 characters',
    make: edit((c) => (c.practiceName = 'P'.repeat(300))),
    paths: ['practiceName'],
    de: ['practiceName: höchstens 200 Zeichen'],
  },
  // notify (issue 14): every channel field an admin types by hand.
  {
    name: 'notify.email.to with an invalid address',
    make: edit((c) => (c.notify = { email: { host: 'mail.example.de', from: 'praxis@example.de', to: ['it-dienstleister@example.de', 'Dr. Müller <mueller@example>'] } })),
    paths: ['notify.email.to[1]'],
    de: ['notify.email.to[1]: „Dr. Müller <mueller@example>“ ist keine E-Mail-Adresse'],
  },
  {
    name: 'notify.email.from without a domain',
    make: edit((c) => (c.notify = { email: { host: 'mail.example.de', from: 'praxis', to: ['it@example.de'] } })),
    paths: ['notify.email.from'],
    de: ['notify.email.from: „praxis“ ist keine E-Mail-Adresse'],
  },
  {
    name: 'notify.email.to empty',
    make: edit((c) => (c.notify = { email: { host: 'mail.example.de', from: 'praxis@example.de', to: [] } })),
    paths: ['notify.email.to'],
    de: ['notify.email.to: mindestens 1 Eintrag'],
  },
  {
    name: 'notify.email.port 70000',
    make: edit((c) => (c.notify = { email: { host: 'mail.example.de', port: 70000, from: 'praxis@example.de', to: ['it@example.de'] } })),
    paths: ['notify.email.port'],
    de: ['notify.email.port: darf höchstens 65535 sein'],
  },
  {
    name: 'notify.email.tls "ssl"',
    make: edit((c) => (c.notify = { email: { host: 'mail.example.de', tls: 'ssl', from: 'praxis@example.de', to: ['it@example.de'] } })),
    paths: ['notify.email.tls'],
    de: ['notify.email.tls: „ssl“ ist nicht erlaubt', 'starttls, tls, none'],
  },
  {
    name: 'notify.email.password in the config',
    make: edit((c) => (c.notify = { email: { host: 'mail.example.de', user: 'praxis', password: 'geheim', from: 'praxis@example.de', to: ['it@example.de'] } })),
    paths: ['notify.email.password'],
    de: ['notify.email.password: unbekannter Schlüssel'],
    notDe: ['geheim'],
  },
  {
    name: 'notify.ntfy.url without a scheme',
    make: edit((c) => (c.notify = { ntfy: { url: 'ntfy.example.de/praxis' } })),
    paths: ['notify.ntfy.url'],
    de: ['notify.ntfy.url: „ntfy.example.de/praxis“ ist keine Web-Adresse', 'https://'],
  },
  {
    name: 'notify.webhook.url ftp',
    make: edit((c) => (c.notify = { webhook: { url: 'ftp://monitor.example.de/hook' } })),
    paths: ['notify.webhook.url'],
    de: ['notify.webhook.url: „ftp://monitor.example.de/hook“ ist keine Web-Adresse'],
  },
  {
    name: 'notify.heartbeat.style unknown',
    make: edit((c) => (c.notify = { heartbeat: { url: 'https://hc.example.de/ping/2f9c', style: 'zabbix' } })),
    paths: ['notify.heartbeat.style'],
    de: ['notify.heartbeat.style: „zabbix“ ist nicht erlaubt', 'healthchecks, uptime-kuma'],
  },
  {
    name: 'notify.weeklySummary "montag"',
    make: edit((c) => (c.notify = { weeklySummary: 'montag' })),
    paths: ['notify.weeklySummary'],
    de: ['notify.weeklySummary: „montag“ ist nicht erlaubt; bitte einen Wochentag'],
    notDe: ['label', 'uuid'],
  },
];

test('the base config of the table is valid: a run exits 0 and writes backup, status and log', async () => {
  const sb = await sandbox();
  // The table's base without the postgres component (no server here), so the run really runs.
  const cfg = base(sb);
  cfg.components = comps(cfg).filter((c) => c.type === 'folder');
  await writeFile(sb.configFile, JSON.stringify(cfg));
  const r = await cli(sb, ['run', '--config', sb.configFile]);
  assert.is(r.code, 0, r.stderr);
  const backups = (await readdir(sb.backupDir)).filter((n) => /^\d{8}_\d{6}$/.test(n));
  assert.is(backups.length, 1);
  assert.ok(existsSync(join(sb.backupDir, backups[0]!, 'files', 'brief.txt')));
  // The places the table checks for "nothing written" are the places a run does write to.
  const state = await filesBelow(sb.state);
  assert.ok(state.includes('praxis-backup/status.json'), `status.json missing in ${state.join(', ')}`);
  assert.ok(state.some((f) => /^praxis-backup\/logs\/run-.*\.jsonl$/.test(f)), `no log in ${state.join(', ')}`);
});

test(`the table has at least 12 rows, each with its own field (${ROWS.length} rows)`, () => {
  assert.ok(ROWS.length >= 12);
});

for (const row of ROWS) {
  test(`${row.name}: exit 2, names ${row.paths.join(', ') || 'the file'}, writes nothing`, async () => {
    const sb = await sandbox();
    await writeFile(sb.configFile, row.make(sb));

    // Plain and --json at once (both must leave no trace).
    const [plain, json] = await Promise.all([cli(sb, ['run', '--config', sb.configFile]), cli(sb, ['run', '--config', sb.configFile, '--json'])]);
    assert.is(plain.code, 2, `exit code; stderr:\n${plain.stderr}`);
    assert.is(plain.stdout, '', 'without --json nothing goes to stdout');
    for (const snippet of row.de) assert.ok(plain.stderr.includes(snippet), `stderr lacks ${JSON.stringify(snippet)}:\n${plain.stderr}`);
    for (const snippet of row.notDe ?? []) assert.not.ok(plain.stderr.includes(snippet), `stderr has another field's hint ${JSON.stringify(snippet)}:\n${plain.stderr}`);
    for (const p of row.paths) assert.ok(plain.stderr.includes(`  - ${p}: `), `stderr does not name ${p}:\n${plain.stderr}`);

    // With --json: exactly these problems, nothing else (the row fails for its own reason).
    assert.is(json.code, 2);
    const lines = json.stdout.trim().split('\n');
    assert.is(lines.length, 1, `one JSON line expected:\n${json.stdout}`);
    const out = JSON.parse(lines[0]!) as { type: string; summary: { exitCode: number; result: string; problems: { path: string }[] } };
    assert.is(out.type, 'finished');
    assert.is(out.summary.result, 'failed');
    assert.is(out.summary.exitCode, 2);
    assert.equal(out.summary.problems.map((p) => p.path).sort(), [...row.paths].sort());
    await assertNothingWritten(sb, 'plain and --json');
  });
}

test('every command that reads the config refuses one that is not UTF-8 with exit 2, naming the field, before writing anything', async () => {
  const sb = await sandbox();
  const cfg = edit((c, s) => {
    comps(c)[1]!.path = join(s.source, 'Röntgen');
    c.mirrors = [{ name: 'usb', type: 'path', path: join(s.dir, 'usb') }];
  })(sb);
  await writeFile(sb.configFile, latin1(cfg));
  const commands = [['run'], ['mirror'], ['verify'], ['list', '--mirror', 'usb'], ['restore', '20261124_031500', '--yes'], ['schedule', 'install'], ['encryption', 'setup', 'usb', '--yes'], ['emergency-sheet', 'usb']];
  for (const args of commands) {
    const r = await cli(sb, [...args, '--config', sb.configFile]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes('  - components[1].path: enthält Bytes, die kein UTF-8 sind'), `${args.join(' ')}: ${r.stderr}`);
  }
  await assertNothingWritten(sb, 'all commands');
});

test('German by default, English with LANG=en_US.UTF-8 (same problem, same field)', async () => {
  const sb = await sandbox();
  await writeFile(sb.configFile, edit((c) => (comps(c)[0]!.pasword = 'x'))(sb));
  const [de, en] = await Promise.all([cli(sb, ['run', '--config', sb.configFile]), cli(sb, ['run', '--config', sb.configFile], 'en_US.UTF-8')]);
  assert.is(de.code, 2);
  assert.is(en.code, 2);
  assert.ok(de.stderr.includes(`Die Konfiguration ${sb.configFile} ist ungültig:`), de.stderr);
  assert.ok(de.stderr.includes('components[0].pasword: unbekannter Schlüssel „pasword“. Bitte entfernen oder die Schreibweise prüfen.'), de.stderr);
  assert.ok(en.stderr.includes(`The configuration ${sb.configFile} is invalid:`), en.stderr);
  assert.ok(en.stderr.includes('components[0].pasword: unknown key "pasword". Please remove it or check its spelling.'), en.stderr);
  assert.not.ok(en.stderr.includes('unbekannt'), 'English output contains German');
  assert.not.ok(de.stderr.includes('unknown key'), 'German output contains English');
  await assertNothingWritten(sb, 'lang');
});

test('--json: one JSON line with problems[].path, key and rendered text (English with LANG=en)', async () => {
  const sb = await sandbox();
  await writeFile(
    sb.configFile,
    edit((c) => {
      comps(c)[0]!.port = 70000;
      c.retention = { keep: 0 };
    })(sb),
  );
  const r = await cli(sb, ['run', '--config', sb.configFile, '--json'], 'en_US.UTF-8');
  assert.is(r.code, 2);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 1);
  const out = JSON.parse(lines[0]!) as {
    summary: { exitCode: number; error: { key: string }; problems: { path: string; key: string; text: string }[] };
  };
  assert.is(out.summary.exitCode, 2);
  assert.is(out.summary.error.key, 'config.invalid');
  const byPath = Object.fromEntries(out.summary.problems.map((p) => [p.path, p]));
  assert.equal(Object.keys(byPath).sort(), ['components[0].port', 'retention.keep']);
  assert.is(byPath['components[0].port']!.key, 'config.problem.tooBig');
  assert.is(byPath['components[0].port']!.text, 'components[0].port: must be at most 65535.');
  assert.is(byPath['retention.keep']!.key, 'config.problem.tooSmall');
  assert.is(byPath['retention.keep']!.text, 'retention.keep: must be at least 1.');
  await assertNothingWritten(sb, 'json');
});

test('a config file that does not exist: exit 2, names the file, writes nothing', async () => {
  const sb = await sandbox();
  await writeFile(sb.configFile, '{}'); // keeps assertNothingWritten's sandbox listing the same
  const missing = join(sb.dir, 'nope.json');
  const r = await cli(sb, ['run', '--config', missing]);
  assert.is(r.code, 2);
  assert.ok(r.stderr.includes(`Keine Konfiguration gefunden: ${missing}`), r.stderr);
  await assertNothingWritten(sb, 'missing file');
});

test.run();

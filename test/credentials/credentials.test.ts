// Passwords in a real Secret Service (gnome-keyring on a private D-Bus), set through the built CLI,
// read back by secret-tool and by the engine in a real backup run, and tested against real
// servers: PostgreSQL, MariaDB and Samba. No password may show up in output, logs, status,
// backups or the argv of any child process.
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allText, CLI, readLogs } from '../helpers/cli';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { runInPty } from '../helpers/pty';
import { startSamba, type SambaServer } from '../helpers/samba';
import { createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, waitUntil } from '../helpers/temp';

const test = suite('credentials in a real keyring');

// Characters that break naive quoting; the SMB one starts with a space (an smbclient -A file would lose it).
const PG_PW = 'Pg-Geheim "#1" $HOME \\ ü';
const MARIA_PW = "Ma'Geheim ; # ä";
const SMB_PW = ' Smb Geheim=#"1" ö';
const WRONG = 'Falsch-Passwort-XYZ-987';

let kr: TestKeyring;
let pg: PgServer;
let maria: MariaServer;
let smb: SambaServer;
let root: string;
let configFile: string;
let backupDir: string;
let pgId: string;
let mariaId: string;
let smbId: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI with exactly this environment (nothing inherited from the test process). */
async function cli(args: string[], env: Record<string, string>, input?: string): Promise<Result> {
  const r = await execa(process.execPath, [CLI, ...args], {
    env: { LANG: 'de_DE.UTF-8', ...env },
    extendEnv: false,
    input,
    stdin: input === undefined ? 'ignore' : undefined,
    reject: false,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function filesBelow(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name));
}

interface Seen {
  argvs: Set<string>;
  environs: Map<string, string>;
}

/**
 * While fn runs, reads /proc/<pid>/cmdline of every process carrying the keyring's marker in its
 * environment (the CLI and all its children inherit it) about every millisecond. fn gets what has
 * been seen so far, to hold a process until it has been seen (sampling alone can miss a short one).
 */
async function watchArgv<T>(fn: (seen: Seen) => Promise<T>): Promise<{ result: T } & Seen> {
  // Every distinct argv, not one per pid: right after fork a child still shows the parent's argv.
  const argvs = new Set<string>();
  // And what each of them had in its environment (argv → environ, NUL-separated): a password may
  // reach only the program it is for (runner.ts, childEnv).
  const environs = new Map<string, string>();
  const needle = `PRAXIS_TEST_KEYRING=${kr.dir}\0`;
  let scanning = true;
  const scan = () => {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const environ = readFileSync(`/proc/${name}/environ`, 'latin1');
        if (!environ.includes(needle)) continue;
        const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
        if (!cmd) continue;
        const argv = cmd.split('\0').join(' ');
        argvs.add(argv);
        const before = environs.get(argv) ?? '';
        if (!before.includes(environ)) environs.set(argv, before + '\0' + environ); // each distinct one once
      } catch {
        /* exited meanwhile */
      }
    }
  };
  const loop = (async () => {
    while (scanning) {
      scan();
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  try {
    const result = await fn({ argvs, environs });
    return { result, argvs, environs };
  } finally {
    scanning = false;
    await loop;
  }
}

/**
 * A psql session that holds `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` in an open transaction: pg_dump
 * waits on its ACCESS SHARE lock of that table until release() commits.
 */
async function holdTableLock(db: string, table: string): Promise<{ release: () => Promise<void> }> {
  const session = execa(join(pg.binDir, 'psql'), ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db], {
    env: { ...pg.env(db), PATH: process.env.PATH!, PGAPPNAME: 'praxis-test-lock' },
    extendEnv: false,
    stdin: 'pipe',
    reject: false,
  });
  let out = '';
  session.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  session.stdin!.write(`BEGIN;\nLOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE;\nSELECT 'locked';\n`);
  const locked = await waitUntil(async () => out.includes('locked') || session.exitCode !== null, 60_000);
  if (!locked || !out.includes('locked')) {
    session.kill();
    throw new Error(`psql did not take the lock on ${table}: ${(await session).stderr}`);
  }
  return {
    release: async () => {
      session.stdin!.end('COMMIT;\n');
      await session;
    },
  };
}

test.before(async () => {
  root = await makeTempDir('praxis-cred-');
  const t0 = Date.now();
  [kr, pg, maria, smb] = await Promise.all([
    startKeyring(),
    startPostgres({ password: PG_PW }),
    startMariadb({ password: MARIA_PW }),
    startSamba({ password: SMB_PW }),
  ]);
  console.log(`  keyring ready in ${kr.startMs} ms, smbd in ${smb.startMs} ms (all servers: ${Date.now() - t0} ms)`);
  // Enough rows for a real dump (the run test holds pg_dump on a lock until the watcher has seen it).
  await createSamplePostgres(pg, 'tomedo', { patients: 400, visitsPerPatient: 5 });
  await maria.createDb('elexis');
  backupDir = join(root, 'backups');
  configFile = join(root, 'config.json');
  await writeFile(configFile, JSON.stringify({
    backupDir,
    components: [{ name: 'datenbank', type: 'postgres', database: 'tomedo', host: pg.host, port: pg.port, user: pg.user }],
    mirrors: [{ name: 'nas', type: 'smb', url: smb.url, user: smb.user }],
  }));
  pgId = `postgres://${pg.user}@${pg.host}:${pg.port}/tomedo`;
  mariaId = `mariadb://${maria.user}@${maria.host}:${maria.port}/elexis`;
  smbId = `smb://${smb.user}@127.0.0.1:${smb.port}/${smb.share}`;
});

test.after(async () => {
  await runCleanups();
});

test('set: the password from stdin lands in the Secret Service, exactly (secret-tool reads it back)', async () => {
  for (const [id, pw] of [[pgId, PG_PW], [mariaId, MARIA_PW], [smbId, SMB_PW]] as const) {
    const r = await cli(['credentials', 'set', id], kr.env, `${pw}\n`);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, `Passwort für ${id} im Schlüsselbund (Secret Service) gespeichert.`);
    assert.is(await kr.lookup(id), pw, id);
    assert.not.ok((r.stdout + r.stderr).includes(pw.trim()), 'password echoed');
  }
});

test('set: an id in another form is put into the one the engine looks up, or refused with exit 2', async () => {
  // --user fills in the user; a space in a share name is percent-encoded, as smbCredentialId does.
  const r = await cli(['credentials', 'set', `smb://127.0.0.1:${smb.port}/Praxis Daten`, '--user', 'praxis'], kr.env, 'x\n');
  assert.is(r.code, 0, r.stderr);
  assert.is(await kr.lookup(`smb://praxis@127.0.0.1:${smb.port}/Praxis%20Daten`), 'x');
  const bad = await cli(['credentials', 'set', `postgres://${pg.user}@${pg.host}/tomedo`], kr.env, 'x\n');
  assert.is(bad.code, 2);
  assert.match(bad.stderr, 'der Port fehlt');
  const scheme = await cli(['credentials', 'set', 'mysql://root@db:3306/elexis'], kr.env, 'x\n');
  assert.is(scheme.code, 2);
  assert.match(scheme.stderr, 'smb://, postgres:// oder mariadb://');
  assert.is(await cli(['credentials', 'delete', `smb://praxis@127.0.0.1:${smb.port}/Praxis%20Daten`], kr.env).then((x) => x.code), 0);
});

test('set: a password as an argument or option is refused with exit 2, not stored, not echoed', async () => {
  const id = 'smb://praxis@nas.local/backup';
  for (const args of [['credentials', 'set', id, 'Arg-Geheim-42'], ['credentials', 'set', id, '--password=Arg-Geheim-42']]) {
    const r = await cli(args, kr.env, 'stdin-pw\n');
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.stderr, 'nie als Argument');
    assert.not.ok((r.stdout + r.stderr).includes('Arg-Geheim-42'), 'the password was repeated in the error');
    assert.is(await kr.lookup(id), null, 'something was stored');
  }
});

test('set: empty or multi-line input is refused with exit 2', async () => {
  const id = 'smb://praxis@nas.local/backup';
  const empty = await cli(['credentials', 'set', id], kr.env);
  assert.is(empty.code, 2);
  assert.match(empty.stderr, 'Eingabe war leer');
  const two = await cli(['credentials', 'set', id], kr.env, 'eins\nzwei\n');
  assert.is(two.code, 2);
  assert.match(two.stderr, 'mehr als eine Zeile');
  assert.is(await kr.lookup(id), null);
});

test('set on a terminal: prompts twice without echo (a real pty through script(1))', async () => {
  const id = 'smb://praxis@tty.local/backup';
  const pw = 'Tty-Geheim-77';
  const run = (first: string, second: string) =>
    runInPty(`${process.execPath} ${CLI} credentials set ${id}`, { ...kr.env, LANG: 'de_DE.UTF-8' }, [
      { waitFor: 'Passwort für', type: first },
      { waitFor: 'wiederholen', type: second },
    ]);
  const ok = await run(pw, pw);
  assert.is(ok.code, 0, ok.out);
  assert.not.ok(ok.out.includes(pw), `echoed: ${ok.out}`);
  assert.is(await kr.lookup(id), pw);
  const mismatch = await run('eins-1', 'zwei-2');
  assert.is(mismatch.code, 2, mismatch.out);
  assert.match(mismatch.out, 'stimmen nicht überein');
  assert.is(await kr.lookup(id), pw, 'a mismatch must not overwrite');
  assert.is((await cli(['credentials', 'delete', id], kr.env)).code, 0);
});

test('list: ids, users and kinds; never a password (text and --json)', async () => {
  const text = await cli(['credentials', 'list'], kr.env);
  assert.is(text.code, 0, text.stderr);
  for (const id of [pgId, mariaId, smbId]) assert.match(text.stdout, id);
  assert.match(text.stdout, new RegExp(`postgres\\s+${pg.user}\\s+`));
  const json = await cli(['credentials', 'list', '--json'], kr.env);
  assert.is(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.is(parsed.store, 'Secret Service');
  const byId = Object.fromEntries(parsed.credentials.map((c: any) => [c.id, c]));
  assert.equal(byId[smbId], { id: smbId, user: smb.user, kind: 'smb' });
  assert.equal(byId[pgId], { id: pgId, user: pg.user, kind: 'postgres' });
  assert.equal(byId[mariaId], { id: mariaId, user: 'root', kind: 'mariadb' });
  const all = text.stdout + text.stderr + json.stdout + json.stderr;
  for (const pw of [PG_PW, MARIA_PW, SMB_PW.trim()]) assert.not.ok(all.includes(pw), 'password listed');
});

test('run: the engine reads the PostgreSQL password from the keyring only; it is nowhere in output, logs, status, backup or argv', async () => {
  const home = join(root, 'run-home');
  await mkdir(home);
  const env = { ...kr.env, HOME: home, XDG_STATE_HOME: join(home, 'state'), XDG_CONFIG_HOME: join(home, 'config') };
  assert.not.ok(Object.keys(env).some((k) => k.startsWith('PRAXIS_BACKUP_PASSWORD')), 'the env must not carry the password');
  // The mirror is left out: mount.cifs cannot run here (no cifs in this kernel).
  const cfg = join(root, 'run-config.json');
  await writeFile(cfg, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), mirrors: [] }));
  // pg_dump is held on a table lock until the watcher has read its argv and environment: a dump
  // shorter than the watcher's poll interval (a loaded machine) cannot slip through unseen.
  const lock = await holdTableLock('tomedo', 'patient');
  const { result: r, argvs, environs } = await watchArgv(async (seen) => {
    let ended = false;
    const running = cli(['run', '--config', cfg, '--json'], env).finally(() => (ended = true));
    try {
      const waiting = await waitUntil(
        async () => ended || (await pg.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'tomedo' AND application_name = 'praxis-backup' AND wait_event_type = 'Lock'")).trim() !== '0',
        120_000,
      );
      assert.ok(waiting && !ended, 'no backend of the run waited on the lock of table patient (did pg_dump start?)');
      const pgDumpSeen = () => [...seen.environs].some(([a, e]) => /pg_dump -Fc/.test(a) && e.includes('Pg-Geheim'));
      assert.ok(await waitUntil(async () => pgDumpSeen(), 60_000), `pg_dump waited on the lock, yet the watcher did not see it with the password: ${[...seen.argvs].join(' | ')}`);
    } finally {
      await lock.release();
    }
    return running;
  });
  assert.is(r.code, 0, r.stderr);
  const ids = readdirSync(backupDir);
  assert.is(ids.length, 1);
  assert.ok(statSync(join(backupDir, ids[0]!, 'datenbank.pgdump')).size > 10_000, 'a real dump');
  assert.not.match(r.stdout + r.stderr, 'kein Passwort hinterlegt');

  const seen = [...argvs];
  assert.ok(seen.some((a) => /pg_dump -Fc/.test(a)), `the watcher never saw pg_dump's argv: ${seen.join(' | ')}`);
  const haystack = [r.stdout, r.stderr, readLogs(join(home, 'state', 'praxis-backup', 'logs')), allText(join(home, 'state')), allText(backupDir), ...seen].join('\n');
  // Also its distinctive start: a leak may come quoted or escaped (a conninfo string, a URL).
  for (const needle of [PG_PW, 'Pg-Geheim']) assert.not.ok(haystack.includes(needle), `password (${needle}) found in output, logs, status, backup or argv`);
  // In environments: only in the PostgreSQL tools' (PGPASSWORD: pg_dump, psql, the restore test's
  // pg_restore), never in the CLI's or any other program's.
  const holders = [...environs].filter(([, e]) => e.includes('Pg-Geheim')).map(([a]) => a.split(' ')[0]!.split('/').pop()!);
  assert.ok(holders.includes('pg_dump'), `pg_dump's environment never seen with the password: ${[...environs.keys()].join(' | ')}`);
  for (const p of holders) assert.match(p, /^(psql|pg_[a-z_]+)$/, `the password is in the environment of ${p}`);
});

test('test: PostgreSQL with the right password exits 0, with a wrong one 1 and the server\'s message', async () => {
  const ok = await cli(['credentials', 'test', pgId, '--config', configFile], kr.env);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, `Anmeldung als „${pg.user}“ an PostgreSQL ${pg.host}:${pg.port}/tomedo erfolgreich (Server-Version ${pg.version}`);
  assert.match(ok.stderr, 'Benutzt von „datenbank“');

  assert.is((await cli(['credentials', 'set', pgId], kr.env, WRONG)).code, 0);
  const bad = await cli(['credentials', 'test', pgId], kr.env);
  assert.is(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, 'Benutzername oder Passwort falsch');
  assert.match(bad.stderr, `password authentication failed for user "${pg.user}"`);
  assert.not.ok(bad.stderr.includes(WRONG));
  assert.is((await cli(['credentials', 'set', pgId], kr.env, PG_PW)).code, 0);
});

test('test: MariaDB with the right password exits 0, with a wrong one 1 ("Access denied")', async () => {
  const ok = await cli(['credentials', 'test', mariaId], kr.env);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, `Server-Version ${maria.version}`);
  assert.is((await cli(['credentials', 'set', mariaId], kr.env, WRONG)).code, 0);
  const bad = await cli(['credentials', 'test', mariaId], kr.env);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, 'Benutzername oder Passwort falsch');
  assert.match(bad.stderr, /Access denied for user 'root'/);
  assert.not.ok(bad.stderr.includes(WRONG));
});

test('test: Samba with the right password exits 0; wrong password, missing share, closed port each exit 1 with their own message', async () => {
  const ok = await cli(['credentials', 'test', smbId, '--config', configFile], kr.env);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, `Anmeldung als „${smb.user}“ an //127.0.0.1:${smb.port}/backup erfolgreich, Inhalt der Freigabe „backup“ gelesen.`);
  assert.match(ok.stderr, 'Benutzt von „nas“');

  assert.is((await cli(['credentials', 'set', smbId], kr.env, WRONG)).code, 0);
  const { result: bad, argvs, environs } = await watchArgv(() => cli(['credentials', 'test', smbId], kr.env));
  assert.is(bad.code, 1);
  assert.match(bad.stderr, `Anmeldung als „${smb.user}“ an //127.0.0.1:${smb.port}/backup fehlgeschlagen: Benutzername oder Passwort falsch (NT_STATUS_LOGON_FAILURE)`);
  for (const a of argvs) assert.not.ok(a.includes(WRONG), `password in argv: ${a}`);
  for (const [a, e] of environs) if (e.includes(WRONG)) assert.match(a.split(' ')[0]!, /smbclient$/, `password in the environment of ${a}`);
  assert.not.ok(bad.stderr.includes(WRONG));

  const missingId = `smb://${smb.user}@127.0.0.1:${smb.port}/gibtsnicht`;
  assert.is((await cli(['credentials', 'set', missingId], kr.env, SMB_PW)).code, 0);
  const missing = await cli(['credentials', 'test', missingId], kr.env);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, 'Die Freigabe „gibtsnicht“ gibt es auf 127.0.0.1');

  const closedId = `smb://${smb.user}@127.0.0.1:1/backup`;
  assert.is((await cli(['credentials', 'set', closedId], kr.env, SMB_PW)).code, 0);
  const closed = await cli(['credentials', 'test', closedId], kr.env);
  assert.is(closed.code, 1);
  assert.match(closed.stderr, 'ist nicht erreichbar');
  assert.match(closed.stderr, 'NT_STATUS_CONNECTION_REFUSED');

  assert.is((await cli(['credentials', 'set', smbId], kr.env, SMB_PW)).code, 0);
  assert.is((await cli(['credentials', 'test', smbId], kr.env)).code, 0);
});

test('delete: gone from the Secret Service; a second delete and a test say nothing is stored (exit 1)', async () => {
  const r = await cli(['credentials', 'delete', mariaId], kr.env);
  assert.is(r.code, 0, r.stderr);
  assert.is(await kr.lookup(mariaId), null);
  const again = await cli(['credentials', 'delete', mariaId], kr.env);
  assert.is(again.code, 1);
  assert.match(again.stderr, 'kein Passwort gespeichert');
  const t = await cli(['credentials', 'test', mariaId], kr.env);
  assert.is(t.code, 1);
  assert.ok(t.stderr.includes('nichts zu prüfen'), `${t.stderr} — ${kr.health()}`);
  assert.not.match((await cli(['credentials', 'list'], kr.env)).stdout, mariaId);
});

test('no keyring reachable: a clear message and exit 1, nothing written anywhere in HOME', async () => {
  const home = join(root, 'no-keyring-home');
  await mkdir(home);
  const env = { PATH: kr.env.PATH!, HOME: home }; // no DBUS_SESSION_BUS_ADDRESS, no DISPLAY
  const r = await cli(['credentials', 'set', 'smb://praxis@nas.local/backup'], env, 'Kein-Ort-Geheim\n');
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, 'Der Schlüsselbund (Secret Service) ist nicht erreichbar');
  assert.match(r.stderr, 'nie in einer Textdatei');
  assert.match(r.stderr, 'dbus-run-session');
  assert.not.ok(r.stderr.includes('Kein-Ort-Geheim'));
  assert.equal(filesBelow(home), [], 'files were written into HOME');

  // A run that needs a password stops with the same message, naming the id it needed …
  const run = await cli(['run', '--config', configFile], { ...env, XDG_STATE_HOME: join(root, 'no-keyring-state') });
  assert.is(run.code, 1);
  assert.match(run.stderr, 'Der Schlüsselbund (Secret Service) ist nicht erreichbar');
  assert.match(run.stderr, `Gebraucht wurde das Passwort für ${pgId}`);
  // … while the environment still answers first, without touching the keyring.
  const viaEnv = await cli(['run', '--config', configFile], { ...env, XDG_STATE_HOME: join(root, 'no-keyring-state'), PRAXIS_BACKUP_PASSWORD_DATENBANK: PG_PW, PRAXIS_BACKUP_PASSWORD_NAS: SMB_PW });
  assert.not.match(viaEnv.stderr, 'Schlüsselbund');

  // A run that asks for no password (folders only) is not affected at all.
  const src = join(root, 'folder-src');
  await mkdir(src);
  await writeFile(join(src, 'a.txt'), 'a');
  const folderCfg = join(root, 'folder-config.json');
  await writeFile(folderCfg, JSON.stringify({ backupDir: join(root, 'folder-backups'), components: [{ name: 'files', type: 'folder', path: src }] }));
  const folders = await cli(['run', '--config', folderCfg], { ...env, XDG_STATE_HOME: join(root, 'no-keyring-state') });
  assert.is(folders.code, 0, folders.stderr);

  // PRAXIS_BACKUP_KEYRING=off: passwords deliberately elsewhere; the keyring is not asked, the
  // server's own answer comes back (here: no password supplied).
  const off = await cli(['run', '--config', configFile], { ...env, XDG_STATE_HOME: join(root, 'no-keyring-state'), PRAXIS_BACKUP_KEYRING: 'off' });
  assert.is(off.code, 1);
  assert.not.match(off.stderr, 'Schlüsselbund');
  assert.match(off.stderr, /no password supplied|password authentication failed/);
});

test('a locked keyring: list, set and a run say it is locked (not "no password stored")', async () => {
  const locked = await startKeyring({ locked: true });
  try {
    const list = await cli(['credentials', 'list'], locked.env);
    assert.is(list.code, 1, list.stdout);
    assert.match(list.stderr, 'der Schlüsselbund ist gesperrt');
    const set = await cli(['credentials', 'set', pgId], locked.env, 'x\n');
    assert.is(set.code, 1);
    assert.match(set.stderr, 'nicht erreichbar');
    const run = await cli(['run', '--config', configFile], { ...locked.env, XDG_STATE_HOME: join(locked.dir, 'state') });
    assert.is(run.code, 1);
    assert.match(run.stderr, 'der Schlüsselbund ist gesperrt');
    assert.match(run.stderr, `Gebraucht wurde das Passwort für ${pgId}`);
  } finally {
    await locked.stop();
  }
  assert.equal(locked.strays(), [], 'daemons of the locked keyring left running');
});

test('stopping leaves no daemon behind (keyring, bus, smbd and its helpers)', async () => {
  assert.ok(kr.strays().length >= 2, `the bus and the keyring daemon should be found by the marker while running: ${kr.health()}`);
  assert.ok(smb.processes().length >= 1, 'smbd should be found by its marker while running');
  await kr.stop();
  await smb.stop();
  assert.equal(kr.strays(), []);
  assert.equal(smb.processes(), []);
});

test.run();

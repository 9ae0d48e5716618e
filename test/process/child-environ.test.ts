// A real backup (PostgreSQL through pg_dump, a folder through rsync) run in this process while our
// own environment holds passwords, as a scripted run has them: every child the process runner
// starts is read in /proc/<pid>/environ the moment it exists (onChildGroups tells us its pid right
// after the kernel has exec'd it, before it could connect or copy anything). Only the libpq tools
// may hold PGPASSWORD, and only the database's own password; no child holds any
// PRAXIS_BACKUP_PASSWORD_* or another tool's password variable.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import { onChildGroups } from '../../src/process/runner';
import { runBackup } from '../../src/backup/backup-run';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { Reporter } from '../../src/run/events';
import { StatusStore } from '../../src/run/status-store';
import { ToolLocator } from '../../src/process/tool-locator';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleFiles, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('secrets in child environments');

const PG_PW = 'Pg-Geheim-environ-7';
// Decoys: what an admin's shell may hold besides. None of them is for any child of this backup.
// (A PGPASSWORD the admin exported would still reach the libpq tools by design: runner.test.ts.)
const DECOYS = { MYSQL_PWD: 'decoy-mysql-pwd', PASSWD: 'decoy-smb', PRAXIS_BACKUP_PASSWORD_NAS: 'decoy-share-pw' };

let pg: PgServer;
let root: string;

test.before(async () => {
  root = await makeTempDir('praxis-environ-');
  pg = await startPostgres({ password: PG_PW });
  await createSamplePostgres(pg, 'tomedo', { patients: 50, visitsPerPatient: 2 });
  await createSampleFiles(join(root, 'files'), { files: 10, bytesEach: 4096 });
});
test.after(() => runCleanups());

interface Seen {
  program: string;
  environ: Map<string, string>;
}

function readEnviron(pid: number): Map<string, string> | null {
  try {
    const raw = readFileSync(`/proc/${pid}/environ`, 'latin1');
    if (!raw) return null; // a zombie: it ended before we looked
    return new Map(raw.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  } catch {
    return null;
  }
}

test('pg_dump gets the database password as PGPASSWORD; rsync and every other child get no secret', async () => {
  const config = validateConfig(
    {
      backupDir: join(root, 'backups'),
      components: [
        { name: 'datenbank', type: 'postgres', database: 'tomedo', host: pg.host, port: pg.port, user: pg.user },
        { name: 'files', type: 'folder', path: join(root, 'files') },
      ],
      retention: { keep: 3 },
      verify: { afterBackup: false },
    },
    'test',
  );
  const seen: Seen[] = [];
  const missed: string[] = [];
  const known = new Set<number>();
  // Called synchronously inside run(), right after the spawn returned: the child exists and has
  // exec'd its program, and it cannot have been reaped yet (that needs our event loop).
  const stop = onChildGroups((groups) => {
    for (const g of groups) {
      if (known.has(g.pid)) continue;
      known.add(g.pid);
      const environ = readEnviron(g.pid);
      if (environ) seen.push({ program: g.program, environ });
      else missed.push(g.program);
    }
  });
  Object.assign(process.env, DECOYS, { PRAXIS_BACKUP_PASSWORD_DATENBANK: PG_PW });
  try {
    const deps = {
      platform: 'linux' as const,
      tools: new ToolLocator('linux', process.env),
      secrets: EnvSecretStore.forComponents(process.env, config.components),
      status: new StatusStore(join(root, 'state')),
      toolVersion: 'test',
    };
    const s = await runBackup(config, deps, new Reporter([]), new AbortController().signal);
    assert.is(s.exitCode, 0, JSON.stringify(s.error));
  } finally {
    stop();
    for (const k of [...Object.keys(DECOYS), 'PRAXIS_BACKUP_PASSWORD_DATENBANK']) delete process.env[k];
  }

  const programs = seen.map((s) => s.program);
  // The dump itself (not `pg_dump --version` of the tool locator, which gets no password).
  const dumps = seen.filter((s) => s.program === 'pg_dump' && s.environ.has('PGPASSWORD'));
  assert.is(dumps.length, 1, `the dump seen alive: ${programs} (missed: ${missed})`);
  assert.is(dumps[0]!.environ.get('PGPASSWORD'), PG_PW, 'pg_dump has the database’s password');
  assert.ok(programs.includes('rsync'), `rsync seen alive: ${programs} (missed: ${missed})`);
  for (const { program, environ } of seen) {
    const secretNames = [...environ.keys()].filter((k) => k.startsWith('PRAXIS_BACKUP_PASSWORD_') || k === 'MYSQL_PWD' || k === 'PASSWD');
    assert.equal(secretNames, [], `${program} inherited ${secretNames}`);
    for (const [name, value] of environ) {
      assert.not.ok(Object.values(DECOYS).includes(value), `${program} holds a decoy in ${name}`);
    }
    if (program === 'pg_dump' || program === 'psql') {
      if (environ.has('PGPASSWORD')) assert.is(environ.get('PGPASSWORD'), PG_PW, `${program}: the database’s password or none`);
    } else assert.not.ok(environ.has('PGPASSWORD'), `${program} must not have PGPASSWORD`);
  }
});

test.run();

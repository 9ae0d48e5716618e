// `restore --sql` offers the components whose kind answers the contract's optional restoreSqlFile
// (MariaDB/MySQL today): asked of the registry, so the CLI names no kind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Component } from '../../src/config/schema';
import { kindFor } from '../../src/databases/registry';
import { sqlFileComponents } from '../../src/restore/restore-sql';

const db = (name: string, type: string) => ({ name, type, database: name, host: 'localhost', port: 1, user: 'u' }) as Component;

test('only components of a kind that loads SQL files; folders and other kinds are not offered', () => {
  const components = [db('tomedo', 'postgres'), db('elexis', 'mariadb'), db('alt', 'mysql'), db('mo', 'firebird'), { name: 'files', type: 'folder', path: '/srv/files' } as Component];
  const offered = sqlFileComponents(components);
  assert.equal(offered.map((c) => c.name), ['elexis', 'alt']);
  for (const c of components.filter((x) => x.type !== 'folder')) assert.is(offered.includes(c as never), kindFor(c).restoreSqlFile !== undefined, c.name);
});

test('none configured: an empty list (the CLI then says which databases it knows: none)', () => {
  assert.equal(sqlFileComponents([db('tomedo', 'postgres')]), []);
});

test.run();

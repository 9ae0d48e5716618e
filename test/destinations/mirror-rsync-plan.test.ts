// A folder mirror's bandwidth cap (limitKiBs) is rsync's --bwlimit in KiB/s, rsync's own unit
// (`man rsync`: a number without suffix is "units of 1024 bytes"): the whole argv, without
// spawning, for this machine's rsync and for Apple's openrsync (which has --bwlimit too). The
// capped copy running for real is in test/engine/low-priority-cli.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';
import { planMirrorRsync } from '../../src/destinations/folder-destination';
import { parseVersion, ToolLocator, type ToolInfo } from '../../src/process/tool-locator';

const FILE = '/etc/praxis-backup/config.json';
const OPENRSYNC: ToolInfo = { name: 'rsync', path: '/usr/bin/rsync', version: 'openrsync: protocol version 29', versionLines: ['openrsync: protocol version 29', 'rsync version 2.6.9 compatible'], ...parseVersion('openrsync: protocol version 29') };

test('limitKiBs 512: --bwlimit=512 after --link-dest, before the exclude and the two folders; absent: no --bwlimit', async () => {
  const rsync = await new ToolLocator('linux', process.env).find('rsync');
  const capped = planMirrorRsync(rsync, '/b/20261124_031500', '/m/20261124_031500.partial', '/m/20261123_031500', 'rsync → nas', 512);
  const plain = planMirrorRsync(rsync, '/b/20261124_031500', '/m/20261124_031500.partial', '/m/20261123_031500', 'rsync → nas');
  assert.equal(capped.args.filter((a) => a.startsWith('--bwlimit')), ['--bwlimit=512']);
  assert.equal(plain.args.filter((a) => a.startsWith('--bwlimit')), []);
  // The same call otherwise: the cap adds exactly one argument, right after --link-dest.
  const at = plain.args.indexOf('--link-dest=/m/20261123_031500') + 1;
  assert.equal(capped.args, [...plain.args.slice(0, at), '--bwlimit=512', ...plain.args.slice(at)]);
  assert.equal(capped.args.slice(-2), ['/b/20261124_031500/', '/m/20261124_031500.partial/']);
});

test('openrsync (macOS 15.4+): the same --bwlimit, no progress2', () => {
  const p = planMirrorRsync(OPENRSYNC, '/b/x', '/m/x.partial', null, 'rsync → usb', 2048);
  assert.ok(p.args.includes('--bwlimit=2048'));
  assert.not.ok(p.args.some((a) => a.startsWith('--info=')));
});

test('the config: limitKiBs on path, volume and smb mirrors, a whole number ≥ 1', () => {
  const base = { backupDir: '/srv/backup', components: [{ name: 'files', type: 'folder', path: '/srv/files' }] };
  const ok = validateConfig(
    {
      ...base,
      mirrors: [
        { name: 'nas', type: 'smb', url: 'smb://nas/praxis', user: 'backup', password: 'keyring', limitKiBs: 2048 },
        { name: 'usb', type: 'volume', volume: { label: 'USB' }, limitKiBs: 1 },
        { name: 'share', type: 'path', path: '/mnt/share' },
      ],
    },
    FILE,
  );
  assert.equal(ok.mirrors.map((m) => (m as { limitKiBs?: number }).limitKiBs), [2048, 1, undefined]);
  for (const bad of [0, 1.5, -3, '100']) {
    try {
      validateConfig({ ...base, mirrors: [{ name: 'share', type: 'path', path: '/mnt/share', limitKiBs: bad }] }, FILE);
      assert.unreachable(`limitKiBs ${JSON.stringify(bad)} accepted`);
    } catch (e) {
      assert.instance(e, ConfigError);
      assert.equal((e as ConfigError).problems.map((p) => p.path), ['mirrors[0].limitKiBs'], `limitKiBs ${JSON.stringify(bad)}`);
    }
  }
});

test.run();

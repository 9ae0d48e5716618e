// The share kind (SMB). This kernel has no cifs (/work/shared/reference/linux-volumes.md), so the
// SMB mount itself cannot run here; src/diskutil/smb-mount.ts is tested on its own against a real
// smbd (test/diskutil/smb-mount.test.ts). Here a Shares stand-in mounts the "share" as a real bind
// mount of a folder on a size-limited tmpfs, so everything the kind does around the mount runs for
// real: its mount point under smbMountBase, the guard asking the file system whether something is
// mounted there, the sub-folder of the URL, the login it asks for, the unmount of what it mounted.
// Made wrong by a mount that reports success but leaves nothing mounted: the guard refuses.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import type { Shares } from '../../src/core/shares';
import type { FolderDestination } from '../../src/destinations/folder-destination';
import { isMountPoint } from '../helpers/loop-disk';
import { registerCleanup } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';
import { destinationContract } from './contract';

let n = 0;

destinationContract({
  title: 'share, mounted by a bind-mount stand-in for cifs',
  limited: true,
  async target(root, sizeMiB) {
    const server = await mountTmpfs(sizeMiB);
    mkdirSync(join(server.path, 'Praxis'));
    const base = join(root, `smb-${++n}`);
    const calls: string[] = [];
    let mounts = true;
    const shares: Shares = {
      async mount(url, user, password, mountPoint) {
        calls.push(`mount ${url} ${user} ${password}`);
        if (!mounts) return; // "mounted", says the tool; nothing is
        await execa('mount', ['--bind', server.path, mountPoint]);
        registerCleanup(() => execa('umount', [mountPoint]).then(() => undefined, () => undefined), { label: `umount ${mountPoint}` });
      },
      async unmount(mountPoint) {
        calls.push(`unmount ${mountPoint}`);
        await execa('umount', [mountPoint]);
      },
    };
    return {
      mirror: { type: 'smb', url: 'smb://nas/backup/Praxis', user: 'praxis', password: 'none' },
      deps: { shares, smbMountBase: base },
      async spoil() {
        mounts = false;
        // The mount point the kind made is still an empty folder: nothing written where the share should be.
        const untouched = () => assert.equal(readdirSync(base).map((mp) => readdirSync(join(base, mp))), [[]]);
        return { refusal: 'mirror.guard', untouched };
      },
      givenBack(d: FolderDestination) {
        assert.ok(calls[0]?.startsWith('mount smb://nas/backup/Praxis praxis '), calls.join('\n'));
        assert.is(calls.at(-1), `unmount ${d.target.mountedByUs}`);
        assert.not.ok(isMountPoint(d.target.mountedByUs!), 'what we mounted is unmounted');
        assert.is(d.dir, join(d.target.mountedByUs!, 'Praxis'), "the URL's folder on the share");
      },
    };
  },
});

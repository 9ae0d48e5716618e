// The path kind on a plain folder of this machine's disk (the backups are on a tmpfs of their own,
// so the folder is "another disk"). Made wrong by pointing it at an empty folder on the backups'
// own disk — what an unmounted disk's mount point looks like: refused as the same disk.
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as assert from 'uvu/assert';
import { makeTempDir } from '../helpers/temp';
import { destinationContract } from './contract';

destinationContract({
  title: 'plain path',
  limited: false,
  async target(_root, _sizeMiB) {
    const folder = await makeTempDir('praxis-dest-path-');
    const mirror: Record<string, unknown> = { type: 'path', path: folder };
    return {
      mirror,
      async spoil(backupDir) {
        const mountPoint = join(dirname(backupDir), 'usb-mount-point');
        mkdirSync(mountPoint, { recursive: true });
        mirror.path = mountPoint;
        return { refusal: 'mirror.sameDisk', untouched: () => assert.equal(readdirSync(mountPoint), []) };
      },
      givenBack() {
        assert.equal(readdirSync(folder), [], 'the folder stays, nothing left in it');
      },
    };
  },
});

// The volume kind on a real ext4 "USB disk" (a loop device) found by its label through the Linux
// volumes adapter: mounted by us, ejected when the mirror says so. Made wrong by unplugging it
// (detaching the loop device): absent, and nothing is mounted or written anywhere.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { LinuxVolumes } from '../../src/diskutil/linux-volumes';
import { makeLoopDisk, mountsOf } from '../helpers/loop-disk';
import { destinationContract } from './contract';

let n = 0;

destinationContract({
  title: 'volume on a loop disk',
  limited: true,
  async target(root, sizeMiB) {
    const label = `PRAXIS-D${++n}`;
    const disk = await makeLoopDisk({ sizeMiB, label });
    const mountBase = join(root, `volumes-${n}`);
    return {
      mirror: { type: 'volume', volume: { label }, eject: true },
      deps: { volumes: new LinuxVolumes({ mountBase }) },
      async spoil() {
        await disk.detach();
        return {
          refusal: 'mirror.volumeAbsent',
          untouched: () => assert.equal(existsSync(mountBase) ? readdirSync(mountBase, { recursive: true }) : [], [], 'nothing mounted or made under the mount base'),
        };
      },
      givenBack(_d, r) {
        assert.is(r.ejected, true, 'ejected, as the mirror says');
        assert.equal(mountsOf(disk.device), [], 'nothing of the disk is mounted any more');
      },
    };
  },
});

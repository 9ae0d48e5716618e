// The path kind on a size-limited tmpfs standing in for a second disk: the contract suite,
// including a disk that fills up. Made wrong by unmounting the tmpfs: the configured folder is
// then missing, and the empty mount point left behind is never written to.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { isMounted } from '../helpers/tmpfs';
import { destinationContract, folderOnTmpfs } from './contract';

destinationContract({
  title: 'path on a tmpfs',
  limited: true,
  async target(_root, sizeMiB) {
    const { disk, folder } = await folderOnTmpfs(sizeMiB);
    return {
      mirror: { type: 'path', path: folder },
      async spoil() {
        await disk.unmount();
        mkdirSync(disk.path, { recursive: true }); // the empty mount point, as an unplugged disk leaves it
        return {
          refusal: 'mirror.pathMissing',
          untouched: () => assert.equal(readdirSync(disk.path), [], 'nothing written into the empty mount point'),
        };
      },
      givenBack() {
        // A path is mounted by the admin, not by us: it stays as it was.
        assert.ok(isMounted(disk.path));
        assert.equal(readdirSync(folder), []);
      },
    };
  },
});

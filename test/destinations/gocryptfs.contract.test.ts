// Encryption as an option of a kind: a path on a size-limited tmpfs holding a gocryptfs folder,
// opened through its decrypted view (Linux). Made wrong by a wrong passphrase: refused, nothing
// mounted, and nothing written on the target in the clear.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { FolderDestination } from '../../src/destinations/folder-destination';
import { CIPHER_FOLDER, initCipherDir, mountEntry } from '../../src/destinations/encrypted/gocryptfs';
import { destinationContract, folderOnTmpfs } from './contract';

const PASSPHRASE = 'Ahorn-Birke-Esche-Linde-Ulme';

destinationContract({
  title: 'gocryptfs view of a path on a tmpfs',
  limited: true,
  async target(_root, sizeMiB) {
    const { folder } = await folderOnTmpfs(sizeMiB);
    await initCipherDir({ name: 'contract', credentialId: 'encryption://contract', cipherDir: join(folder, CIPHER_FOLDER), passphrase: PASSPHRASE });
    const access = { passphrase: PASSPHRASE };
    const onlyCipher = () => assert.equal(readdirSync(folder), [CIPHER_FOLDER], 'nothing in the clear beside the cipher folder');
    return {
      mirror: { type: 'path', path: folder, encrypt: true },
      access,
      async spoil() {
        access.passphrase = 'Falsch-Falsch-Falsch-Falsch';
        return { refusal: 'mirror.crypt.wrongPassphrase', untouched: onlyCipher };
      },
      async givenBack(d: FolderDestination) {
        assert.is(await mountEntry(d.dir), null, 'the decrypted view is closed');
        onlyCipher();
      },
    };
  },
});

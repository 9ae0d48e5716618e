// An in-memory credential store for engine tests that are not about the store itself: the same
// get/set/delete/ids contract as the Keychain / Secret Service adapters, which are tested for real
// against gnome-keyring in test/credentials/.
import type { CredentialStore } from '../../src/credentials/credentials';

export class MapStore implements CredentialStore {
  readonly description = 'Test-Schlüsselbund';
  constructor(readonly map = new Map<string, string>()) {}
  async get(id: string) {
    return this.map.get(id) ?? null;
  }
  async set(id: string, v: string) {
    this.map.set(id, v);
  }
  async delete(id: string) {
    return this.map.delete(id);
  }
  async ids() {
    return [...this.map.keys()];
  }
}

import { Sealer } from '../sealed.ts';
import type { KeyValueStore, Write, WriteGuard, WriteOptions } from './key-value-store.ts';

/**
 * Encryption at rest for a shared store (Microsoft.Identity.Web's `Encrypt` option for its
 * distributed token cache): every value — token cache partitions, sessions with the token caches
 * java and python keep in them, the `sid` index — is sealed with AES-256-GCM before it leaves the
 * process, bound to the key it is stored under, so a value copied to another key (another user's
 * partition) does not open. Keys and set members (session ids, which are useless without the
 * cookie's signature) stay readable: the store needs them to find things.
 *
 * The first of `secrets` seals; all of them open, so that a new secret can be put first while
 * values sealed with the old one are still read. A value that opens with none of them (sealed
 * with a secret since retired, or altered) reads as absent: the session or the partition is gone,
 * and the user signs in again.
 */
export class EncryptedStore implements KeyValueStore {
  private readonly sealer: Sealer;

  constructor(
    private readonly inner: KeyValueStore,
    secrets: readonly string[],
  ) {
    this.sealer = new Sealer(secrets, 'store-values');
  }

  now(): number {
    return this.inner.now();
  }

  async get(key: string, options?: { cacheable?: boolean }): Promise<string | undefined> {
    const sealed = await this.inner.get(key, options);
    return sealed === undefined ? undefined : this.sealer.open(sealed, key);
  }

  /** Compares the plaintext, then deletes only if the sealed value is still the one it read. */
  async deleteIfUnchanged(key: string, expected: string): Promise<boolean> {
    const sealed = await this.inner.get(key);
    if (sealed === undefined || this.sealer.open(sealed, key) !== expected) return false;
    return this.inner.deleteIfUnchanged(key, sealed);
  }

  write(
    writes: readonly Write[],
    guards?: readonly WriteGuard[],
    options?: WriteOptions,
  ): Promise<boolean> {
    const sealed = writes.map((write) =>
      'set' in write ? { ...write, value: this.sealer.seal(write.value, write.set) } : write,
    );
    return this.inner.write(sealed, guards, options);
  }

  remove(keys: readonly string[], markerSeconds?: number): Promise<void> {
    return this.inner.remove(keys, markerSeconds);
  }

  removeFromSet(key: string, member: string, alsoDelete?: readonly string[]): Promise<void> {
    return this.inner.removeFromSet(key, member, alsoDelete);
  }

  setMembers(key: string): Promise<string[]> {
    return this.inner.setMembers(key);
  }

  keys(prefix: string): Promise<string[]> {
    return this.inner.keys(prefix);
  }

  stats(prefix?: string): Promise<{ entries: number; removalMarkers: number }> {
    return this.inner.stats(prefix);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

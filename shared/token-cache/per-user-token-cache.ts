import type { KeyValueStore } from '../store/key-value-store.ts';
import type { TokenCachePartition } from './cache-plugin.ts';
import { accountsIn, summarize, type TokenCacheSummary } from './serialized-cache.ts';

/**
 * A token cache with one partition per user, keyed by msal's home account id (`uid.utid`),
 * in a shared store: the layout of Microsoft.Identity.Web's distributed token cache.
 *
 * Removing a user is deleting their partition. That is deliberate: msal-node 7's
 * `tokenCache.removeAccount()` matches cache keys by case-sensitive substring (removing `user1`
 * also removes `user10`), so against a shared cache we never rely on it.
 */
export class PerUserTokenCache {
  constructor(
    private readonly store: KeyValueStore,
    private readonly options: { keyPrefix: string; ttlSeconds: number },
  ) {}

  /**
   * The partition of `homeAccountId`, for one request. At sign-in, before msal has returned the
   * account, pass `undefined`: the partition then starts empty and is saved under the one account
   * msal wrote.
   */
  partition(homeAccountId: string | undefined): TokenCachePartition {
    const openedAt = this.store.now();
    let loaded: string | undefined;
    return {
      load: async () => {
        loaded = homeAccountId ? await this.store.get(this.key(homeAccountId)) : undefined;
        return loaded;
      },
      save: async (serialized) => {
        const accounts = accountsIn(serialized);
        const owner = homeAccountId ?? accounts[0]?.homeAccountId;
        if (!owner || accounts.some((account) => account.homeAccountId !== owner)) {
          throw new Error('A per-user token cache partition must hold exactly one account');
        }
        // A request that opened the partition before the user signed out (say, mid-refresh)
        // does not write their tokens back afterwards: the sign-out wins (`remove`).
        const key = this.key(owner);
        const { ttlSeconds } = this.options;
        await this.store.write(
          [{ set: key, value: serialized, ttlSeconds }],
          [{ unlessRemoved: key, since: openedAt }],
        );
      },
      // Tokens the identity platform refused: drop what this request loaded, unless another
      // request (another browser of the user, signing in again) has written fresher ones since.
      // Not a sign-out: nothing later is refused.
      clear: async () => {
        if (homeAccountId && loaded !== undefined) {
          await this.store.deleteIfUnchanged(this.key(homeAccountId), loaded);
        }
      },
    };
  }

  /**
   * Deletes everything the cache holds for this user: a sign-out. A request that opened the
   * partition before cannot write it back (see `save`).
   */
  async remove(homeAccountId: string): Promise<void> {
    await this.store.remove([this.key(homeAccountId)]);
  }

  async summary(): Promise<TokenCacheSummary> {
    const keys = await this.store.keys(this.options.keyPrefix);
    return summarize(await Promise.all(keys.map((key) => this.store.get(key))));
  }

  private key(homeAccountId: string): string {
    return this.options.keyPrefix + homeAccountId;
  }
}

import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';

/**
 * One partition of the token cache: the serialized msal cache of one user (or one session).
 * A fresh msal client is built for every request and sees only this partition, so one user's
 * request never loads, or writes, another user's tokens.
 */
export interface TokenCachePartition {
  load(): Promise<string | undefined>;
  save(serialized: string): Promise<void>;
  /** Drops every token of the partition (tokens the identity platform no longer accepts). */
  clear(): Promise<void>;
}

/** Connects a partition to msal: load it before msal reads the cache, save it after msal changed it. */
export function cachePluginFor(partition: TokenCachePartition): ICachePlugin {
  return {
    async beforeCacheAccess(context: TokenCacheContext) {
      const serialized = await partition.load();
      if (serialized) context.tokenCache.deserialize(serialized);
    },
    async afterCacheAccess(context: TokenCacheContext) {
      if (context.cacheHasChanged) await partition.save(context.tokenCache.serialize());
    },
  };
}

/** A partition in this request's memory, starting empty: where a sign-in redeems its code. */
export function inMemoryPartition(): TokenCachePartition & { value(): string | undefined } {
  let value: string | undefined;
  return {
    load: async () => value,
    save: async (serialized) => {
      value = serialized;
    },
    clear: async () => {
      value = undefined;
    },
    value: () => value,
  };
}

import type {
  ConfidentialClientApplication,
  ICachePlugin,
  TokenCacheContext,
} from '@azure/msal-node';

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

/** A msal client for one request, over one partition; `release()` it when done. */
export interface ClientLease {
  /** Built when first read: a request served from `tokens` builds none. */
  readonly client: ConfidentialClientApplication;
  /**
   * Access tokens msal gave for this partition as it is, by scopes, remembered by the first
   * level: a request can use one still valid without asking msal again. Forgotten with any
   * change to the partition, by any instance.
   */
  tokens?: RememberedTokens;
  /** Drops every token of the partition (tokens the identity platform no longer accepts). */
  clear(): Promise<void>;
  release(): void;
}

/** The access tokens a request may use, by scopes, and those it learns from msal. */
export interface RememberedTokens {
  get(scopes: string): RememberedToken | undefined;
  set(scopes: string, token: RememberedToken): void;
  delete(scopes: string): void;
}

/** An access token msal returned, and until when msal itself would return it from its cache. */
export interface RememberedToken {
  accessToken: string;
  /** Epoch milliseconds: five minutes before it expires, or its `refresh_in`, if sooner. */
  usableUntil: number;
  /** Epoch milliseconds: when it expires. */
  expiresOn: number;
}

/**
 * Where a token cache keeps the tokens a sign-in redeemed, once the sign-in is accepted (see
 * `OpenIdSignIn`): never before, so that a sign-in refused at the last moment leaves none behind.
 */
export type SignInTokenCache =
  /** Kept in the session (java, python): saved with it, in the same write, or not at all. */
  | { readonly keepsTokens: 'in the session' }
  | {
      /** Kept in a partition of the cache's own (aspnetcore, aspnet), written once the session is. */
      readonly keepsTokens: 'in a partition';
      /**
       * Writes the partition of the one user `serialized` holds, unless a sign-out removed it after
       * `startedAt` (epoch ms, this process's clock: when the sign-in's request began; then
       * `false`: the sign-out wins). It lives no later than `notAfter` (epoch ms), if bound to
       * sessions.
       */
      keepSignIn(
        serialized: string,
        options: { startedAt: number; notAfter?: number | undefined },
      ): Promise<boolean>;
      /**
       * The sign-in replaced the session of another user (`homeAccountId`) in this browser: that
       * session no longer leads anyone to their partition.
       */
      sessionReplaced(homeAccountId: string): Promise<void>;
    };

/** Where a request gets its msal client: `undefined` when the cache holds nothing for it. */
export interface TokenCacheSource {
  lease(): Promise<ClientLease | undefined>;
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

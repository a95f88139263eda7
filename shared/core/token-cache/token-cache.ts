/**
 * The one contract of a token cache, wherever it keeps the tokens: a partition per user in a
 * shared store or in this process's memory (`PerUserTokenCache`), or a partition per session, kept
 * in the session (`SessionTokenCache`). As Microsoft.Identity.Web has one provider contract over its
 * memory, distributed and session caches, a request, a sign-in and a sign-out use every one of them
 * the same way; only where the tokens live, and so what a sign-out must do to reach them, differs.
 */
import type { ConfidentialClientApplication } from '@azure/msal-node';
import type { SessionData } from '../session/sessions.ts';
import type { TokenCachePartition } from './cache-plugin.ts';
import type { TokenCacheSummary } from './serialized-cache.ts';

/** What a request says of itself to reach its tokens: plain values, no framework. */
export interface TokenCacheRequest {
  /** The signed-in user (the session's). */
  user: { homeAccountId: string };
  /** The request's session: a cache kept in the session reads and writes it there. */
  session?: SessionData | null | undefined;
  /** Until when the request's session lives (epoch ms): what the request writes lives no longer. */
  notAfter?: number | undefined;
}

/** A token cache: what a request, a sign-out and the inspector do with it, and how a sign-in keeps its tokens. */
export type TokenCache = TokenCacheOperations & SignInTokenCache;

/** What every token cache does, wherever it keeps the tokens. */
export interface TokenCacheOperations {
  /**
   * The partition this request uses, with a msal client over it; `undefined` when the cache holds
   * nothing for the user. `release()` the lease when done.
   */
  lease(request: TokenCacheRequest): Promise<ClientLease | undefined>;
  /**
   * Removes the user's tokens: a sign-out. A partition per user goes whole, wherever the user is
   * signed in; a cache in the session holds only that session's (`session`), which ending the
   * session removes anyway.
   */
  remove(homeAccountId: string, session?: SessionData | null): Promise<void>;
  /** What it holds, in counts and times: never a token. */
  summary(): Promise<TokenCacheSummary>;
}

/** A msal client for one request, over one partition; `release()` it when done. */
export interface ClientLease {
  /** Built when first read: a request served from `tokens` builds none. */
  readonly client: ConfidentialClientApplication;
  /** The partition the client loads and saves (through its cache plugin). */
  readonly partition: TokenCachePartition;
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

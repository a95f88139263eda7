/**
 * Reading msal's serialized token cache (the JSON of `tokenCache.serialize()`) without ever
 * exposing a secret: only account identifiers and counts come out of here.
 */

export interface CachedAccount {
  homeAccountId: string;
  username: string;
}

/** What the cache inspector shows: who is in a cache and how many tokens it holds. No values. */
export interface TokenCacheSummary {
  accounts: CachedAccount[];
  accessTokens: number;
  refreshTokens: number;
  idTokens: number;
}

interface SerializedTokenCache {
  Account?: Record<string, { home_account_id?: string; username?: string }>;
  AccessToken?: Record<string, unknown>;
  RefreshToken?: Record<string, unknown>;
  IdToken?: Record<string, unknown>;
}

function parse(serialized: string | undefined): SerializedTokenCache {
  if (!serialized) return {};
  return JSON.parse(serialized) as SerializedTokenCache;
}

export function accountsIn(serialized: string | undefined): CachedAccount[] {
  return Object.values(parse(serialized).Account ?? {}).map((account) => ({
    homeAccountId: account.home_account_id ?? '',
    username: account.username ?? '',
  }));
}

export function summarize(serializedCaches: Array<string | undefined>): TokenCacheSummary {
  const summary: TokenCacheSummary = {
    accounts: [],
    accessTokens: 0,
    refreshTokens: 0,
    idTokens: 0,
  };
  for (const serialized of serializedCaches) {
    const cache = parse(serialized);
    summary.accounts.push(...accountsIn(serialized));
    summary.accessTokens += Object.keys(cache.AccessToken ?? {}).length;
    summary.refreshTokens += Object.keys(cache.RefreshToken ?? {}).length;
    summary.idTokens += Object.keys(cache.IdToken ?? {}).length;
  }
  return summary;
}

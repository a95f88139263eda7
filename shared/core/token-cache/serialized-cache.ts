/**
 * Reading msal's serialized token cache (the JSON of `tokenCache.serialize()`) without ever
 * exposing a secret: only account identifiers and counts come out of here.
 */

export interface TokenCounts {
  accessTokens: number;
  refreshTokens: number;
  idTokens: number;
}

/** When an access token was cached and when it expires (epoch ms), and what it is for. */
export interface AccessTokenTimes {
  scopes: string;
  cachedAt: number;
  expiresOn: number;
}

/** An account in the cache, with how many tokens the cache holds for it. */
export interface CachedAccount extends TokenCounts {
  homeAccountId: string;
  username: string;
  /** Each of its access tokens' times (never the token). */
  accessTokenTimes: AccessTokenTimes[];
}

/** What the cache inspector shows: who is in a cache and how many tokens it holds. No values. */
export interface TokenCacheSummary extends TokenCounts {
  accounts: CachedAccount[];
  /** Per-user caches: how many users' access tokens this process remembers (the first level). */
  warmUsers?: number;
  /** Per-user caches: the removal markers their sign-outs left (for a few minutes). */
  removalMarkers?: number;
}

type Entity = {
  home_account_id?: string;
  username?: string;
  /** Access tokens: scopes, and epoch seconds as strings. */
  target?: string;
  cached_at?: string;
  expires_on?: string;
};

interface SerializedTokenCache {
  Account?: Record<string, Entity>;
  AccessToken?: Record<string, Entity>;
  RefreshToken?: Record<string, Entity>;
  IdToken?: Record<string, Entity>;
}

const credentialKinds = [
  ['AccessToken', 'accessTokens'],
  ['RefreshToken', 'refreshTokens'],
  ['IdToken', 'idTokens'],
] as const;

function parse(serialized: string | undefined): SerializedTokenCache {
  return serialized ? (JSON.parse(serialized) as SerializedTokenCache) : {};
}

export function accountsIn(serialized: string | undefined): Array<{ homeAccountId: string }> {
  return Object.values(parse(serialized).Account ?? {}).map((account) => ({
    homeAccountId: account.home_account_id ?? '',
  }));
}

/**
 * Sums up serialized caches (one per partition or per session). An account held in several of
 * them (a user with two sessions) is listed once, with all its tokens. `accessTokenCopies`: access
 * tokens the app keeps outside msal's cache (Microsoft's Node sample: in the session), one entry
 * per copy, counted as that user's access tokens.
 */
export function summarize(
  serializedCaches: Array<string | undefined>,
  accessTokenCopies: Array<{
    homeAccountId: string;
    username: string;
    times?: AccessTokenTimes;
  }> = [],
): TokenCacheSummary {
  const summary: TokenCacheSummary = {
    accounts: [],
    accessTokens: 0,
    refreshTokens: 0,
    idTokens: 0,
  };
  const byId = new Map<string, CachedAccount>();
  const accountOf = (homeAccountId: string, username = '') => {
    let account = byId.get(homeAccountId);
    if (!account) {
      account = {
        homeAccountId,
        username,
        accessTokens: 0,
        refreshTokens: 0,
        idTokens: 0,
        accessTokenTimes: [],
      };
      byId.set(homeAccountId, account);
      summary.accounts.push(account);
    }
    if (username) account.username = username;
    return account;
  };
  for (const serialized of serializedCaches) {
    const cache = parse(serialized);
    for (const account of Object.values(cache.Account ?? {})) {
      accountOf(account.home_account_id ?? '', account.username);
    }
    for (const [section, counter] of credentialKinds) {
      for (const credential of Object.values(cache[section] ?? {})) {
        summary[counter] += 1;
        const account = accountOf(credential.home_account_id ?? '');
        account[counter] += 1;
        if (section === 'AccessToken') account.accessTokenTimes.push(timesOf(credential));
      }
    }
  }
  for (const { homeAccountId, username, times } of accessTokenCopies) {
    summary.accessTokens += 1;
    const account = accountOf(homeAccountId, username);
    account.accessTokens += 1;
    if (times) account.accessTokenTimes.push(times);
  }
  return summary;
}

function timesOf(credential: Entity): AccessTokenTimes {
  return {
    scopes: credential.target ?? '',
    cachedAt: Number(credential.cached_at ?? 0) * 1000,
    expiresOn: Number(credential.expires_on ?? 0) * 1000,
  };
}

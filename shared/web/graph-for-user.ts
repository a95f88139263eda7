import { type GraphClient, GraphError } from '../graph/graph-client.ts';
import { acquireTokenSilently } from '../msal/silent-token.ts';
import type { SessionUser } from '../session/sessions.ts';
import type { ClientLease, TokenCacheSource } from '../token-cache/cache-plugin.ts';

/**
 * Calls Graph for the signed-in user, with a token from their token cache.
 * `undefined` means the cache has nothing usable for the user: the caller sends them to sign in.
 */
export type GraphForUser = <T>(
  cache: TokenCacheSource,
  user: SessionUser,
  request: { scopes: string[]; path: string },
) => Promise<T | undefined>;

export function graphForUser(graph: GraphClient, identityPlatformOrigin: string): GraphForUser {
  return async <T>(
    cache: TokenCacheSource,
    user: SessionUser,
    { scopes, path }: { scopes: string[]; path: string },
  ) => {
    const lease = await cache.lease();
    if (!lease) return undefined;
    try {
      const token = (forceRefresh: boolean) =>
        acquireTokenSilently(lease, { user, scopes, forceRefresh }, identityPlatformOrigin);
      const cached = await token(false);
      if ('signInAgain' in cached) return signInAgain(lease, cached);
      try {
        return await graph.get<T>(path, cached.accessToken);
      } catch (error) {
        if (!(error instanceof GraphError && error.status === 401)) throw error;
        // The API refused an access token msal still holds as valid (the identity platform's
        // signing key changed, say): get a new one with the refresh token, once.
        const renewed = await token(true);
        if ('signInAgain' in renewed) return signInAgain(lease, renewed);
        return graph.get<T>(path, renewed.accessToken);
      }
    } finally {
      lease.release();
    }
  };
}

/** Tokens the identity platform refused are dropped on the way: they could only fail again. */
async function signInAgain(
  lease: ClientLease,
  { signInAgain: why }: { signInAgain: string },
): Promise<undefined> {
  if (why === 'refused') await lease.clear();
  return undefined;
}

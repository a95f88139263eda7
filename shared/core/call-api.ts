import { type EventUser, emit } from './events.ts';
import { type GraphClient, GraphError } from './graph-client.ts';
import { acquireTokenSilently, type SilentToken } from './msal/silent-token.ts';
import type { SessionUser } from './session/sessions.ts';
import type { ClientLease, TokenCache, TokenCacheRequest } from './token-cache/token-cache.ts';

/** An access token a call used: how the page may show it (decoded, never itself). */
export type UsedToken = Extract<SilentToken, { accessToken: string }>;

/**
 * Calls the API (Microsoft Graph) for the signed-in user with a token from their token cache:
 * the answer, and the token it used; `undefined` when the cache has nothing usable for the user
 * (the caller sends them to sign in again, as Microsoft.Identity.Web's `AuthorizeForScopes` does).
 */
export type CallApi = <T>(
  tokenCache: TokenCache,
  request: TokenCacheRequest & { user: SessionUser },
  call: { scopes: string[]; path: string },
) => Promise<{ answer: T; token: UsedToken } | undefined>;

export function callApi(
  api: GraphClient,
  identityPlatformOrigin: string,
  /** Names this app in the events it emits (`api-called`, `sign-in-again`). */
  { app }: { app: string },
): CallApi {
  return async <T>(
    tokenCache: TokenCache,
    request: TokenCacheRequest & { user: SessionUser },
    { scopes, path }: { scopes: string[]; path: string },
  ) => {
    const { user } = request;
    const who: EventUser = {
      homeAccountId: user.homeAccountId,
      username: user.username,
      sid: user.sid,
    };
    const signInAgain = async (
      reason: 'no-account' | 'interaction' | 'refused',
      lease?: ClientLease,
    ) => {
      // Tokens the identity platform refused are dropped on the way: they could only fail again.
      if (reason === 'refused') await lease?.clear();
      emit({ type: 'sign-in-again', app, user: who, reason });
      return undefined;
    };
    const lease = await tokenCache.lease(request);
    if (!lease) return signInAgain('no-account');
    try {
      const token = (forceRefresh: boolean) =>
        acquireTokenSilently(lease, { user, scopes, forceRefresh }, identityPlatformOrigin);
      const call = async (used: UsedToken) => {
        const answer = await api.get<T>(path, used.accessToken);
        const { source, expiresOn } = used;
        emit({
          type: 'api-called',
          app,
          user: who,
          path,
          source,
          ...(expiresOn ? { expiresOn } : {}),
        });
        return { answer, token: used };
      };
      const cached = await token(false);
      if ('signInAgain' in cached) return signInAgain(cached.signInAgain, lease);
      try {
        return await call(cached);
      } catch (error) {
        if (!(error instanceof GraphError && error.status === 401)) throw error;
        // The API refused an access token msal still holds as valid (the identity platform's
        // signing key changed, say): get a new one with the refresh token, once.
        const renewed = await token(true);
        if ('signInAgain' in renewed) return signInAgain(renewed.signInAgain, lease);
        return await call(renewed);
      }
    } finally {
      lease.release();
    }
  };
}

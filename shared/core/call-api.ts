import { type EventUser, emit, type SignInAgainReason, type TokenSource } from './events.ts';
import { type GraphClient, GraphError } from './graph-client.ts';
import { acquireTokenSilently, type SilentToken } from './msal/silent-token.ts';
import type { SessionUser } from './session/sessions.ts';
import type { ClientLease, TokenCache, TokenCacheRequest } from './token-cache/token-cache.ts';

/** An access token a call used: how the page may show it (decoded, never itself). */
export type UsedToken = Extract<SilentToken, { accessToken: string }>;

/**
 * The user must sign in again, and the sign-in must carry `claims` (give them to
 * `OpenIdSignIn.authorizationUrl`): the API answered with a claims challenge that msal could not
 * meet silently (the refresh token was refused: sessions revoked, account disabled, password
 * reset). Keep the claims on the server (the session), never in a URL the browser can change.
 */
export interface SignInAgainWithClaims {
  signInAgain: { claims: string };
}

/**
 * Calls the API (Microsoft Graph) for the signed-in user with a token from their token cache:
 * the answer, and the token it used; `undefined` when the cache has nothing usable for the user
 * (the caller sends them to sign in again, as Microsoft.Identity.Web's `AuthorizeForScopes` does);
 * {@link SignInAgainWithClaims} when a claims challenge needs the user.
 *
 * A 401 is answered once per call, never more: with a claims challenge (Continuous Access
 * Evaluation), the refused token is dropped and msal asked with the challenge's claims (it skips
 * its cache then); without one, the token is renewed with the refresh token. A second refusal
 * reaches the caller as the API's `GraphError`.
 */
export type CallApi = <T>(
  tokenCache: TokenCache,
  request: TokenCacheRequest & { user: SessionUser },
  call: { scopes: string[]; path: string },
) => Promise<{ answer: T; token: UsedToken } | SignInAgainWithClaims | undefined>;

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
    const lease = await tokenCache.lease(request);
    if (!lease) return signInAgain(app, user, 'no-account');
    try {
      const token = (renew: { forceRefresh?: boolean; claims?: string | undefined }) =>
        acquireTokenSilently(lease, { user, scopes, ...renew }, identityPlatformOrigin);
      const call = async (used: UsedToken) => {
        const answer = await api.get<T>(path, used.accessToken);
        const { source, expiresOn } = used;
        emitApiCalled(app, user, path, source, expiresOn);
        return { answer, token: used };
      };
      const cached = await token({});
      if ('signInAgain' in cached) return signInAgain(app, user, cached.signInAgain, lease);
      try {
        return await call(cached);
      } catch (error) {
        if (!(error instanceof GraphError && error.status === 401)) throw error;
        const { claimsChallenge: claims } = error;
        if (!claims) {
          // The API refused an access token msal still holds as valid (the identity platform's
          // signing key changed, say): get a new one with the refresh token, once.
          const renewed = await token({ forceRefresh: true });
          if ('signInAgain' in renewed) return signInAgain(app, user, renewed.signInAgain, lease);
          return await call(renewed);
        }
        // A claims challenge: the token is refused for good (a critical event). The first level
        // forgets it, msal skips its cache for a request with claims, and redeems the refresh
        // token with them (and its client capabilities), once.
        const renewed = await token({ claims });
        if ('signInAgain' in renewed) {
          emit({ type: 'claims-challenge', app, user: who(user), outcome: 'sign-in-again' });
          // Nothing in the partition can meet the challenge, and its access token is refused:
          // dropped, whatever msal said (the sign-in with the claims brings new ones).
          await signInAgain(app, user, renewed.signInAgain, lease);
          if (renewed.signInAgain !== 'refused') await lease.clear();
          return { signInAgain: { claims } };
        }
        emit({ type: 'claims-challenge', app, user: who(user), outcome: 'renewed' });
        return await call(renewed);
      }
    } finally {
      lease.release();
    }
  };
}

/**
 * An access token for the signed-in user from their token cache, for an app that calls the API
 * later with a copy it keeps itself (Microsoft's Node sample keeps it in the session); `undefined`
 * when the cache has nothing usable (the caller sends them to sign in again).
 */
export type AcquireToken = (
  tokenCache: TokenCache,
  request: TokenCacheRequest & { user: SessionUser },
  /** `forceRefresh`: the API refused the copy kept; get a new one with the refresh token. */
  token: { scopes: string[]; forceRefresh?: boolean },
) => Promise<UsedToken | undefined>;

export function acquireToken(
  identityPlatformOrigin: string,
  { app }: { app: string },
): AcquireToken {
  return async (tokenCache, request, { scopes, forceRefresh = false }) => {
    const { user } = request;
    const lease = await tokenCache.lease(request);
    if (!lease) return signInAgain(app, user, 'no-account');
    try {
      const token = await acquireTokenSilently(
        lease,
        { user, scopes, forceRefresh },
        identityPlatformOrigin,
      );
      if ('signInAgain' in token) return signInAgain(app, user, token.signInAgain, lease);
      const { source, expiresOn } = token;
      emit({
        type: 'token-acquired',
        app,
        user: who(user),
        source,
        ...(expiresOn ? { expiresOn } : {}),
      });
      return token;
    } finally {
      lease.release();
    }
  };
}

/**
 * Calls the API with an access token the app kept itself, outside the token cache (see
 * {@link AcquireToken}). A refused token is the API's `GraphError` (401), for the caller to handle.
 */
export type CallApiWithKeptToken = <T>(
  user: SessionUser,
  accessToken: string,
  path: string,
) => Promise<T>;

export function callApiWithKeptToken(
  api: GraphClient,
  { app }: { app: string },
): CallApiWithKeptToken {
  return async <T>(user: SessionUser, accessToken: string, path: string) => {
    const answer = await api.get<T>(path, accessToken);
    emitApiCalled(app, user, path, 'access token kept in the session');
    return answer;
  };
}

const who = ({ homeAccountId, username, sid }: SessionUser): EventUser => ({
  homeAccountId,
  username,
  sid,
});

function emitApiCalled(
  app: string,
  user: SessionUser,
  path: string,
  source: TokenSource,
  expiresOn?: number,
): void {
  emit({
    type: 'api-called',
    app,
    user: who(user),
    path,
    source,
    ...(expiresOn ? { expiresOn } : {}),
  });
}

/** No token: the user must sign in again. Tokens the identity platform refused are dropped on the way: they could only fail again. */
async function signInAgain(
  app: string,
  user: SessionUser,
  reason: SignInAgainReason,
  lease?: ClientLease,
): Promise<undefined> {
  if (reason === 'refused') await lease?.clear();
  emit({ type: 'sign-in-again', app, user: who(user), reason });
  return undefined;
}

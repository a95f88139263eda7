import { decodeJwt } from 'jose';
import type Koa from 'koa';
import { type GraphClient, GraphError } from '../core/graph-client.ts';
import { acquireTokenSilently, type SilentToken } from '../core/msal/silent-token.ts';
import type { SessionUser } from '../core/session/sessions.ts';
import type { ClientLease, TokenCacheSource } from '../core/token-cache/cache-plugin.ts';
import { labelOf, type Timeline } from '../timeline/timeline.ts';

/**
 * Calls Graph for the signed-in user, with a token from their token cache.
 * `undefined` means the cache has nothing usable for the user: the caller sends them to sign in.
 * The page can show which token the call used (`ctx.state.tokenUsed`): its claims, decoded, never itself.
 */
export type GraphForUser = <T>(
  ctx: Koa.Context,
  cache: TokenCacheSource,
  user: SessionUser,
  request: { scopes: string[]; path: string },
) => Promise<T | undefined>;

/** What an API page shows of the access token it used. */
export interface TokenUsed {
  source: 'cached access token' | 'refresh token redeemed';
  /** The access token's claims that say who, for which app, what, until when. */
  claims: Record<string, unknown>;
}

export function graphForUser(
  graph: GraphClient,
  identityPlatformOrigin: string,
  timeline: Timeline,
): GraphForUser {
  return async <T>(
    ctx: Koa.Context,
    cache: TokenCacheSource,
    user: SessionUser,
    { scopes, path }: { scopes: string[]; path: string },
  ) => {
    const said = { user: user.username, session: labelOf(user.sid) };
    const lease = await cache.lease();
    if (!lease) return signInAgain(timeline, said, 'no-account');
    try {
      const token = (forceRefresh: boolean) =>
        acquireTokenSilently(lease, { user, scopes, forceRefresh }, identityPlatformOrigin);
      const call = async (silent: Extract<SilentToken, { accessToken: string }>) => {
        const answer = await graph.get<T>(path, silent.accessToken);
        timeline.record({
          kind: 'api-call',
          text: `Called the API (${path}) for ${user.username} with ${describe(silent)}`,
          ...said,
          token: silent.source,
        });
        ctx.state.tokenUsed = tokenUsed(silent);
        return answer;
      };
      const cached = await token(false);
      if ('signInAgain' in cached) return signInAgain(timeline, said, cached.signInAgain, lease);
      try {
        return await call(cached);
      } catch (error) {
        if (!(error instanceof GraphError && error.status === 401)) throw error;
        // The API refused an access token msal still holds as valid (the identity platform's
        // signing key changed, say): get a new one with the refresh token, once.
        const renewed = await token(true);
        if ('signInAgain' in renewed)
          return signInAgain(timeline, said, renewed.signInAgain, lease);
        return await call(renewed);
      }
    } finally {
      lease.release();
    }
  };
}

function describe({ source, expiresOn }: Extract<SilentToken, { accessToken: string }>): string {
  const minutes = expiresOn ? Math.round((expiresOn - Date.now()) / 60_000) : undefined;
  const expiry = minutes === undefined ? '' : ` (expires in ${minutes} min)`;
  return source === 'cached access token'
    ? `the cached access token${expiry}`
    : `a new access token${expiry}: the cached refresh token was redeemed`;
}

const SHOWN_CLAIMS = [
  'aud',
  'iss',
  'appid',
  'oid',
  'tid',
  'preferred_username',
  'scp',
  'iat',
  'exp',
];

function tokenUsed({
  accessToken,
  source,
}: {
  accessToken: string;
  source: TokenUsed['source'];
}): TokenUsed {
  const claims: Record<string, unknown> = {};
  try {
    const payload = decodeJwt(accessToken);
    for (const name of SHOWN_CLAIMS) if (payload[name] !== undefined) claims[name] = payload[name];
  } catch {
    // Not a JWT (Entra's access tokens for Graph may be opaque to the app): nothing to show.
  }
  return { source, claims };
}

const WHY: Record<'no-account' | 'interaction' | 'refused', string> = {
  'no-account': 'the token cache holds nothing for them',
  interaction: 'the identity platform wants the user (consent, MFA…); the cached tokens stay',
  refused:
    'the identity platform refused the refresh token (revoked, expired, or from an identity platform since restarted); the cached tokens are dropped',
};

/** Tokens the identity platform refused are dropped on the way: they could only fail again. */
async function signInAgain(
  timeline: Timeline,
  said: { user: string; session: string | undefined },
  why: 'no-account' | 'interaction' | 'refused',
  lease?: ClientLease,
): Promise<undefined> {
  if (why === 'refused') await lease?.clear();
  timeline.record({
    kind: 'sign-in-again',
    text: `No API call for ${said.user}: ${WHY[why]}. Sent to sign in again.`,
    ...said,
  });
  return undefined;
}

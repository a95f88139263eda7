import { decodeJwt } from 'jose';
import type Koa from 'koa';
import type { AcquireToken, CallApi, CallApiWithKeptToken, UsedToken } from '../core/call-api.ts';
import { sessionExpiresAt } from '../core/session/session-middleware.ts';
import type { TokenCache } from '../core/token-cache/token-cache.ts';

/**
 * Calls Graph for this request's signed-in user, with a token from `tokenCache` (see `callApi`).
 * `undefined` means the cache has nothing usable for the user: the caller sends them to sign in
 * (after a claims challenge, the session keeps its claims for that sign-in: `claimsChallenge`).
 * The page can show which token the call used (`ctx.state.tokenUsed`): its claims, decoded, never
 * itself.
 */
export type GraphForUser = <T>(
  ctx: Koa.Context,
  tokenCache: TokenCache,
  call: { scopes: string[]; path: string },
) => Promise<T | undefined>;

/** What an API page shows of the access token it used. */
export interface TokenUsed {
  source: UsedToken['source'];
  /** The access token's claims that say who, for which app, what, until when. */
  claims: Record<string, unknown>;
}

export function graphForUser(callApi: CallApi): GraphForUser {
  return async <T>(
    ctx: Koa.Context,
    tokenCache: TokenCache,
    call: { scopes: string[]; path: string },
  ) => {
    const user = ctx.session?.user;
    if (!user) return undefined;
    const result = await callApi<T>(
      tokenCache,
      { user, session: ctx.session, notAfter: sessionExpiresAt(ctx) },
      call,
    );
    if (!result) return undefined;
    if ('signInAgain' in result) {
      // A claims challenge that needs the user: the sign-in this leads to carries its claims,
      // kept in the session (never in the URL), if the sample's sign-in route reads them.
      if (ctx.session) ctx.session.claimsChallenge = result.signInAgain.claims;
      return undefined;
    }
    ctx.state.tokenUsed = tokenUsed(result.token);
    return result.answer;
  };
}

/** An access token for this request's signed-in user, from `tokenCache`: to keep, not to show. */
export type TokenForUser = (
  ctx: Koa.Context,
  tokenCache: TokenCache,
  token: Parameters<AcquireToken>[2],
) => Promise<string | undefined>;

export function tokenForUser(acquire: AcquireToken): TokenForUser {
  return async (ctx, tokenCache, token) => {
    const user = ctx.session?.user;
    if (!user) return undefined;
    const request = { user, session: ctx.session, notAfter: sessionExpiresAt(ctx) };
    return (await acquire(tokenCache, request, token))?.accessToken;
  };
}

/**
 * Calls Graph for this request's signed-in user with the access token their session keeps
 * (`ctx.session.accessToken`); `undefined` when it keeps none. A token the API refuses is its
 * `GraphError` (401).
 */
export type GraphWithKeptToken = <T>(ctx: Koa.Context, path: string) => Promise<T | undefined>;

export function graphWithKeptToken(call: CallApiWithKeptToken): GraphWithKeptToken {
  return async <T>(ctx: Koa.Context, path: string) => {
    const user = ctx.session?.user;
    const accessToken = ctx.session?.accessToken;
    if (!user || !accessToken) return undefined;
    const answer = await call<T>(user, accessToken, path);
    ctx.state.tokenUsed = tokenUsed({ accessToken, source: 'access token kept in the session' });
    return answer;
  };
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

function tokenUsed({ accessToken, source }: UsedToken): TokenUsed {
  const claims: Record<string, unknown> = {};
  try {
    const payload = decodeJwt(accessToken);
    for (const name of SHOWN_CLAIMS) if (payload[name] !== undefined) claims[name] = payload[name];
  } catch {
    // Not a JWT (Entra's access tokens for Graph may be opaque to the app): nothing to show.
  }
  return { source, claims };
}

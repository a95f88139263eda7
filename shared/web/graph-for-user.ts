import { decodeJwt } from 'jose';
import type Koa from 'koa';
import type { CallApi, UsedToken } from '../core/call-api.ts';
import { sessionExpiresAt } from '../core/session/session-middleware.ts';
import type { TokenCache } from '../core/token-cache/token-cache.ts';

/**
 * Calls Graph for this request's signed-in user, with a token from `tokenCache` (see `callApi`).
 * `undefined` means the cache has nothing usable for the user: the caller sends them to sign in.
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
    ctx.state.tokenUsed = tokenUsed(result.token);
    return result.answer;
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

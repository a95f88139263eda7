import {
  type AccountInfo,
  AuthError,
  type ConfidentialClientApplication,
  InteractionRequiredAuthError,
  ServerError,
} from '@azure/msal-node';
import { ServiceUnavailableError } from '../errors.ts';
import type { SignInAgainReason, TokenSource } from '../events.ts';
import type { SessionUser } from '../session/sessions.ts';
import type { ClientLease } from '../token-cache/token-cache.ts';

/**
 * What a silent token request gives: an access token, or why the user must sign in again —
 * `no-account` (nothing cached for them), `interaction` (the identity platform wants the user:
 * consent, MFA…; the cached tokens stay), or `refused` (the identity platform refused the refresh
 * token: expired, revoked, or issued by an identity platform that has since restarted; the cached
 * tokens are worth nothing).
 */
export type SilentToken =
  | {
      accessToken: string;
      /** Where it came from: the cache (msal's, or the first level's), or the refresh token. */
      source: TokenSource;
      /** Epoch milliseconds, when known. */
      expiresOn?: number;
    }
  | { signInAgain: SignInAgainReason };

/**
 * An access token for the signed-in user, from the cache, or refreshed with the cached refresh
 * token (always refreshed with `forceRefresh`). Never interactive: when it cannot, the caller
 * sends the user to sign in again, as Microsoft.Identity.Web's `AuthorizeForScopes` does. An
 * identity platform that cannot be reached is a {@link ServiceUnavailableError}.
 */
export async function acquireTokenSilently(
  { client, tokens }: Pick<ClientLease, 'client' | 'tokens'>,
  request: {
    user: SessionUser;
    scopes: string[];
    forceRefresh?: boolean;
    /**
     * The claims of a claims challenge (JSON, see `claims-challenge.ts`): msal then skips its
     * cache, and asks the identity platform for a token that satisfies them, with the refresh token.
     */
    claims?: string | undefined;
  },
  identityPlatformOrigin: string,
): Promise<SilentToken> {
  const { scopes, forceRefresh = false, claims } = request;
  // What msal gave last for these scopes, from this very partition, if msal would still give it.
  const key = scopeKey(scopes);
  // Forced, or challenged: the API refused the token; it is never given again.
  if (forceRefresh || claims) tokens?.delete(key);
  const remembered = tokens?.get(key);
  if (!claims && remembered && remembered.usableUntil > Date.now()) {
    const { accessToken, expiresOn } = remembered;
    return { accessToken, source: 'cached access token', expiresOn };
  }
  const account = await accountOf(client, request.user);
  if (!account) return { signInAgain: 'no-account' };
  try {
    const result = await client.acquireTokenSilent({
      account,
      scopes,
      forceRefresh,
      ...(claims ? { claims } : {}),
    });
    const expiresOn = result.expiresOn?.getTime();
    if (expiresOn) {
      // msal renews a token five minutes before it expires, or from its `refresh_in` on.
      const renewAt = expiresOn - RENEWAL_MARGIN_MS;
      const usableUntil = Math.min(renewAt, result.refreshOn?.getTime() ?? renewAt);
      tokens?.set(key, { accessToken: result.accessToken, usableUntil, expiresOn });
    }
    return {
      accessToken: result.accessToken,
      source: result.fromCache ? 'cached access token' : 'refresh token redeemed',
      ...(expiresOn ? { expiresOn } : {}),
    };
  } catch (error) {
    if (refusedRefreshToken(error)) return { signInAgain: 'refused' };
    if (error instanceof InteractionRequiredAuthError) return { signInAgain: 'interaction' };
    throw unreachableOr(error, identityPlatformOrigin);
  }
}

/**
 * msal returns a cached access token until five minutes before it expires (its default
 * `tokenRenewalOffsetSeconds`), and refreshes it after: a remembered token is used no longer.
 */
const RENEWAL_MARGIN_MS = 300_000;

/** Scopes as msal compares them: case-insensitive, in any order. */
function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes.map((scope) => scope.toLowerCase()))].sort().join(' ');
}

/**
 * The user's msal account, as the session keeps it since sign-in (no cache access, no parsing
 * of the id token); for a session from before it was kept, looked up in the cache.
 */
async function accountOf(
  client: ConfidentialClientApplication,
  user: SessionUser,
): Promise<AccountInfo | null> {
  if (!user.account) return client.getTokenCache().getAccountByHomeId(user.homeAccountId);
  return {
    homeAccountId: user.homeAccountId,
    environment: user.account.environment,
    tenantId: user.account.tenantId,
    localAccountId: user.account.localAccountId,
    username: user.username,
    name: user.name,
  };
}

/**
 * `invalid_grant` for the refresh token: msal raises it as a `ServerError`, or as an
 * `InteractionRequiredAuthError` when the identity platform adds a sub-error (`bad_token` for a
 * revoked one). Not when it asks for consent: then the refresh token itself is still good.
 */
function refusedRefreshToken(error: unknown): boolean {
  if (!(error instanceof ServerError || error instanceof InteractionRequiredAuthError))
    return false;
  return error.errorCode === 'invalid_grant' && error.subError !== 'consent_required';
}

/**
 * msal's `network_error` (no answer from the token endpoint; its message says what happened, see
 * `network-client.ts`) as a {@link ServiceUnavailableError} naming the identity platform; any
 * other error unchanged.
 */
export function unreachableOr(error: unknown, identityPlatformOrigin: string): unknown {
  if (!(error instanceof AuthError) || error.errorCode !== 'network_error') return error;
  return new ServiceUnavailableError(
    'the identity platform',
    identityPlatformOrigin,
    error.errorMessage || 'could not be reached',
    { cause: error },
  );
}

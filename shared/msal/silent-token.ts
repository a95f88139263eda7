import {
  AuthError,
  type ConfidentialClientApplication,
  InteractionRequiredAuthError,
  ServerError,
} from '@azure/msal-node';
import { ServiceUnavailableError } from '../errors.ts';

/**
 * An access token for the signed-in user, from the cache, or refreshed with the cached refresh
 * token (always refreshed with `forceRefresh`). Never interactive: `undefined` means the cache
 * holds nothing usable — no account, or a refresh token the identity platform refused
 * (`invalid_grant`: expired, revoked, or issued by an identity platform that has since restarted)
 * — and the caller sends the user to sign in again, as Microsoft.Identity.Web's
 * `AuthorizeForScopes` does. An identity platform that cannot be reached is a
 * {@link ServiceUnavailableError}.
 */
export async function acquireTokenSilently(
  client: ConfidentialClientApplication,
  request: { homeAccountId: string; scopes: string[]; forceRefresh?: boolean },
  identityPlatformOrigin: string,
): Promise<string | undefined> {
  const account = await client.getTokenCache().getAccountByHomeId(request.homeAccountId);
  if (!account) return undefined;
  try {
    const { scopes, forceRefresh = false } = request;
    return (await client.acquireTokenSilent({ account, scopes, forceRefresh })).accessToken;
  } catch (error) {
    if (error instanceof InteractionRequiredAuthError) return undefined;
    if (error instanceof ServerError && error.errorCode === 'invalid_grant') return undefined;
    throw unreachableOr(error, identityPlatformOrigin);
  }
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

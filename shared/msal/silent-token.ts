import {
  AuthError,
  type ConfidentialClientApplication,
  InteractionRequiredAuthError,
} from '@azure/msal-node';
import { ServiceUnavailableError } from '../errors.ts';

/**
 * An access token for the signed-in user, from the cache, or refreshed with the cached refresh
 * token. Never interactive: `undefined` means the cache holds nothing usable for the user, and the
 * caller sends them to sign in again (what Microsoft.Identity.Web's `AuthorizeForScopes` does).
 * An identity platform that cannot be reached is a {@link ServiceUnavailableError}.
 */
export async function acquireTokenSilently(
  client: ConfidentialClientApplication,
  homeAccountId: string,
  scopes: string[],
  identityPlatformOrigin: string,
): Promise<string | undefined> {
  const account = await client.getTokenCache().getAccountByHomeId(homeAccountId);
  if (!account) return undefined;
  try {
    return (await client.acquireTokenSilent({ account, scopes })).accessToken;
  } catch (error) {
    if (error instanceof InteractionRequiredAuthError) return undefined;
    throw unreachableOr(error, identityPlatformOrigin);
  }
}

/**
 * msal's `network_error` (no answer from the token endpoint) as a {@link ServiceUnavailableError}
 * naming the identity platform; any other error unchanged.
 */
export function unreachableOr(error: unknown, identityPlatformOrigin: string): unknown {
  if (!(error instanceof AuthError) || error.errorCode !== 'network_error') return error;
  const reason = /timeout/i.test(error.errorMessage)
    ? 'did not answer in time'
    : 'could not be reached (is it running?)';
  return new ServiceUnavailableError('the identity platform', identityPlatformOrigin, reason, {
    cause: error,
  });
}

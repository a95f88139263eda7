import { type ConfidentialClientApplication, InteractionRequiredAuthError } from '@azure/msal-node';

/** The user has to sign in again: the cache holds no usable token (or refresh token) for them. */
export class InteractionRequiredError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InteractionRequiredError';
  }
}

/**
 * An access token for the signed-in user, from the cache, or refreshed with the cached refresh
 * token. Never interactive: when neither works, the caller sends the user to sign in again
 * (what Microsoft.Identity.Web's `AuthorizeForScopes` does).
 */
export async function acquireTokenSilently(
  client: ConfidentialClientApplication,
  homeAccountId: string,
  scopes: string[],
): Promise<string> {
  const account = await client.getTokenCache().getAccountByHomeId(homeAccountId);
  if (!account)
    throw new InteractionRequiredError('The token cache holds no account for this user');
  try {
    const result = await client.acquireTokenSilent({ account, scopes });
    return result.accessToken;
  } catch (error) {
    if (error instanceof InteractionRequiredAuthError) {
      throw new InteractionRequiredError(error.errorCode);
    }
    throw error;
  }
}

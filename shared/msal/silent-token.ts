import { type ConfidentialClientApplication, InteractionRequiredAuthError } from '@azure/msal-node';

/**
 * An access token for the signed-in user, from the cache, or refreshed with the cached refresh
 * token. Never interactive: `undefined` means the cache holds nothing usable for the user, and the
 * caller sends them to sign in again (what Microsoft.Identity.Web's `AuthorizeForScopes` does).
 */
export async function acquireTokenSilently(
  client: ConfidentialClientApplication,
  homeAccountId: string,
  scopes: string[],
): Promise<string | undefined> {
  const account = await client.getTokenCache().getAccountByHomeId(homeAccountId);
  if (!account) return undefined;
  try {
    return (await client.acquireTokenSilent({ account, scopes })).accessToken;
  } catch (error) {
    if (error instanceof InteractionRequiredAuthError) return undefined;
    throw error;
  }
}

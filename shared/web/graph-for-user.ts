import type { ConfidentialClientApplication } from '@azure/msal-node';
import { acquireTokenSilently } from '../msal/silent-token.ts';
import type { SessionUser } from '../session/session.ts';
import type { SampleServices } from './sample-app.ts';

/**
 * Calls Graph for the signed-in user with a token from the cache (refreshed if it expired).
 * `undefined` means the cache has nothing usable for the user: the caller sends them to sign in.
 */
export async function graphForUser<T>(
  services: SampleServices,
  client: ConfidentialClientApplication,
  user: SessionUser,
  request: { scopes: string[]; path: string },
): Promise<T | undefined> {
  const accessToken = await acquireTokenSilently(client, user.homeAccountId, request.scopes);
  return accessToken ? services.callGraph<T>(request.path, accessToken) : undefined;
}

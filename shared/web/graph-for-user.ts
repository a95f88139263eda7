import type { ConfidentialClientApplication } from '@azure/msal-node';
import type { GraphClient } from '../graph/graph-client.ts';
import { acquireTokenSilently } from '../msal/silent-token.ts';
import type { SessionUser } from '../session/sessions.ts';

/** Calls Graph for the signed-in user, with a token from the cache that `client` holds. */
export type GraphForUser = <T>(
  client: ConfidentialClientApplication,
  user: SessionUser,
  request: { scopes: string[]; path: string },
) => Promise<T | undefined>;

/**
 * Calls Graph for the signed-in user with a token from the cache (refreshed if it expired).
 * `undefined` means the cache has nothing usable for the user: the caller sends them to sign in.
 */
export function graphForUser(graph: GraphClient, identityPlatformOrigin: string): GraphForUser {
  return async (client, user, request) => {
    const accessToken = await acquireTokenSilently(
      client,
      user.homeAccountId,
      request.scopes,
      identityPlatformOrigin,
    );
    return accessToken ? graph.get(request.path, accessToken) : undefined;
  };
}

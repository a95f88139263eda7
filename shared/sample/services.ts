import type { ConfidentialClientApplication } from '@azure/msal-node';
import type { Settings } from '../config/settings.ts';
import { GraphClient } from '../graph/graph-client.ts';
import { type EndSessionRequest, endSessionUrl } from '../msal/end-session.ts';
import type { IdentityProvider } from '../msal/identity-provider.ts';
import { createMsalClient } from '../msal/msal-client.ts';
import { OpenIdSignIn } from '../msal/sign-in.ts';
import { Sessions } from '../session/sessions.ts';
import type { KeyValueStore } from '../store/key-value-store.ts';
import type { TokenCachePartition } from '../token-cache/cache-plugin.ts';
import { PerUserTokenCache } from '../token-cache/per-user-token-cache.ts';
import { SessionTokenCache } from '../token-cache/session-token-cache.ts';
import { type GraphForUser, graphForUser } from '../web/graph-for-user.ts';

/**
 * What every sample is given: the mechanics they share. What a sample decides (its routes, where
 * its cache lives, what its sign-out does) is in its own folder.
 */
export interface SampleServices {
  settings: Settings['sample'];
  /** This sample's server-side sessions, and their index by the identity platform's `sid`. */
  sessions: Sessions;
  signIn: OpenIdSignIn;
  /** A msal client for this request, over one partition of the token cache. */
  msalClient(partition: TokenCachePartition): ConfidentialClientApplication;
  /** Calls the API (Graph) for the signed-in user, with a token from the cache. */
  graphForUser: GraphForUser;
  identityPlatform: {
    /** e.g. `https://login.microsoftonline.com`: the only origin allowed to frame this app. */
    origin: string;
    /** The end-session URL, returning to this sample's registered post-logout redirect URI. */
    endSessionUrl(options?: Omit<EndSessionRequest, 'postLogoutRedirectUri'>): string;
  };
  /** Token caches kept in this sample's store: one partition per user, or per session. */
  tokenCaches: {
    perUser(options: { ttlSeconds: number }): PerUserTokenCache;
    perSession(): SessionTokenCache;
  };
}

export function createSampleServices(
  { identity, sample }: Settings,
  provider: IdentityProvider,
  store: KeyValueStore,
): SampleServices {
  const sessions = new Sessions(store, `${sample.name}:`);
  const postLogoutRedirectUri = sample.baseUrl + sample.registration.postLogoutRedirectPath;
  return {
    settings: sample,
    sessions,
    signIn: new OpenIdSignIn(sample, provider, store),
    msalClient: (partition) => createMsalClient(provider, sample, partition),
    graphForUser: graphForUser(new GraphClient(identity.graphUrl), provider.origin),
    identityPlatform: {
      origin: provider.origin,
      endSessionUrl: (options = {}) =>
        endSessionUrl(provider, { postLogoutRedirectUri, ...options }),
    },
    tokenCaches: {
      perUser: ({ ttlSeconds }) =>
        new PerUserTokenCache(store, { keyPrefix: `${sample.name}:msal:`, ttlSeconds }),
      perSession: () => new SessionTokenCache(sessions),
    },
  };
}

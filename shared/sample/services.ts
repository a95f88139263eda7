import type { Settings } from '../config/settings.ts';
import { acquireToken, callApi, callApiWithKeptToken } from '../core/call-api.ts';
import { GraphClient } from '../core/graph-client.ts';
import { type EndSessionRequest, endSessionUrl } from '../core/msal/end-session.ts';
import type { IdentityProvider } from '../core/msal/identity-provider.ts';
import { createMsalClient } from '../core/msal/msal-client.ts';
import { OpenIdSignIn } from '../core/msal/sign-in.ts';
import { Sessions } from '../core/session/sessions.ts';
import { type KeyValueStore, MemoryStore } from '../core/store/key-value-store.ts';
import type { TokenCachePartition } from '../core/token-cache/cache-plugin.ts';
import { PerUserTokenCache } from '../core/token-cache/per-user-token-cache.ts';
import { SessionTokenCache } from '../core/token-cache/session-token-cache.ts';
import { Timeline } from '../timeline/timeline.ts';
import {
  type GraphForUser,
  type GraphWithKeptToken,
  graphForUser,
  graphWithKeptToken,
  type TokenForUser,
  tokenForUser,
} from '../web/graph-for-user.ts';

/**
 * What every sample is given: the mechanics they share. What a sample decides (its routes, where
 * its cache lives, what its sign-out does) is in its own folder.
 */
export interface SampleServices {
  settings: Settings['sample'];
  /** How this instance names itself in the core's events: `aspnetcore`, `aspnetcore-2`… */
  app: string;
  /** What this sample did, in order: the core's events of this instance, as sentences. */
  timeline: Timeline;
  /** This sample's server-side sessions, and their index by the identity platform's `sid`. */
  sessions: Sessions;
  signIn: OpenIdSignIn;
  /** Calls the API (Graph) for the signed-in user, with a token from the cache. */
  graphForUser: GraphForUser;
  /** An access token for the signed-in user from the cache, for a sample that keeps a copy (node). */
  tokenForUser: TokenForUser;
  /** Calls the API with the access token the session keeps (node). */
  graphWithKeptToken: GraphWithKeptToken;
  identityPlatform: {
    /** e.g. `https://login.microsoftonline.com`: the only origin allowed to frame this app. */
    origin: string;
    /** Its issuer (`iss`), which every id token this app accepted carries. */
    issuer: string;
    /** The end-session URL, returning to this sample's registered post-logout redirect URI. */
    endSessionUrl(options?: Omit<EndSessionRequest, 'postLogoutRedirectUri'>): string;
  };
  /** Token caches: one partition per user, or one per session (kept in the session). */
  tokenCaches: {
    /**
     * `store: 'shared'` keeps the partitions in the sample's store, beside its sessions (the
     * distributed cache of Microsoft.Identity.Web); `'process'` in this process's memory only
     * (the `MemoryCache.Default` of ASP.NET).
     */
    perUser(options: {
      ttlSeconds: number;
      store: 'shared' | 'process';
      /** A partition lives no later than the session of the request that writes it. */
      boundToSessions?: boolean;
    }): PerUserTokenCache;
    perSession(): SessionTokenCache;
  };
}

/** The services of one sample, and how to release what they hold (stores and their timers). */
export function createSampleServices(
  { identity, sample }: Settings,
  provider: IdentityProvider,
  store: KeyValueStore,
): { services: SampleServices; close(): Promise<void> } {
  const { instance } = sample;
  const app = instance.of > 1 ? `${sample.name}-${instance.number}` : sample.name;
  // Read only by the cache inspector and the landing page: listening only when they are on.
  const timeline = new Timeline(app, sample.cacheInspector);
  const sessions = new Sessions(store, `${sample.name}:`, app);
  const postLogoutRedirectUri = sample.baseUrl + sample.registration.postLogoutRedirectPath;
  const msalClient = (partition: TokenCachePartition) =>
    createMsalClient(provider, sample, partition, {
      clientCapabilities: sample.registration.clientCapabilities ?? [],
    });
  const stores: KeyValueStore[] = [store];
  const graph = new GraphClient(identity.graphUrl, identity.outboundTimeoutMs);
  const services: SampleServices = {
    settings: sample,
    app,
    timeline,
    sessions,
    signIn: new OpenIdSignIn(
      { ...sample, redirectPath: sample.registration.redirectPath },
      provider,
      sessions,
      msalClient,
      { app },
    ),
    graphForUser: graphForUser(callApi(graph, provider.origin, { app })),
    tokenForUser: tokenForUser(acquireToken(provider.origin, { app })),
    graphWithKeptToken: graphWithKeptToken(callApiWithKeptToken(graph, { app })),
    identityPlatform: {
      origin: provider.origin,
      issuer: provider.configuration.issuer,
      endSessionUrl: (options = {}) =>
        endSessionUrl(provider, { postLogoutRedirectUri, ...options }),
    },
    tokenCaches: {
      perUser: ({ ttlSeconds, store: where, boundToSessions = false }) => {
        const partitions = where === 'shared' ? store : new MemoryStore();
        if (where === 'process') stores.push(partitions);
        return new PerUserTokenCache(partitions, {
          keyPrefix: `${sample.name}:msal:`,
          ttlSeconds,
          boundToSessions,
          msalClient,
          warmUsers: sample.warmUsers,
          app,
        });
      },
      perSession: () => new SessionTokenCache(sessions, msalClient),
    },
  };
  return {
    services,
    close: async () => {
      timeline.close();
      for (const each of stores) await each.close();
    },
  };
}

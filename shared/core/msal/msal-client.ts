import {
  ConfidentialClientApplication,
  type Configuration,
  type ICachePlugin,
  LogLevel,
} from '@azure/msal-node';
import type { AppSettings } from '../settings.ts';
import { cachePluginFor, type TokenCachePartition } from '../token-cache/cache-plugin.ts';
import type { IdentityProvider } from './identity-provider.ts';

/**
 * Builds a ConfidentialClientApplication for one request, over one token cache partition.
 *
 * A client per request is the pattern msal recommends for web apps: each client has its own
 * in-memory cache, so a long-lived client would accumulate every user's tokens. Here the client
 * sees only the partition it is given, loaded before and saved after each cache access.
 *
 * Discovery never happens per request: msal gets the discovery document fetched at start-up
 * (`authorityMetadata`) and treats the authority's host as known (`knownAuthorities`), so it makes
 * no instance-discovery call either. Against the emulator, the authority is an https identifier
 * (msal refuses http ones) while the endpoints it calls are the emulator's plain-http URLs.
 * Every call msal makes has a timeout (`network-client.ts`).
 */
export function createMsalClient(
  provider: IdentityProvider,
  app: Pick<AppSettings, 'name' | 'clientId' | 'clientSecret'>,
  partition: TokenCachePartition,
  options: MsalClientOptions = {},
): ConfidentialClientApplication {
  return new ConfidentialClientApplication(
    msalConfiguration(provider, app, cachePluginFor(partition), options),
  );
}

/** What an app may declare of its msal client beyond its registration. */
export interface MsalClientOptions {
  /**
   * Client capabilities (msal's `auth.clientCapabilities`), none by default: `['cp1']` declares
   * that the app handles claims challenges (Continuous Access Evaluation), as
   * Microsoft.Identity.Web's `ClientCapabilities` setting does. msal then adds
   * `{"access_token":{"xms_cc":{"values":["cp1"]}}}` to the `claims` of every request it sends
   * (authorize URL, code redemption, refresh), merged with a request's own `claims`; the identity
   * platform may then issue long-lived access tokens that a resource refuses with a claims
   * challenge after a critical event (see `call-api.ts`).
   */
  clientCapabilities?: readonly string[];
}

/** The sample's msal configuration, over any cache plugin (the benchmark compares msal's own). */
export function msalConfiguration(
  provider: IdentityProvider,
  app: Pick<AppSettings, 'name' | 'clientId' | 'clientSecret'>,
  cachePlugin: ICachePlugin,
  { clientCapabilities = [] }: MsalClientOptions = {},
): Configuration {
  return {
    auth: {
      ...(clientCapabilities.length > 0 ? { clientCapabilities: [...clientCapabilities] } : {}),
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      authority: provider.settings.authority,
      knownAuthorities: [new URL(provider.settings.authority).host],
      authorityMetadata: provider.configurationJson,
    },
    cache: { cachePlugin },
    system: {
      networkClient: provider.networkClient,
      loggerOptions: {
        logLevel: LogLevel.Warning,
        piiLoggingEnabled: false,
        loggerCallback: (level, message) => {
          if (level <= LogLevel.Warning) console.warn(`[msal:${app.name}] ${message}`);
        },
      },
    },
  };
}

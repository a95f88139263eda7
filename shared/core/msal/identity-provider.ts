import { StartupError } from '../errors.ts';
import { fetchWithin, NoAnswer } from '../outbound.ts';
import type { IdentityPlatformSettings } from '../settings.ts';
import { TimeoutNetworkClient } from './network-client.ts';

/** The fields of the OpenID Connect discovery document the samples use. */
export interface OpenIdConfiguration {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint: string;
  jwks_uri: string;
  frontchannel_logout_supported?: boolean;
}

export interface IdentityProvider {
  settings: IdentityPlatformSettings;
  configuration: OpenIdConfiguration;
  /**
   * Where its pages and endpoints are, e.g. `https://login.microsoftonline.com`: the only origin
   * that may frame the front-channel logout URL, and the one named when it cannot be reached.
   */
  origin: string;
  /** msal's HTTP client for it, with the configured timeout. */
  networkClient: TimeoutNetworkClient;
  /** The discovery document as fetched, handed to msal so it never fetches it again. */
  configurationJson: string;
}

/**
 * Fetches the discovery document once, at start-up. msal gets it as `authorityMetadata`, and the
 * samples take the end-session endpoint from it (msal-node has no sign-out API of its own).
 */
export async function discoverIdentityProvider(
  settings: IdentityPlatformSettings,
): Promise<IdentityProvider> {
  const where = `the identity provider's discovery document at ${settings.discoveryUrl}`;
  let answer: Awaited<ReturnType<typeof fetchWithin>>;
  try {
    answer = await fetchWithin(
      settings.discoveryUrl,
      {},
      { timeoutMs: settings.outboundTimeoutMs },
    );
  } catch (error) {
    if (!(error instanceof NoAnswer)) throw error;
    throw new StartupError(`Cannot reach ${where}: it ${error.reason}`);
  }
  const { status, text: configurationJson } = answer;
  if (status !== 200) {
    throw new StartupError(
      `${where} answered ${status}` +
        (settings.discoveryHint ? ` (${settings.discoveryHint})` : ''),
    );
  }
  let configuration: OpenIdConfiguration;
  try {
    configuration = JSON.parse(configurationJson) as OpenIdConfiguration;
  } catch {
    throw new StartupError(`${where} is not JSON`);
  }
  for (const field of [
    'issuer',
    'authorization_endpoint',
    'token_endpoint',
    'end_session_endpoint',
  ] as const) {
    if (typeof configuration[field] !== 'string' || !URL.canParse(configuration[field])) {
      throw new StartupError(`${where} has no ${field} URL`);
    }
  }
  const origin = new URL(configuration.authorization_endpoint).origin;
  const networkClient = new TimeoutNetworkClient(settings.outboundTimeoutMs);
  return { settings, configuration, origin, networkClient, configurationJson };
}

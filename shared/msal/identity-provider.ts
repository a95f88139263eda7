import type { IdentitySettings } from '../config/settings.ts';

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
  settings: IdentitySettings;
  configuration: OpenIdConfiguration;
  /** The discovery document as fetched, handed to msal so it never fetches it again. */
  configurationJson: string;
}

/**
 * Fetches the discovery document once, at start-up. msal gets it as `authorityMetadata`, and the
 * samples take the end-session endpoint from it (msal-node has no sign-out API of its own).
 */
export async function discoverIdentityProvider(
  settings: IdentitySettings,
): Promise<IdentityProvider> {
  let response: Response;
  try {
    response = await fetch(settings.discoveryUrl, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new Error(
      `Cannot reach the identity provider's discovery document at ${settings.discoveryUrl}: ${(error as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new Error(
      `The identity provider's discovery document at ${settings.discoveryUrl} answered ${response.status}` +
        (settings.mode === 'entra' ? ' (is ENTRA_TENANT_ID right?)' : ''),
    );
  }
  const configurationJson = await response.text();
  const configuration = JSON.parse(configurationJson) as OpenIdConfiguration;
  for (const field of [
    'issuer',
    'authorization_endpoint',
    'token_endpoint',
    'end_session_endpoint',
  ] as const) {
    if (typeof configuration[field] !== 'string') {
      throw new Error(`The discovery document at ${settings.discoveryUrl} has no ${field}`);
    }
  }
  return { settings, configuration, configurationJson };
}

/**
 * What the core needs to know, as plain values: where the identity platform is, and the app's
 * registration. How they are read (environment variables, a file, a secret store) is the app's
 * business; the samples read theirs in `shared/config/`.
 */

/** The identity platform the app signs in with. */
export interface IdentityPlatformSettings {
  /** The authority msal is given, e.g. `https://login.microsoftonline.com/<tenant>/v2.0`. */
  authority: string;
  /** Where the OpenID Connect discovery document is fetched from, once, at start-up. */
  discoveryUrl: string;
  /** How long a call to the identity platform (or an API) may take, answer included. */
  outboundTimeoutMs: number;
  /** Added to the message when the discovery document cannot be had ("is the tenant id right?"). */
  discoveryHint?: string | undefined;
}

/** The app, as registered with the identity platform, and where it runs. */
export interface AppSettings {
  /** Names the app's cookies and its msal log lines, e.g. `aspnetcore`. */
  name: string;
  clientId: string;
  clientSecret: string;
  /** The app's public origin, e.g. `http://localhost:3001`: its redirect URI is built from it. */
  baseUrl: string;
  /** The registered redirect URI's path, e.g. `/signin-oidc`. */
  redirectPath: string;
  /** The first signs cookies and seals sign-in transactions; all verify and open them. */
  sessionKeys: string[];
}

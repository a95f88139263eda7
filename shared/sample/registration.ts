/**
 * What a sample declares about itself in its `registration.ts`: its app registration, as it would
 * be entered in the Entra admin center. The emulator registers it at start-up (see
 * `shared/run/emulator-apps.ts`), and the sample takes its paths from it, so a route and its
 * registration cannot drift apart.
 */
export interface SampleRegistration {
  /** The sample's folder name: `aspnetcore`, `aspnet`, `java`, `node`, `python`. */
  name: string;
  /** What the emulator's pages call the app (Entra's "display name"). */
  displayName: string;
  /**
   * The app's client id in the emulator; its secret there is made on this machine, never written
   * here (see `shared/config/emulator-key.ts`). Against a real tenant both come from
   * ENTRA_CLIENT_ID / ENTRA_CLIENT_SECRET (or `<NAME>_CLIENT_ID` / `<NAME>_CLIENT_SECRET`).
   */
  emulatorClientId: string;
  defaultPort: number;
  /** Redirect URI path: where the identity platform sends the authorization code. */
  redirectPath: string;
  /** Where the sample asks the identity platform to send the browser after sign-out. */
  postLogoutRedirectPath: string;
  /**
   * Whether that URL is also among the registered redirect URIs. The identity platform follows a
   * `post_logout_redirect_uri` only if it is; otherwise the browser stays on its "signed out" page.
   */
  postLogoutRedirectRegistered: boolean;
  /**
   * Front-channel logout URL path, or `undefined`: none registered, so the identity platform never
   * tells this app that the user signed out somewhere else.
   */
  frontChannelLogoutPath: string | undefined;
  /**
   * The delegated API permissions the sample asks for (Microsoft Graph scopes): its registration's
   * "API permissions", all the emulator ever grants it.
   */
  scopes: string[];
  /**
   * The optional id token claims it asks for (Entra's "Token configuration"): `sid`, which
   * front-channel sign-out names (without it, the `session_state` of the sign-in response carries
   * the same value), and `login_hint`, which sign-out sends back as `logout_hint`.
   */
  optionalClaims: Array<'sid' | 'login_hint'>;
  /**
   * Not part of the registration: the client capabilities the app declares in its own
   * configuration (Microsoft.Identity.Web's `ClientCapabilities`, msal's `clientCapabilities`).
   * `['cp1']`: it handles claims challenges (Continuous Access Evaluation). None by default.
   */
  clientCapabilities?: string[];
}

import type { IdentityProvider } from './identity-provider.ts';

export interface EndSessionRequest {
  /** Where the identity platform sends the browser afterwards; must be a registered redirect URI. */
  postLogoutRedirectUri: string;
  state?: string;
  /** The id token's `login_hint` claim: tells the identity platform which account to sign out. */
  logoutHint?: string;
}

/**
 * The identity platform's end-session (logout) URL. msal-node's confidential client has no
 * sign-out API, so the URL is built from the discovery document's `end_session_endpoint`.
 */
export function endSessionUrl(provider: IdentityProvider, request: EndSessionRequest): string {
  const url = new URL(provider.configuration.end_session_endpoint);
  url.searchParams.set('post_logout_redirect_uri', request.postLogoutRedirectUri);
  if (request.state) url.searchParams.set('state', request.state);
  if (request.logoutHint) url.searchParams.set('logout_hint', request.logoutHint);
  return url.href;
}

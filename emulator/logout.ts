/** GET or POST /{tenant}/oauth2/v2.0/logout: single sign-out through the browser (front channel). */
import type Koa from 'koa';
import { readParameters, renderPage } from './http.ts';
import { isRegisteredRedirectUri } from './redirect-uris.ts';
import { endSsoSession } from './sso.ts';
import type { EmulatorState, SsoSession } from './state.ts';

/**
 * Ends the browser's SSO session, loads the front-channel logout URL of every app signed in
 * through it in hidden iframes, then continues. `logout_hint` and `id_token_hint` are accepted and
 * ignored. Refresh tokens stay valid, as in Entra: an app that keeps its token cache after
 * sign-out can still use them.
 */
export function logout(state: EmulatorState): Koa.Middleware {
  return async (ctx) => {
    const parameters = await readParameters(ctx);
    const session = endSsoSession(ctx, state);
    await renderPage(ctx, 'logout', 'Signing out', {
      frontChannelLogoutUrls: session ? frontChannelLogoutUrls(state, session) : [],
      continueUrl: continueUrl(state, parameters),
    });
  };
}

function frontChannelLogoutUrls(state: EmulatorState, session: SsoSession): string[] {
  return state.apps.flatMap((app) => {
    if (!app.frontChannelLogoutUrl || !session.clientIds.has(app.clientId)) return [];
    const url = new URL(app.frontChannelLogoutUrl);
    url.searchParams.set('sid', session.sid);
    if (state.frontChannelLogoutIncludesIss) url.searchParams.set('iss', state.issuer);
    return [url.href];
  });
}

/** The post-logout redirect URI only if some app registered it (no open redirect), else "signed out". */
function continueUrl(state: EmulatorState, parameters: URLSearchParams): string {
  const requested = parameters.get('post_logout_redirect_uri');
  if (
    !requested ||
    !state.apps.some((app) => isRegisteredRedirectUri(app.redirectUris, requested))
  ) {
    return `${state.identityUrl}/${state.tenantId}/oauth2/v2.0/logoutsession`;
  }
  const url = new URL(requested);
  const clientState = parameters.get('state');
  if (clientState !== null) url.searchParams.set('state', clientState);
  return url.href;
}

/** GET or POST /{tenant}/oauth2/v2.0/logout: single sign-out through the browser (front channel). */
import type Koa from 'koa';
import { sessionLabel } from './events.ts';
import { readParameters, renderPage } from './http.ts';
import { loopbackReturnUrl } from './redirect-uris.ts';
import { endSsoSession } from './sso.ts';
import { allApps, type EmulatorState, type SsoSession } from './state.ts';

/** An app signed in through the ending session, and the URL to tell it at, if it registered one. */
export interface SignedInApp {
  displayName: string;
  /** The front-channel logout URL with `?sid=…`, loaded in an iframe; none registered: not told. */
  frontChannelLogoutUrl?: string;
}

/**
 * Ends the browser's SSO session and lists every app signed in through it: those that registered
 * a front-channel logout URL get it loaded in an iframe (the page shows each frame's answer), the
 * others are not told. The page waits for the user to continue, or, like Entra, continues by
 * itself once the frames have loaded (`logoutAutoContinue`). `logout_hint` and `id_token_hint` are
 * accepted and ignored. Refresh tokens stay valid, as in Entra: an app that keeps its token cache
 * after sign-out can still use them.
 */
export function logout(state: EmulatorState): Koa.Middleware {
  return async (ctx) => {
    const parameters = await readParameters(ctx);
    const session = endSsoSession(ctx, state);
    const apps = session ? signedInApps(state, session) : [];
    if (session) recordSignOut(state, session, apps);
    // Loaded inside a frame: an app's front-channel logout URL redirected its frame here (python's
    // `/logout`). A small page, nothing to continue to; only the emulator's own page may frame it.
    if (ctx.get('Sec-Fetch-Dest') === 'iframe')
      return renderPage(ctx, 'logout-framed', 'Signed out, in a frame', {}, { framedBySelf: true });
    // Its script times the frames, which load each app's front-channel logout URL.
    await renderPage(
      ctx,
      'logout',
      'Sign out',
      {
        wide: true,
        user: session?.user,
        apps,
        continueUrl: continueUrl(state, parameters),
        autoContinue: state.logoutAutoContinue,
      },
      { script: true, frames: apps.flatMap((app) => app.frontChannelLogoutUrl ?? []) },
    );
  };
}

function signedInApps(state: EmulatorState, session: SsoSession): SignedInApp[] {
  return allApps(state).flatMap((app) => {
    if (!session.clientIds.has(app.clientId)) return [];
    if (!app.frontChannelLogoutUrl) return [{ displayName: app.displayName }];
    const url = new URL(app.frontChannelLogoutUrl);
    url.searchParams.set('sid', session.sid);
    if (state.frontChannelLogoutIncludesIss) url.searchParams.set('iss', state.issuer);
    return [{ displayName: app.displayName, frontChannelLogoutUrl: url.href }];
  });
}

function recordSignOut(state: EmulatorState, session: SsoSession, apps: SignedInApp[]): void {
  const user = session.user.userPrincipalName;
  const sessions = [sessionLabel(session.sid)];
  state.events.record({
    kind: 'signed-out',
    text: `${user} signed out: session ${sessions[0]} ended, with ${apps.length} app(s) signed in through it. Refresh tokens are not revoked.`,
    user,
    sessions,
  });
  for (const app of apps) {
    const told = app.frontChannelLogoutUrl !== undefined;
    state.events.record({
      kind: told ? 'front-channel' : 'not-told',
      text: told
        ? `${app.displayName}: its front-channel logout URL ${new URL(app.frontChannelLogoutUrl ?? '').pathname} handed to the browser, to load in an iframe`
        : `${app.displayName}: no front-channel logout URL registered: not told`,
      user,
      app: app.displayName,
      sessions,
    });
  }
}

/**
 * The post-logout redirect URI only if some app registered it exactly (no open redirect), else the
 * "signed out" page, where the browser stays, as in Entra (with a link back to the `return` the
 * emulator's own SSO session page posts, a URL on this machine: not Entra's). Exactly: the request need not name its
 * app (Microsoft's Node sample sends the URI alone), so a loopback URI on another port would be
 * some other app's, not a second instance of its own (see `isRegisteredRedirectUri`).
 */
function continueUrl(state: EmulatorState, parameters: URLSearchParams): string {
  const requested = parameters.get('post_logout_redirect_uri');
  if (!requested || !allApps(state).some((app) => app.redirectUris.includes(requested))) {
    const signedOut = `${state.identityUrl}/${state.tenantId}/oauth2/v2.0/logoutsession`;
    const back = loopbackReturnUrl(parameters.get('return'));
    return back ? `${signedOut}?${new URLSearchParams({ return: back })}` : signedOut;
  }
  const url = new URL(requested);
  const clientState = parameters.get('state');
  if (clientState !== null) url.searchParams.set('state', clientState);
  return url.href;
}

/**
 * Removing the user's tokens from the cache on sign-out: the part of the documentation page's
 * ASP.NET Core tab this sample exists to show.
 *
 * - Local sign-out (`signOut`): Microsoft.Identity.Web hooks the OpenID Connect "redirect to
 *   identity provider for sign-out" event and removes the account from the token cache. We do the
 *   same: delete the user's cache partition, end the session, then go to the end-session endpoint.
 *
 * - Global sign-out (`frontChannelSignOut`): the identity platform loads each app's front-channel
 *   logout URL when the user signs out anywhere (another app, the browser). The 2019 ASP.NET Core
 *   code only signed the cookie out there and left the token cache alone. GOING BEYOND THE
 *   ORIGINAL, this sample also removes the user's tokens, and does it without the session cookie
 *   (browsers no longer send it into the cross-site iframe): it finds the sessions and the user
 *   by the `sid` recorded at sign-in.
 */
import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { PerUserTokenCache } from '../../shared/token-cache/per-user-token-cache.ts';
import type { SampleServices } from '../../shared/web/sample-app.ts';

export async function signOut(
  ctx: Koa.Context,
  services: SampleServices,
  tokenCache: PerUserTokenCache,
): Promise<void> {
  const user = ctx.session?.user;
  if (user) {
    // Remove the account from the token cache: every token of this user goes.
    await tokenCache.remove(user.homeAccountId);
    if (user.sid) await services.sessionsBySid.endSessions(user.sid);
    ctx.session = null;
  }
  ctx.redirect(
    services.endSessionUrl({
      // Microsoft.Identity.Web carries its post-sign-out redirect in `state`; this sample always
      // shows the SignedOut page, so the state is only echoed back.
      state: randomBytes(16).toString('base64url'),
      ...(user?.loginHint ? { logoutHint: user.loginHint } : {}),
    }),
  );
}

export async function frontChannelSignOut(
  ctx: Koa.Context,
  params: Record<string, string | undefined>,
  services: SampleServices,
  tokenCache: PerUserTokenCache,
): Promise<void> {
  // What the identity platform expects of a front-channel logout response: never cached, never a
  // redirect, 200 even when there was nothing to do. Only the identity platform may frame it.
  ctx.set('Cache-Control', 'no-cache, no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.set(
    'Content-Security-Policy',
    `frame-ancestors ${new URL(services.provider.configuration.issuer).origin}`,
  );
  ctx.type = 'text/plain';
  ctx.body = '';

  const { sid, iss } = params;
  if (!sid) return ctx.throw(400, 'A front-channel sign-out request needs a sid');

  const record = await services.sessionsBySid.find(sid);
  // An unknown (or already signed-out) sid: nothing to do, and still a success.
  if (!record) return;
  // Entra sends `sid` alone; the OpenID Connect spec adds `iss`. When present, it must match.
  if (iss !== undefined && iss !== record.issuer) return;
  // If this browser does send our cookie and it belongs to another identity platform session,
  // the request is not about this browser's user: never sign out the wrong user.
  const cookieUser = ctx.session?.user;
  if (cookieUser && cookieUser.sid !== sid) return;

  await tokenCache.remove(record.homeAccountId);
  await services.sessionsBySid.endSessions(sid);
  if (cookieUser) ctx.session = null;
}

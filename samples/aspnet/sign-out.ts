/**
 * aspnet: what sign-out does to the session and the token cache, as the ASP.NET MVC + OWIN
 * sample did. Compare it with aspnetcore's: `diff samples/aspnet/sign-out.ts samples/aspnetcore/sign-out.ts`.
 *
 * - Local sign-out (started here): clear this user's entry in the process-wide token cache, end
 *   the session, then go to the end-session endpoint with only the post-logout redirect URI.
 * - Global sign-out (started in another app or the browser): nothing. No front-channel logout
 *   URL is registered (`registration.ts`), so the identity platform never tells this app: the
 *   session and the cache entry survive, and the app can go on calling the API for the user with
 *   the cached refresh token.
 */
import type Koa from 'koa';
import type { PerUserTokenCache } from '../../shared/core/token-cache/per-user-token-cache.ts';
import type { SampleServices } from '../../shared/sample/services.ts';

/** For the landing page. */
export const onGlobalSignOut =
  'leaves the session and the cache untouched (no front-channel logout URL registered)';

type SignOutServices = Pick<SampleServices, 'identityPlatform'> & {
  tokenCache: PerUserTokenCache;
};

/** Local sign-out: the user clicked "Sign out" in this app. */
export async function signOut(
  ctx: Koa.Context,
  { tokenCache, identityPlatform }: SignOutServices,
): Promise<void> {
  const user = ctx.session?.user;
  if (user) {
    // Clear this user's entry in the process-wide token cache.
    await tokenCache.remove(user.homeAccountId);
  }
  ctx.session = null;
  ctx.redirect(identityPlatform.endSessionUrl());
}

// Global sign-out: no handler, and no front-channel logout URL for the identity platform to load.

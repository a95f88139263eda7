/**
 * identity-web-today: what Microsoft.Identity.Web does today on a sign-out — what the ASP.NET Core
 * tab now points to ("Microsoft.Identity.Web takes care of implementing sign-out for you"). Compare
 * it with the sample people copy: `diff test/comparison/identity-web-today/sign-out.ts samples/aspnetcore/sign-out.ts`.
 *
 * - Local sign-out (started here): `RemoveAccountAsync` (its `OnRedirectToIdentityProviderForSignOut`
 *   event) removes the user's tokens from the cache, the cookie is signed out, and the browser goes
 *   to the identity platform's logout.
 * - Global sign-out (started in another app or the browser): ASP.NET Core's own handler of
 *   `/signout-oidc` (RemoteSignOut) signs the cookie out if the request carries it and its `sid`
 *   is the one named. Today's browsers send no cookie into the identity platform's cross-site
 *   iframe, so nothing happens; a 2019 browser sent it, and the session ended. Either way the token
 *   cache is not touched: Microsoft.Identity.Web does nothing more there.
 */
import type Koa from 'koa';
import { PendingSignOuts } from '../../../shared/core/session/pending-sign-outs.ts';
import { frontChannelLogout } from '../../../shared/core/sign-out.ts';
import type { TokenCache } from '../../../shared/core/token-cache/token-cache.ts';
import type { SampleServices } from '../../../shared/sample/services.ts';

/** For the landing page (never shown: this app is the comparison's). */
export const onGlobalSignOut =
  "signs out the session only if its cookie comes along (not in today's browsers); never touches the token cache";

type SignOutServices = { tokenCache: TokenCache } & Pick<SampleServices, 'identityPlatform'>;

/** Local sign-out: the user clicked "Sign out" in this app. */
export async function signOut(
  ctx: Koa.Context,
  { tokenCache, identityPlatform }: SignOutServices,
): Promise<void> {
  const user = ctx.session?.user;
  // RemoveAccountAsync: the account's tokens leave the cache.
  if (user) await tokenCache.remove(user.homeAccountId);
  // SignOutAsync of the cookie: this browser's session, no other.
  ctx.session = null;
  ctx.redirect(
    identityPlatform.endSessionUrl(user?.loginHint ? { logoutHint: user.loginHint } : {}),
  );
}

/**
 * Global sign-out: ASP.NET Core's RemoteSignOut at `/signout-oidc`. The core's handler, with a
 * sign-out of the `sid` that does nothing: what goes is the session of the request's cookie, if it
 * is of that `sid` (its last step), and no token.
 */
export function remoteSignOut({
  identityPlatform,
  app,
}: Pick<SampleServices, 'identityPlatform' | 'app'>) {
  return frontChannelLogout({
    identityPlatform,
    pendingSignOuts: new PendingSignOuts(async () => {}, app),
    answer: 'identity-web-today: front-channel sign-out received.',
  });
}

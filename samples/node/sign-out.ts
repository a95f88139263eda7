/**
 * node: what sign-out does to the session and the token cache, as Microsoft's Node sample
 * (Express + msal-node) does. Compare it with aspnetcore's:
 * `diff samples/node/sign-out.ts samples/aspnetcore/sign-out.ts`.
 *
 * - Local sign-out (started here): `req.session.destroy()` — the serialized token cache, and the
 *   copy of the access token kept beside it, live in the session, so the user's tokens go with it —
 *   then the identity platform's logout, with only a `post_logout_redirect_uri` it does not follow
 *   (not registered, `registration.ts`): the browser stays on its "signed out" page.
 * - Global sign-out (started in another app or the browser): nothing. No front-channel logout URL
 *   is registered (`registration.ts`): the session and the cache inside it survive, and the app can
 *   go on calling the API for the user with the cached refresh token.
 */
import type Koa from 'koa';
import type { SampleServices } from '../../shared/sample/services.ts';

/** For the landing page. */
export const onGlobalSignOut =
  'leaves the session, and the cache in it, untouched (no front-channel logout URL registered)';

type SignOutServices = Pick<SampleServices, 'identityPlatform'>;

/** Local sign-out: the user opened `/auth/signout` in this app. */
export async function signOut(
  ctx: Koa.Context,
  { identityPlatform }: SignOutServices,
): Promise<void> {
  // `req.session.destroy()`: the user, their token cache serialized in the session and the copy of
  // the access token kept beside it are gone.
  ctx.session = null;
  ctx.redirect(identityPlatform.endSessionUrl());
}

// Global sign-out: no handler, and no front-channel logout URL for the identity platform to load.

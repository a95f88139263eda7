/**
 * python: what sign-out does to the session and the token cache, as the Flask + MSAL Python
 * sample did. Compare it with aspnetcore's: `diff samples/python/sign-out.ts samples/aspnetcore/sign-out.ts`.
 *
 * - Local sign-out (started here): `session.clear()` — the user and the serialized token cache
 *   kept in the session go — then go to the end-session endpoint.
 * - Global sign-out (started in another app or the browser): nothing. No front-channel logout
 *   URL is registered (`registration.ts`), so the identity platform never tells this app: the
 *   session, and the cache inside it, survive, and the app can go on calling the API for the user
 *   with the cached refresh token.
 */
import type Koa from 'koa';
import type { SampleServices } from '../../shared/sample/services.ts';

/** For the landing page. */
export const onGlobalSignOut =
  'leaves the session, and the cache in it, untouched (no front-channel logout URL registered)';

type SignOutServices = Pick<SampleServices, 'identityPlatform'>;

/** Local sign-out: the user opened `/logout` in this app. */
export async function signOut(
  ctx: Koa.Context,
  { identityPlatform }: SignOutServices,
): Promise<void> {
  // `session.clear()`: the user and their token cache, serialized in the session, are gone.
  ctx.session = null;
  ctx.redirect(identityPlatform.endSessionUrl());
}

// Global sign-out: no handler, and no front-channel logout URL for the identity platform to load.

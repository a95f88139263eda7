/**
 * python: what sign-out does to the session and the token cache, as the Flask + MSAL Python
 * sample did. Compare it with aspnetcore's: `diff samples/python/sign-out.ts samples/aspnetcore/sign-out.ts`.
 *
 * - Local sign-out (started here): `session.clear()` — the user and the serialized token cache
 *   kept in the session go — then go to the end-session endpoint.
 * - Global sign-out (started in another app or the browser): the identity platform loads `/logout`
 *   (its registered front-channel logout URL, `registration.ts`) in a hidden cross-site iframe:
 *   the same `signOut` as above, which clears the session the request's cookie names. A browser of
 *   2019 sent the session cookie into that iframe, and the session and its cache went. Today's
 *   browsers send no cookie there (it is SameSite=Lax, never sent into a cross-site iframe): `session.clear()`
 *   clears an empty session, the user's session and cache survive, and the app can go on calling
 *   the API for the user with the cached refresh token. Nothing here looks at `sid`.
 */
import type Koa from 'koa';
import type { SampleServices } from '../../shared/sample/services.ts';

/** For the landing page. */
export const onGlobalSignOut =
  "leaves the session, and the cache in it, untouched: its logout URL, /logout, gets no cookie in today's browsers";

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

// Global sign-out: `signOut` again, loaded by the identity platform at /logout without a cookie.

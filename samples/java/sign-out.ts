/**
 * java: what sign-out does to the session and the token cache, as the Spring Boot + msal4j sample
 * did. Compare it with aspnetcore's: `diff samples/java/sign-out.ts samples/aspnetcore/sign-out.ts`.
 *
 * - Local sign-out (started here): invalidate the session — the serialized token cache lives in
 *   it, so the user's tokens go with it — then go to the end-session endpoint.
 * - Global sign-out (started in another app or the browser): nothing. The registered front-channel
 *   logout URL, `/msal4jsample/sign-out` (`registration.ts`), is a path no route serves: the
 *   identity platform's request gets a 404, the session and the cache inside it survive, and the
 *   app can go on calling the API for the user with the cached refresh token.
 */
import type Koa from 'koa';
import type { SampleServices } from '../../shared/sample/services.ts';

/** For the landing page. */
export const onGlobalSignOut =
  'leaves the session, and the cache in it, untouched: its logout URL, /msal4jsample/sign-out, is served by no route';

type SignOutServices = Pick<SampleServices, 'identityPlatform'>;

/** Local sign-out: the user clicked "Sign out" in this app. */
export async function signOut(
  ctx: Koa.Context,
  { identityPlatform }: SignOutServices,
): Promise<void> {
  // Invalidate the session: the user's token cache, serialized in it, goes with it.
  ctx.session = null;
  ctx.redirect(identityPlatform.endSessionUrl());
}

// Global sign-out: no handler; the registered logout URL (`sign-out`, hyphen) is served by no route.

/**
 * aspnetcore: what sign-out does to the session and the token cache — the part of the
 * documentation page's ASP.NET Core tab this sample exists to show. Compare it with the three
 * others: `diff samples/aspnet/sign-out.ts samples/aspnetcore/sign-out.ts`.
 *
 * - Local sign-out (started here): remove the user's tokens from the cache, end their sessions,
 *   then go to the identity platform's end-session endpoint. Microsoft.Identity.Web does the same
 *   in its "redirect to identity provider for sign-out" event.
 * - Global sign-out (started in another app or the browser): the identity platform loads this
 *   app's front-channel logout URL (`registration.ts`). The 2019 ASP.NET Core code only signed
 *   the cookie out there and left the token cache alone. GOING BEYOND THE ORIGINAL, this sample
 *   removes the user's tokens too, and needs no cookie to do it (browsers no longer send it into
 *   the cross-site iframe): it finds the users and their sessions by the `sid` recorded at sign-in.
 */
import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { PendingSignOuts } from '../../shared/core/session/pending-sign-outs.ts';
import type { PerUserTokenCache } from '../../shared/core/token-cache/per-user-token-cache.ts';
import type { SampleServices } from '../../shared/sample/services.ts';

/** For the landing page. */
export const onGlobalSignOut =
  "removes the user's tokens and ends their sessions (front-channel logout URL, found by sid, no cookie needed)";

type SignOutServices = Pick<SampleServices, 'sessions' | 'identityPlatform'> & {
  tokenCache: PerUserTokenCache;
};

/** Local sign-out: the user clicked "Sign out" in this app. */
export async function signOut(
  ctx: Koa.Context,
  { tokenCache, sessions, identityPlatform }: SignOutServices,
): Promise<void> {
  const user = ctx.session?.user;
  if (user) {
    // Remove the account from the token cache: every token of this user goes.
    await tokenCache.remove(user.homeAccountId);
    // End every session of theirs that signed in through the same identity platform session
    // here, not only this browser's; another user's, never.
    await sessions.endBySid(user.sid, { onlyUser: user.homeAccountId });
  }
  ctx.session = null;
  ctx.redirect(
    identityPlatform.endSessionUrl({
      // Microsoft.Identity.Web carries its post-sign-out redirect in `state`; this sample always
      // shows the SignedOut page, so the state is only echoed back.
      state: randomBytes(16).toString('base64url'),
      ...(user?.loginHint ? { logoutHint: user.loginHint } : {}),
    }),
  );
}

/** Global sign-out: the identity platform loaded the front-channel logout URL, `?sid=…`. */
export async function frontChannelSignOut(
  ctx: Koa.Context,
  params: Record<string, string | undefined>,
  { identityPlatform, pendingSignOuts }: SignOutServices & { pendingSignOuts: PendingSignOuts },
): Promise<void> {
  // What the identity platform expects of a front-channel logout response: never cached, never a
  // redirect, 200 even when there was nothing to do. Only the identity platform may frame it.
  ctx.set('Cache-Control', 'no-cache, no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.set('Content-Security-Policy', `frame-ancestors ${identityPlatform.origin}`);
  ctx.type = 'text/plain';
  // The same words whoever asks, whatever was done: the answer tells nobody who was signed in.
  ctx.body = 'aspnetcore: front-channel sign-out received.';

  const { sid, iss } = params;
  if (!sid) return ctx.throw(400, 'A front-channel sign-out request needs a sid');
  // Entra sends `sid` alone; the OpenID Connect spec adds `iss`. When present, it must be ours.
  if (iss !== undefined && iss !== identityPlatform.issuer) return;
  // Carried out now; or, if the store does not answer, as soon as it does (never lost). It reaches
  // the users of this sid only, whatever cookie comes along.
  await pendingSignOuts.signOut(sid);
  // If this browser does send our cookie (a 2019 browser did), its session goes too, but only if
  // it is of this sid: a cookie of another identity platform session is another sign-in's.
  if (ctx.session?.user?.sid === sid) ctx.session = null;
}

/**
 * Everything this app holds of the identity platform session `sid`: the tokens of every user
 * recorded under it, then every session of it. Tokens first, so that a sign-out stopped half-way
 * (the store failed) leaves the sessions that lead to them, and running it again finishes it. The
 * sessions ended may name a user who signed in meanwhile: their tokens go too.
 */
export async function removeEverythingOf(
  sid: string,
  { tokenCache, sessions }: Pick<SignOutServices, 'tokenCache' | 'sessions'>,
): Promise<void> {
  const users = await sessions.usersOf(sid);
  for (const user of users) await tokenCache.remove(user);
  // The identity platform ended this sid: no session of it may start again (a sign-in completing now).
  const ended = await sessions.endBySid(sid, { endedByIdentityPlatform: true });
  for (const user of ended) if (!users.includes(user)) await tokenCache.remove(user);
}

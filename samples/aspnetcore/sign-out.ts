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
import { frontChannelLogout, type SignOutReach } from '../../shared/core/sign-out.ts';
import type { SampleServices } from '../../shared/sample/services.ts';

/** For the landing page. */
export const onGlobalSignOut =
  "removes the user's tokens and ends their sessions (front-channel logout URL, found by sid, no cookie needed)";

type SignOutServices = SignOutReach & Pick<SampleServices, 'identityPlatform'>;

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

/**
 * Global sign-out: the identity platform loaded the front-channel logout URL, `?sid=…`. The
 * sign-out of that sid is carried out now (`removeEverythingOf` in `shared/core/sign-out.ts`: the
 * tokens of every user recorded under it, then its sessions); or, if the store does not answer,
 * as soon as it does: never lost.
 */
export function frontChannelSignOut({
  identityPlatform,
  pendingSignOuts,
}: Pick<SampleServices, 'identityPlatform'> & { pendingSignOuts: PendingSignOuts }) {
  return frontChannelLogout({
    identityPlatform,
    pendingSignOuts,
    answer: 'aspnetcore: front-channel sign-out received.',
  });
}

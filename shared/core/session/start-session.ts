import type Koa from 'koa';
import type { SignInTokenCache } from '../token-cache/token-cache.ts';
import {
  clearSessionData,
  regenerateFor,
  requestStartedLocally,
  sessionExpiresAt,
  sessionSaveRefused,
} from './session-middleware.ts';
import type { Sessions, SessionUser } from './sessions.ts';

/**
 * Starts the session of a user who just signed in, and keeps their tokens; `false` if a sign-out
 * won meanwhile (then nothing is kept, and no session started).
 *
 * Whoever was signed in in this browser is replaced: the user goes into the session, which then
 * gets a new key (no session fixation): koa-session ends the old key and saves the new one, with
 * the user, at once, indexed under the user's `sid`. (In the other order, koa-session would
 * compare the session with the one it read and, when the same user signs in again, find nothing
 * to save.) When the response came cross-site without the session cookie, the session the
 * sign-in started from (`previousSession`) is ended here.
 *
 * The tokens follow the session, never precede it. A cache kept in the session (java, python) is
 * saved with it, in the same write; a partition of a shared cache (aspnetcore, aspnet) is written
 * once the session is saved, and only if no sign-out removed it since this request began. A save
 * refused (the user signed out while this sign-in was completing: a held form_post arriving after
 * a sign-out everywhere) keeps nothing at all. When the session replaced was another user's,
 * their partition is told (`sessionReplaced`): it may be reachable by no sign-out any more.
 */
export async function startSession(
  ctx: Koa.Context,
  {
    user,
    previousSession,
    sessions,
    tokenCache,
    serialized,
  }: {
    user: SessionUser;
    previousSession: string | undefined;
    sessions: Sessions;
    tokenCache: SignInTokenCache;
    /** The tokens the sign-in redeemed: msal's serialized cache. */
    serialized: string;
  },
): Promise<boolean> {
  const session = ctx.session;
  if (!session) throw new Error('Sign-in needs the session middleware');
  const replaced = [session.user?.homeAccountId];
  clearSessionData(session);
  session.user = user;
  if (tokenCache.keepsTokens === 'in the session') session.tokenCache = serialized;
  await regenerateFor(ctx, user.homeAccountId);
  if (previousSession && previousSession !== session.externalKey) {
    replaced.push((await sessions.destroy(previousSession))?.user?.homeAccountId);
  }
  if (sessionSaveRefused(ctx)) return false;
  if (tokenCache.keepsTokens === 'in a partition') {
    const kept = await tokenCache.keepSignIn(serialized, {
      startedAt: requestStartedLocally(ctx),
      notAfter: sessionExpiresAt(ctx),
    });
    if (!kept) {
      // A sign-out removed the user's tokens while this sign-in was completing: it wins, and the
      // session just started ends with it.
      ctx.session = null;
      return false;
    }
    // Another user was signed in here (an account switch): their session here has ended, and
    // with it the way a sign-out would find their tokens through this browser.
    for (const other of new Set(replaced)) {
      if (other && other !== user.homeAccountId) await tokenCache.sessionReplaced(other);
    }
  }
  return true;
}

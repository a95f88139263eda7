/**
 * Sign-out started elsewhere, as the token cache and the sessions see it: the identity platform
 * names a `sid` at the app's front-channel logout URL, where no cookie comes. (A user's own
 * sign-out needs nothing more than `tokenCache.remove` and `sessions.endBySid` with `onlyUser`:
 * see `samples/aspnetcore/sign-out.ts`.)
 */
import type Koa from 'koa';
import type { PendingSignOuts } from './session/pending-sign-outs.ts';
import type { Sessions } from './session/sessions.ts';
import type { TokenCache } from './token-cache/token-cache.ts';

/** What a sign-out reaches: the app's token cache and its sessions. */
export interface SignOutReach {
  tokenCache: TokenCache;
  sessions: Sessions;
}

/**
 * Everything this app holds of the identity platform session `sid`: the tokens of every user
 * recorded under it, then every session of it. Tokens first, so that a sign-out stopped half-way
 * (the store failed) leaves the sessions that lead to them, and running it again finishes it. The
 * sessions ended may name a user who signed in meanwhile: their tokens go too. No session of the
 * `sid` may start again afterwards (a sign-in completing now): the identity platform ended it.
 */
export async function removeEverythingOf(
  sid: string,
  { tokenCache, sessions }: SignOutReach,
): Promise<void> {
  const users = await sessions.usersOf(sid);
  for (const user of users) await tokenCache.remove(user);
  const ended = await sessions.endBySid(sid, { endedByIdentityPlatform: true });
  for (const user of ended) if (!users.includes(user)) await tokenCache.remove(user);
}

/**
 * The front-channel logout URL's handler, for GET (Entra) or a form POST (`params`: the query or
 * the form). It needs no cookie: the sign-out of `sid` is `pendingSignOuts`' to carry out — now,
 * or, if the store does not answer, as soon as it does.
 */
export function frontChannelLogout({
  identityPlatform,
  pendingSignOuts,
  answer,
}: {
  /** Its issuer (`iss`), and its origin: the only one that may frame this URL. */
  identityPlatform: { issuer: string; origin: string };
  pendingSignOuts: PendingSignOuts;
  /** The answer's text: the same whoever asks, whatever was done (it tells nobody who was signed in). */
  answer: string;
}): (ctx: Koa.Context, params: Record<string, string | undefined>) => Promise<void> {
  return async (ctx, { sid, iss }) => {
    // What the identity platform expects of a front-channel logout response: never cached, never
    // a redirect, 200 even when there was nothing to do. Only the identity platform may frame it.
    ctx.set('Cache-Control', 'no-cache, no-store');
    ctx.set('Pragma', 'no-cache');
    ctx.set('Content-Security-Policy', `frame-ancestors ${identityPlatform.origin}`);
    ctx.type = 'text/plain';
    ctx.body = answer;
    if (!sid) {
      // Answered here, with the headers above, whatever error handler the app has.
      ctx.status = 400;
      ctx.body = 'A front-channel sign-out request needs a sid.';
      return;
    }
    // Entra sends `sid` alone; the OpenID Connect spec adds `iss`. When present, it must be ours.
    if (iss !== undefined && iss !== identityPlatform.issuer) return;
    // It reaches the users of this sid only, whatever cookie comes along.
    await pendingSignOuts.signOut(sid);
    // If this browser does send the app's cookie (a 2019 browser did), its session goes too, but
    // only if it is of this sid: a cookie of another identity platform session is another sign-in's.
    if (ctx.session?.user?.sid === sid) ctx.session = null;
  };
}

/**
 * Tells the sample's timeline what each sign-out request did, whatever the sample's own code does
 * with it (or whether a route serves it at all): the lesson is in the difference. Two requests:
 *
 * - a local sign-out: the sample's "Sign out" link;
 * - a front-channel sign-out: the identity platform loading the registered front-channel logout
 *   URL with `?sid=…` (or posting `sid` in a form). Whether the browser sent the session cookie, what the app answered, and
 *   whether any session of that `sid` is left here afterwards (with the tokens it can reach).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type Koa from 'koa';
import { type CoreEvent, onCoreEvent } from '../core/events.ts';
import type { Sessions } from '../core/session/sessions.ts';
import { labelOf, type Timeline } from '../timeline/timeline.ts';

/**
 * The core's events of the request being observed, while it runs (per request). A timer made
 * during the request keeps its context: `open` turns false once the response has gone, and the
 * list takes nothing more.
 */
const observed = new AsyncLocalStorage<{ app: string; events: CoreEvent[]; open: boolean }>();
let listening = false;

export function signOutObserver(options: {
  timeline: Timeline;
  sessions: Sessions;
  localSignOutPath: string;
  frontChannelLogoutPath: string | undefined;
}): Koa.Middleware {
  const { timeline, sessions, localSignOutPath, frontChannelLogoutPath } = options;
  if (timeline.enabled && !listening) {
    // Once per process: each request's events go to the list of the request they happen in.
    onCoreEvent((event) => {
      const request = observed.getStore();
      if (request?.open && event.app === request.app) request.events.push(event);
    });
    listening = true;
  }
  return async (ctx, next) => {
    if (!timeline.enabled) return next();
    if (ctx.path === frontChannelLogoutPath) {
      const sid = new URLSearchParams(ctx.querystring).get('sid') ?? undefined;
      // A GET names its sid; a form POST, in its body, which the route reads: the core's events say it.
      if (sid !== undefined || ctx.method === 'POST') return observeFrontChannel(ctx, next, sid);
    }
    if (ctx.path === localSignOutPath) return observeLocal(ctx, next);
    return next();
  };

  /**
   * What a request did is told once its response has gone: by then the session middleware has
   * saved or ended the session, and the `sid` index says what is left.
   */
  function afterResponse(ctx: Koa.Context, tell: () => Promise<void>): void {
    ctx.res.once('close', () => {
      // What cannot be known (the store is down) is not told.
      tell().catch(() => {});
    });
  }

  /** The core's events of this request, collected while it runs (see `observed`). */
  function collecting(ctx: Koa.Context) {
    const request = { app: timeline.source, events: [] as CoreEvent[], open: true };
    ctx.res.once('close', () => {
      request.open = false;
    });
    return request;
  }

  async function observeLocal(ctx: Koa.Context, next: Koa.Next): Promise<void> {
    const user = ctx.session?.user;
    const cacheInSession = ctx.session?.tokenCache !== undefined;
    const request = collecting(ctx);
    if (user)
      afterResponse(ctx, async () => {
        const removed = request.events.some(
          (event) => event.type === 'tokens-removed' && event.homeAccountId === user.homeAccountId,
        );
        const tokens = cacheInSession
          ? 'the token cache kept in the session went with it'
          : removed
            ? 'their tokens were removed from the token cache'
            : 'nothing was removed from the token cache';
        const session = labelOf(user.sid);
        timeline.record({
          kind: 'local-sign-out',
          text: `${user.username} signed out here: session ended, ${tokens}; the browser goes on to the identity platform's sign-out`,
          user: user.username,
          account: user.homeAccountId,
          ...(session ? { session } : {}),
          ...(cacheInSession || removed ? { outcome: 'removed' as const } : {}),
        });
      });
    await observed.run(request, next);
  }

  async function observeFrontChannel(ctx: Koa.Context, next: Koa.Next, named: string | undefined) {
    // What cannot be known (the store is down) is not told; the request goes on regardless.
    const before = named && (await sessions.usersOf(named).catch(() => undefined))?.length;
    if (named && before === undefined) return next();
    const cookieUser = ctx.session?.user;
    const request = collecting(ctx);
    afterResponse(ctx, async () => {
      const ended = request.events.find((event) => event.type === 'sessions-ended');
      const kept = request.events.find((event) => event.type === 'sign-out-pending');
      const sid =
        named ??
        (ended?.type === 'sessions-ended' ? ended.sid : undefined) ??
        (kept?.type === 'sign-out-pending' ? kept.sid : undefined);
      // A POST that signed nobody out (a route that does not serve POST, say) is not a sign-out.
      if (sid === undefined) return;
      const had = named ? before : ended?.type === 'sessions-ended' ? ended.sessions : undefined;
      const after = sid === undefined ? undefined : (await sessions.usersOf(sid)).length;
      const session = labelOf(sid);
      const cookie = cookieUser
        ? `the session cookie came with it (${cookieUser.username})`
        : 'no session cookie came with it';
      const here =
        had === undefined
          ? ''
          : !had
            ? ' Nobody here signed in through that session.'
            : after
              ? ' The sessions of that sid are still here, with the tokens they reach.'
              : ' No session of that sid is left here.';
      timeline.record({
        kind: 'front-channel',
        text: `Front-channel logout${ctx.method === 'POST' ? ' (form POST)' : ''} for session ${session}: ${cookie}; answered ${ctx.status}${answerNote(ctx, ctx.status)}.${here}`,
        ...(session ? { session } : {}),
        ...(had ? { outcome: after ? 'left-behind' : 'removed' } : {}),
      });
    });
    await observed.run(request, next);
  }
}
function answerNote(ctx: Koa.Context, status: number): string {
  if (status === 404) return ' (no route serves this path)';
  const location = URL.parse(ctx.response.get('Location'), ctx.href);
  if (status >= 300 && status < 400 && location) {
    return ` (a redirect to ${location.origin}${location.pathname})`;
  }
  return '';
}

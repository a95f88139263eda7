/** The identity platform's HTTP surface: Entra's per-tenant endpoints plus an SSO session page. */
import Router from '@koa/router';
import Koa from 'koa';
import { ADMIN_ACTIONS, type AdminAction, adminAction } from './admin.ts';
import { answerOnlyAt } from './allowed-hosts.ts';
import { authorize } from './authorize.ts';
import { criticalEventsOf, EVENT_WORDS } from './critical-events.ts';
import { ADMINISTRATOR, DEMO_USERS } from './directory.ts';
import { discoveryDocument } from './discovery.ts';
import { AADSTS, EntraError, newTrace } from './errors.ts';
import { MAX_WAIT_MS, sessionLabel, TooManyReaders } from './events.ts';
import { everyAnswer, renderPage } from './http.ts';
import { logout } from './logout.ts';
import { loopbackReturnUrl } from './redirect-uris.ts';
import { signIn, signInPage } from './sign-in.ts';
import { liveSsoSession } from './sso.ts';
import { allApps, type EmulatorState, findApp } from './state.ts';
import { tokenEndpoint } from './token-endpoint.ts';
import type { DemoUser } from './types.ts';

/** A padlock in Microsoft blue: the emulator's tabs look unlike the samples'. */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0067b8"/>' +
  '<path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2" stroke="#fff" stroke-width="1.5" fill="none"/>' +
  '<rect x="4" y="7" width="8" height="6" rx="1" fill="#fff"/></svg>';

/** Endpoints called by programs, which get errors as JSON; the others are pages in a browser. */
const MACHINE_ENDPOINTS =
  /\/(token|keys|openid-configuration|revokeSignInSessions|disable|enable|resetPassword|events)$/;

export function createIdentityApp(state: EmulatorState): Koa {
  const router = new Router();
  router.param('tenant', (tenant, _ctx, next) => {
    if (tenant !== state.tenantId) throw AADSTS.tenantNotFound(tenant);
    return next();
  });
  router.get('/', ssoSessionPage(state));
  // Not an Entra endpoint: what the emulator did, for the landing page's timeline and the tests.
  // `?after=<seq>` for the events after that one; `&wait=<ms>` waits for the next (long polling).
  // `&log=<id>` names the log the reader read before: another one (the emulator restarted since)
  // is answered at once, from its first event.
  router.get('/events', async (ctx) => {
    const query = new URLSearchParams(ctx.querystring);
    const sameLog = (query.get('log') ?? state.events.id) === state.events.id;
    const after = sameLog ? Number.parseInt(query.get('after') ?? '0', 10) || 0 : 0;
    const wait = sameLog
      ? Math.min(Number.parseInt(query.get('wait') ?? '0', 10) || 0, MAX_WAIT_MS)
      : 0;
    const gone = new AbortController();
    ctx.req.once('close', () => gone.abort());
    try {
      ctx.body = {
        log: state.events.id,
        events: await state.events.after(after, wait, gone.signal),
      };
    } catch (error) {
      if (!(error instanceof TooManyReaders)) throw error;
      ctx.status = 503;
      ctx.set('Retry-After', '2');
      ctx.body = { error: 'Too many readers are waiting for events; try again shortly.' };
    }
  });
  router.get('/favicon.ico', (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.body = FAVICON;
  });
  router.get('/:tenant/v2.0/.well-known/openid-configuration', (ctx) => {
    ctx.body = discoveryDocument(state);
  });
  router.get('/:tenant/discovery/v2.0/keys', (ctx) => {
    ctx.body = state.signingKey.jwks;
  });
  router.get('/:tenant/oauth2/v2.0/authorize', authorize(state));
  router.get('/:tenant/login', signInPage(state));
  router.post('/:tenant/login', signIn(state));
  router.post('/:tenant/oauth2/v2.0/token', tokenEndpoint(state));
  router.get('/:tenant/oauth2/v2.0/logout', logout(state));
  router.post('/:tenant/oauth2/v2.0/logout', logout(state));
  for (const action of Object.keys(ADMIN_ACTIONS) as AdminAction[]) {
    router.post(`/:tenant/users/:user/${action}`, adminAction(state, action));
  }
  // "You signed out": with a way back to where the person came from, if the SSO session page was
  // opened with a `return` on this machine (the landing page's "Sign out everywhere").
  router.get('/:tenant/oauth2/v2.0/logoutsession', (ctx) => {
    const back = loopbackReturnUrl(new URLSearchParams(ctx.querystring).get('return'));
    return renderPage(ctx, 'signed-out', 'Signed out', {
      back,
      sessionPage: back ? `/?${new URLSearchParams({ return: back })}` : '/',
    });
  });

  const app = new Koa();
  // A client that went away mid-request (a body cut short) is not worth a stack trace in the log.
  app.on('error', (error: NodeJS.ErrnoException) => {
    if (!/^(ECONNRESET|EPIPE|HPE_)/.test(error.code ?? '')) console.error('[emulator]', error);
  });
  app.use(everyAnswer);
  app.use(answerOnlyAt([state.identityUrl, state.graphUrl]));
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      // A bad request (a body too large or cut short, a method no endpoint takes…) is answered in
      // Entra's shape too; anything else is the emulator's own bug.
      const error = thrown instanceof EntraError ? thrown : AADSTS.badRequest(thrown);
      if (!error) throw thrown;
      const trace = newTrace(ctx.get('client-request-id'));
      ctx.status = error.status;
      if (MACHINE_ENDPOINTS.test(ctx.path)) ctx.body = error.body(trace);
      else await renderPage(ctx, 'error', `Error AADSTS${error.code}`, { error, trace });
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true, notImplemented: methodNotAllowed }));
  // A path no endpoint serves: a page a person can read, and leave.
  app.use(async (ctx) => {
    ctx.status = 404;
    await renderPage(ctx, 'not-found', 'Page not found', { path: ctx.path });
    ctx.status = 404;
  });
  return app;
}

/** A method no endpoint takes (PROPFIND…) is refused as one an endpoint does not take: 405. */
function methodNotAllowed(): Error {
  return Object.assign(new Error('The method is not allowed here.'), { status: 405, expose: true });
}

/** GET /: who is signed in through this browser, and a way to sign out "from elsewhere". */
function ssoSessionPage(state: EmulatorState): Koa.Middleware {
  return async (ctx) => {
    // A disabled user's session still shows: it is there, it only signs nobody in.
    const session = liveSsoSession(ctx, state);
    // The notice after an administrator's action, only if the state says it happened indeed.
    const query = new URLSearchParams(ctx.querystring);
    const named = (notice: string, happened: (oid: string) => boolean) => {
      const user = state.directory.byOid(query.get(notice));
      return user && happened(user.oid) ? user : undefined;
    };
    await renderPage(ctx, 'sso-session', 'Your SSO session', {
      currentPage: '/',
      // Where the person came from (`?return=`, on this machine only): a link back, carried
      // through the page's forms to the signed-out page.
      back: loopbackReturnUrl(query.get('return')),
      revoked: named('revoked', (oid) => state.revokedAt.has(oid)),
      disabled: named('disabled', (oid) => state.disabled.has(oid)),
      enabled: named('enabled', (oid) => !state.disabled.has(oid)),
      reset: named('reset', (oid) => state.passwords.has(oid)),
      wide: true,
      session,
      label: session ? sessionLabel(session.sid) : undefined,
      signedInApps: session
        ? [...session.clientIds].map((id) => findApp(state, id)?.displayName ?? id)
        : [],
      logoutAction: `/${state.tenantId}/oauth2/v2.0/logout`,
      tenantId: state.tenantId,
      issuer: state.issuer,
      graphUrl: state.graphUrl,
      users: DEMO_USERS,
      generatedUsers: state.directory.generatedUsers,
      administrator: ADMINISTRATOR,
      adminAction: (oid: string, action: AdminAction) =>
        `/${state.tenantId}/users/${oid}/${action}`,
      // What the page says of each user: disabled or not, the password of their own, what happened.
      isDisabled: (oid: string) => state.disabled.has(oid),
      passwordOf: (oid: string) => state.passwords.get(oid),
      eventsOf: (user: DemoUser) =>
        criticalEventsOf(state, user)
          .toReversed()
          .map((event) => `${EVENT_WORDS[event.kind]} at ${clockTime(event.at)}`),
      criticalEventDelaySeconds: state.criticalEventDelaySeconds,
      apps: allApps(state),
    });
  };
}

/** `14:03:27 UTC`: when an administrator acted, as the page says it. */
function clockTime(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)} UTC`;
}

/**
 * python: mirrors the Python tab of "Web app that calls web APIs: remove accounts from the cache
 * on global sign-out" (Flask + MSAL Python). The page says this sample does NOT remove accounts
 * from the cache on global sign-out, and neither does this reproduction.
 *
 * Where the cache lives: serialized in the server-side session (Flask-Session); `/logout` clears
 * the whole session, cache included.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { SessionTokenCache } from '../../shared/token-cache/session-token-cache.ts';
import { graphForUser } from '../../shared/web/graph-for-user.ts';
import { type GraphUsers, renderUsers } from '../../shared/web/graph-pages.ts';
import { queryParams } from '../../shared/web/read-form.ts';
import { render } from '../../shared/web/render.ts';
import type { Sample, SampleServices } from '../../shared/web/sample-app.ts';

const loginPath = '/login';
const logoutPath = '/logout';
const graphCallPath = '/graphcall';
/** The original listed the tenant's users: Graph `/v1.0/users` with `User.ReadBasic.All`. */
const graphScopes = ['User.ReadBasic.All'];

export function createPythonSample(services: SampleServices): Sample {
  const { sample } = services.settings;
  const tokenCache = new SessionTokenCache(services.sessions);
  const msalFor = (ctx: Koa.Context) => services.msalClient(tokenCache.partition(ctx));

  const router = new Router();
  router.get('/', async (ctx) => {
    if (!ctx.session?.user) return ctx.redirect(loginPath);
    await render(ctx, 'home');
  });

  // A page with a sign-in link (not a redirect), the authorize URL built with a fresh state.
  router.get(loginPath, async (ctx) => {
    const authUrl = await services.signIn.authorizationUrl(ctx, msalFor(ctx), {
      scopes: graphScopes,
      responseMode: 'query',
    });
    await render(ctx, 'login', { authUrl });
  });

  // The redirect URI: a query-mode response, state checked before the code is redeemed.
  router.get(sample.registration.redirectPath, async (ctx) => {
    ctx.redirect(await services.signIn.complete(ctx, msalFor(ctx), queryParams(ctx)));
  });

  router.get(graphCallPath, async (ctx) => {
    const user = ctx.session?.user;
    if (!user) return ctx.redirect(loginPath);
    const users = await graphForUser<GraphUsers>(services, msalFor(ctx), user, {
      scopes: graphScopes,
      path: '/v1.0/users',
    });
    if (!users) return ctx.redirect(loginPath);
    await renderUsers(ctx, users);
  });

  // Local sign-out: `session.clear()` (user and cache gone) and the end-session endpoint. No
  // front-channel handler: when the user signs out elsewhere, the session and its cache stay.
  router.get(logoutPath, (ctx) => {
    ctx.session = null;
    ctx.redirect(services.endSessionUrl());
  });

  return {
    router,
    links: {
      signIn: loginPath,
      signOut: logoutPath,
      api: { href: graphCallPath, label: 'Call Graph (/v1.0/users)' },
    },
    tokenCacheSummary: () => tokenCache.summary(),
  };
}

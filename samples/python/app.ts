/**
 * python: mirrors the Python tab of "Web app that calls web APIs: remove accounts from the cache
 * on global sign-out" (Flask + MSAL Python). The page says this sample does NOT remove accounts
 * from the cache on global sign-out, and neither does this reproduction (`sign-out.ts`).
 *
 * Where the cache lives: serialized in the server-side session (Flask-Session); `/logout` clears
 * the whole session, cache included.
 */
import Router from '@koa/router';
import { queryParams } from '../../shared/core/read-form.ts';
import type { SampleRoutes } from '../../shared/sample/contract.ts';
import type { SampleServices } from '../../shared/sample/services.ts';
import { type GraphUsers, renderUsers } from '../../shared/web/graph-pages.ts';
import { render } from '../../shared/web/render.ts';
import { registration } from './registration.ts';
import { signOut } from './sign-out.ts';

const loginPath = '/login';
const loginStartPath = '/login/start';
const logoutPath = '/logout';
const graphCallPath = '/graphcall';

export function createPythonRoutes(services: SampleServices): SampleRoutes {
  const { signIn, identityPlatform } = services;
  const tokenCache = services.tokenCaches.perSession();

  const router = new Router();
  router.get('/', async (ctx) => {
    if (!ctx.session?.user) return ctx.redirect(loginPath);
    await render(ctx, 'home', { title: 'Home' });
  });

  // A page with a sign-in link (not a redirect), as the original's. Its link starts the sign-in:
  // the original's pointed at the identity platform directly, with a state it had just stored,
  // but showing a page must not keep anything on the server for whoever asks for it.
  router.get(loginPath, (ctx) =>
    render(ctx, 'login', { title: 'Sign in', authUrl: loginStartPath }),
  );
  router.get(loginStartPath, async (ctx) => {
    const authUrl = await signIn.authorizationUrl(ctx, {
      scopes: registration.scopes,
      responseMode: 'query',
    });
    ctx.redirect(authUrl);
  });

  // The redirect URI: a query-mode response, state checked before the code is redeemed.
  router.get(registration.redirectPath, async (ctx) => {
    ctx.redirect(await signIn.complete(ctx, queryParams(ctx), tokenCache));
  });

  router.get(graphCallPath, async (ctx) => {
    if (!ctx.session?.user) return ctx.redirect(loginPath);
    const users = await services.graphForUser<GraphUsers>(ctx, tokenCache, {
      scopes: registration.scopes,
      path: '/v1.0/users',
    });
    if (!users) return ctx.redirect(loginPath);
    await renderUsers(ctx, users);
  });

  router.get(logoutPath, (ctx) => signOut(ctx, { identityPlatform }));

  return {
    router,
    links: {
      signIn: loginPath,
      signOut: logoutPath,
      api: { href: graphCallPath, label: 'Call Graph (/v1.0/users)' },
    },
    tokenCache,
  };
}

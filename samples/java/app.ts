/**
 * java: mirrors the Java tab of "Web app that calls web APIs: remove accounts from the cache on
 * global sign-out" (Spring Boot + msal4j). The page says this sample does NOT remove accounts from
 * the cache on global sign-out, and neither does this reproduction.
 *
 * Where the cache lives: serialized in the HTTP session (msal4j's `token_cache` session attribute);
 * a client is built per request from it. Ending the session is what removes the tokens.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { SessionTokenCache } from '../../shared/token-cache/session-token-cache.ts';
import { graphForUser } from '../../shared/web/graph-for-user.ts';
import { type GraphUsers, renderUsers } from '../../shared/web/graph-pages.ts';
import { readForm } from '../../shared/web/read-form.ts';
import { render } from '../../shared/web/render.ts';
import type { Sample, SampleServices } from '../../shared/web/sample-app.ts';

const homePath = '/msal4jsample';
const signOutPath = '/msal4jsample/sign_out';
const usersPath = '/msal4jsample/graph/users';
/** The original listed the tenant's users: Graph `/v1.0/users` with `User.ReadBasic.All`. */
const graphScopes = ['User.ReadBasic.All'];

export function createJavaSample(services: SampleServices): Sample {
  const { sample } = services.settings;
  // `/msal4jsample/secure/aad` is both the sign-in entry and the redirect URI, as in the original.
  const securePath = sample.registration.redirectPath;
  const tokenCache = new SessionTokenCache(services.sessions);
  const msalFor = (ctx: Koa.Context) => services.msalClient(tokenCache.partition(ctx));
  const challenge = async (ctx: Koa.Context) => {
    ctx.redirect(
      await services.signIn.authorizationUrl(ctx, msalFor(ctx), {
        scopes: graphScopes,
        responseMode: 'form_post',
        prompt: 'select_account',
        returnTo: securePath,
      }),
    );
  };

  const router = new Router();
  router.get('/', (ctx) => ctx.redirect(homePath));
  router.get(homePath, (ctx) => render(ctx, 'home'));

  router.get(securePath, async (ctx) => {
    if (!ctx.session?.user) return challenge(ctx);
    await render(ctx, 'home');
  });
  router.post(securePath, async (ctx) => {
    ctx.redirect(await services.signIn.complete(ctx, msalFor(ctx), await readForm(ctx)));
  });

  router.get(usersPath, async (ctx) => {
    const user = ctx.session?.user;
    if (!user) return ctx.redirect(securePath);
    const users = await graphForUser<GraphUsers>(services, msalFor(ctx), user, {
      scopes: graphScopes,
      path: '/v1.0/users',
    });
    if (!users) return challenge(ctx);
    await renderUsers(ctx, users);
  });

  // Local sign-out: invalidate the session (the serialized cache goes with it) and go to the
  // end-session endpoint. The registered logout URL of the original pointed at a path nothing
  // served; here there is none: when the user signs out elsewhere, the session and its cache stay.
  router.get(signOutPath, (ctx) => {
    ctx.session = null;
    ctx.redirect(services.endSessionUrl());
  });

  return {
    router,
    links: {
      signIn: securePath,
      signOut: signOutPath,
      api: { href: usersPath, label: 'Users (Graph /v1.0/users)' },
    },
    tokenCacheSummary: () => tokenCache.summary(),
  };
}

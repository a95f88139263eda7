/**
 * java: mirrors the Java tab of "Web app that calls web APIs: remove accounts from the cache on
 * global sign-out" (Spring Boot + msal4j). The page says this sample does NOT remove accounts from
 * the cache on global sign-out, and neither does this reproduction (`sign-out.ts`).
 *
 * Where the cache lives: serialized in the HTTP session (msal4j's `token_cache` session attribute);
 * a client is built per request from it. Ending the session is what removes the tokens.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { readForm } from '../../shared/core/read-form.ts';
import type { SampleRoutes } from '../../shared/sample/contract.ts';
import type { SampleServices } from '../../shared/sample/services.ts';
import { type GraphUsers, renderUsers } from '../../shared/web/graph-pages.ts';
import { render } from '../../shared/web/render.ts';
import { registration } from './registration.ts';
import { signOut } from './sign-out.ts';

const homePath = '/msal4jsample';
const signOutPath = '/msal4jsample/sign_out';
const usersPath = '/msal4jsample/graph/users';
// `/msal4jsample/secure/aad` is both the sign-in entry and the redirect URI, as in the original.
const securePath = registration.redirectPath;

export function createJavaRoutes(services: SampleServices): SampleRoutes {
  const { signIn, identityPlatform } = services;
  const tokenCache = services.tokenCaches.perSession();
  const challenge = async (ctx: Koa.Context) => {
    ctx.redirect(
      await signIn.authorizationUrl(ctx, {
        scopes: registration.scopes,
        responseMode: 'form_post',
        prompt: 'select_account',
        returnTo: securePath,
      }),
    );
  };

  const router = new Router();
  router.get('/', (ctx) => ctx.redirect(homePath));
  router.get(homePath, (ctx) => render(ctx, 'home', { title: 'Home' }));

  router.get(securePath, async (ctx) => {
    if (!ctx.session?.user) return challenge(ctx);
    // The original's secure page: the home page's content, under its own path and title.
    await render(ctx, 'home', { title: 'Secure page' });
  });
  router.post(securePath, async (ctx) => {
    ctx.redirect(await signIn.complete(ctx, await readForm(ctx), tokenCache));
  });

  router.get(usersPath, async (ctx) => {
    if (!ctx.session?.user) return ctx.redirect(securePath);
    const users = await services.graphForUser<GraphUsers>(ctx, tokenCache, {
      scopes: registration.scopes,
      path: '/v1.0/users',
    });
    if (!users) return challenge(ctx);
    await renderUsers(ctx, users);
  });

  router.get(signOutPath, (ctx) => signOut(ctx, { identityPlatform }));

  return {
    router,
    links: {
      signIn: securePath,
      signOut: signOutPath,
      api: { href: usersPath, label: 'Users (Graph /v1.0/users)' },
    },
    tokenCache,
  };
}

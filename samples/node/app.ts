/**
 * node: mirrors the Node.js tab of today's "Web app that calls web APIs: remove accounts from the
 * cache on global sign-out" — Microsoft's Node sample (`Azure-Samples/ms-identity-node`, `App/`,
 * Express + express-session + msal-node). The page says this sample does NOT remove accounts from
 * the cache on global sign-out, and neither does this reproduction (`sign-out.ts`).
 *
 * Where the cache lives: serialized in the session (`req.session.tokenCache`); a new msal client is
 * built per request from it. Ending the session is what removes the tokens.
 *
 * Where it departs from the original, and why: its `state` is base64 JSON carrying where to return
 * (`successRedirect`, decoded and followed: an open redirect); here the state is random and the
 * return path is checked as every sample's is. Its `/users/id` prints every id token claim raw, the
 * `sid` included; here it shows who is signed in, never the `sid`.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { readForm } from '../../shared/core/read-form.ts';
import type { SampleRoutes } from '../../shared/sample/contract.ts';
import type { SampleServices } from '../../shared/sample/services.ts';
import { render } from '../../shared/web/render.ts';
import { registration } from './registration.ts';
import { signOut } from './sign-out.ts';

const signInPath = '/auth/signin';
const acquireTokenPath = '/auth/acquireToken';
const signOutPath = '/auth/signout';
const idPath = '/users/id';
const profilePath = '/users/profile';

export function createNodeRoutes(services: SampleServices): SampleRoutes {
  const { signIn, identityPlatform } = services;
  const tokenCache = services.tokenCaches.perSession();
  const challenge = async (ctx: Koa.Context, returnTo: string) => {
    ctx.redirect(
      await signIn.authorizationUrl(ctx, {
        scopes: registration.scopes,
        responseMode: 'form_post',
        returnTo,
      }),
    );
  };

  const router = new Router();
  router.get('/', (ctx) => render(ctx, 'home'));
  router.get(signInPath, (ctx) => challenge(ctx, '/'));
  // The one reply URL: a form_post response, state checked before the code is redeemed.
  router.post(registration.redirectPath, async (ctx) => {
    ctx.redirect(await signIn.complete(ctx, await readForm(ctx), tokenCache));
  });

  // The original acquires a token for Graph here, then goes on to the profile page; the profile
  // page here takes its token from the session's cache itself, so this route only leads there.
  router.get(acquireTokenPath, async (ctx) => {
    if (!ctx.session?.user) return challenge(ctx, profilePath);
    ctx.redirect(profilePath);
  });

  router.get(idPath, async (ctx) => {
    const user = ctx.session?.user;
    if (!user) return ctx.redirect(signInPath);
    const { name, username, homeAccountId } = user;
    await render(ctx, 'profile', {
      title: 'Your id token (who signed in)',
      record: { name, preferred_username: username, homeAccountId },
    });
  });

  router.get(profilePath, async (ctx) => {
    if (!ctx.session?.user) return challenge(ctx, profilePath);
    const profile = await services.graphForUser<Record<string, unknown>>(ctx, tokenCache, {
      scopes: registration.scopes,
      path: '/v1.0/me',
    });
    // No usable token in the session's cache: sign in again, as the original's acquireToken does.
    if (!profile) return challenge(ctx, profilePath);
    await render(ctx, 'profile', { title: 'Your profile (Graph /me)', record: profile });
  });

  router.get(signOutPath, (ctx) => signOut(ctx, { identityPlatform }));

  return {
    router,
    links: {
      signIn: signInPath,
      signOut: signOutPath,
      api: { href: acquireTokenPath, label: 'Profile (Graph /me)' },
    },
    tokenCache,
  };
}

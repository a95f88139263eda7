/**
 * node: mirrors the Node.js tab of today's "Web app that calls web APIs: remove accounts from the
 * cache on global sign-out" — Microsoft's Node sample (`Azure-Samples/ms-identity-node`, `App/`,
 * Express + express-session + msal-node). The page says this sample does NOT remove accounts from
 * the cache on global sign-out, and neither does this reproduction (`sign-out.ts`).
 *
 * Where the tokens live: msal's cache serialized in the session (`req.session.tokenCache`), a new
 * msal client built per request over it; and, beside it, a copy of the last access token
 * (`req.session.accessToken`), which the profile page calls Graph with. Ending the session is what
 * removes them.
 *
 * Where it departs from the original, and why:
 * - its `state` is base64 JSON of where to return (`{"successRedirect":"/"}`), the same for every
 *   sign-in, so only PKCE binds a response to the browser that started it; here the state is
 *   random, checked, and the return path is checked, as every sample's;
 * - its `/users/id` prints every id token claim raw, the `sid` included; here it shows who is
 *   signed in, never the `sid`;
 * - its profile page needs `/auth/acquireToken` first, and fails once the kept copy has expired;
 *   here it gets a copy when the session has none, and renews an expired one, once;
 * - it signs in with no scope and asks for `User.Read` at `/auth/acquireToken`; here the sign-in
 *   asks for `User.Read` already, so that its cache holds one access token, like the others'.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { GraphError } from '../../shared/core/graph-client.ts';
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
  router.get('/', (ctx) => render(ctx, 'home', { title: 'Home' }));
  router.get(signInPath, (ctx) => challenge(ctx, '/'));
  // The one reply URL: a form_post response, state checked before the code is redeemed.
  router.post(registration.redirectPath, async (ctx) => {
    ctx.redirect(await signIn.complete(ctx, await readForm(ctx), tokenCache));
  });

  // As the original: a token for Graph from the session's cache (silently; refreshed with the
  // cached refresh token when the cached access token is near its end), a copy of it kept in the
  // session, then the profile page, which calls Graph with that copy.
  const keepToken = async (ctx: Koa.Context, forceRefresh = false) => {
    const accessToken = await services.tokenForUser(ctx, tokenCache, {
      scopes: registration.scopes,
      forceRefresh,
    });
    if (accessToken && ctx.session) ctx.session.accessToken = accessToken;
    return accessToken;
  };
  router.get(acquireTokenPath, async (ctx) => {
    if (!ctx.session?.user || !(await keepToken(ctx))) return challenge(ctx, profilePath);
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
    if (!ctx.session?.user) return ctx.redirect(signInPath);
    const me = () => services.graphWithKeptToken<Record<string, unknown>>(ctx, '/v1.0/me');
    let profile: Record<string, unknown> | undefined;
    try {
      // The copy kept in the session; none yet (a visit before `/auth/acquireToken`): one now.
      if (!ctx.session.accessToken && !(await keepToken(ctx))) return challenge(ctx, profilePath);
      profile = await me();
    } catch (error) {
      if (!(error instanceof GraphError && error.status === 401)) throw error;
      // The API refused the copy (expired): where the original shows an error page, this one
      // gets a new one with the refresh token, once.
      if (!(await keepToken(ctx, true))) return challenge(ctx, profilePath);
      profile = await me();
    }
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

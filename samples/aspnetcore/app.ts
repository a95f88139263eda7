/**
 * aspnetcore: mirrors the ASP.NET Core tab of "Web app that calls web APIs: remove accounts from
 * the cache on global sign-out" (Microsoft.Identity.Web). Same routes; the token cache has one
 * partition per user (keyed by home account id) in the sample's store, like its distributed cache.
 *
 * The lesson is in `sign-out.ts`: the user's tokens leave the cache on every sign-out, local or
 * global. The rest is an ordinary sign-in and one API call.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { queryParams, readForm } from '../../shared/core/read-form.ts';
import { PendingSignOuts } from '../../shared/core/session/pending-sign-outs.ts';
import { SESSION_MAX_AGE_MS } from '../../shared/core/session/sessions.ts';
import { removeEverythingOf } from '../../shared/core/sign-out.ts';
import type { SampleRoutes } from '../../shared/sample/contract.ts';
import type { SampleServices } from '../../shared/sample/services.ts';
import { render } from '../../shared/web/render.ts';
import { registration } from './registration.ts';
import { frontChannelSignOut, signOut } from './sign-out.ts';

const signInPath = '/AzureAD/Account/SignIn';
const signOutPath = '/AzureAD/Account/SignOut';
const signedOutPath = '/AzureAD/Account/SignedOut';
const profilePath = '/Home/Profile';

export function createAspNetCoreRoutes(services: SampleServices): SampleRoutes {
  const { signIn, sessions, identityPlatform } = services;
  // Tokens live no longer than the sessions that use them: a partition no session can reach
  // would be a partition no sign-out can find. Each write of the partition (at sign-in, at a
  // refresh) lives no later than the session of the request that writes it.
  const tokenCache = services.tokenCaches.perUser({
    ttlSeconds: SESSION_MAX_AGE_MS / 1000,
    store: 'shared',
    boundToSessions: true,
  });
  // Front-channel sign-outs that arrive while the store does not answer: never lost.
  const pendingSignOuts = new PendingSignOuts(
    (sid) => removeEverythingOf(sid, { tokenCache, sessions }),
    services.app,
  );
  const challenge = (ctx: Koa.Context, returnTo: string) =>
    ctx.redirect(`${signInPath}?redirectUri=${encodeURIComponent(returnTo)}`);

  const router = new Router();
  // A session whose identity platform session has a sign-out waiting here is signed out first.
  router.use(pendingSignOuts.middleware());

  router.get('/', (ctx) => render(ctx, 'home', { title: 'Home' }));

  router.get(signInPath, async (ctx) => {
    // After a claims challenge msal could not meet silently (Continuous Access Evaluation), the
    // sign-in carries its claims, as Microsoft.Identity.Web's challenge does: kept in the session
    // by the refused API call, taken once.
    const claims = ctx.session?.claimsChallenge;
    if (ctx.session && claims) delete ctx.session.claimsChallenge;
    const url = await signIn.authorizationUrl(ctx, {
      scopes: registration.scopes,
      responseMode: 'form_post',
      returnTo: queryParams(ctx).redirectUri,
      claims,
    });
    ctx.redirect(url);
  });

  router.post(registration.redirectPath, async (ctx) => {
    ctx.redirect(await signIn.complete(ctx, await readForm(ctx), tokenCache));
  });

  router.get(profilePath, async (ctx) => {
    if (!ctx.session?.user) return challenge(ctx, profilePath);
    const profile = await services.graphForUser<Record<string, unknown>>(ctx, tokenCache, {
      scopes: registration.scopes,
      path: '/v1.0/me',
    });
    // No usable token in the cache (e.g. removed by a sign-out elsewhere), or a claims challenge
    // that needs the user (its claims kept in the session): sign in again.
    if (!profile) return challenge(ctx, profilePath);
    await render(ctx, 'profile', { title: 'Your profile (Graph /me)', record: profile });
  });

  router.get(signOutPath, (ctx) => signOut(ctx, { tokenCache, sessions, identityPlatform }));
  // The identity platform sends the browser here after sign-out, then we show the signed-out page.
  router.get(registration.postLogoutRedirectPath, (ctx) => ctx.redirect(signedOutPath));
  router.get(signedOutPath, (ctx) => render(ctx, 'signed-out', { title: 'Signed out' }));

  // The front-channel logout URL registered for this app: GET (Entra) or form POST.
  const frontChannel = frontChannelSignOut({ identityPlatform, pendingSignOuts });
  router.get(registration.frontChannelLogoutPath, (ctx) => frontChannel(ctx, queryParams(ctx)));
  router.post(registration.frontChannelLogoutPath, async (ctx) =>
    frontChannel(ctx, await readForm(ctx)),
  );

  return {
    router,
    links: {
      signIn: signInPath,
      signOut: signOutPath,
      api: { href: profilePath, label: 'Profile (Graph /me)' },
    },
    tokenCache,
    close: () => pendingSignOuts.close(),
  };
}

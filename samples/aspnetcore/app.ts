/**
 * aspnetcore: mirrors the ASP.NET Core tab of "Web app that calls web APIs: remove accounts from
 * the cache on global sign-out" (Microsoft.Identity.Web). Same routes; the token cache has one
 * partition per user (keyed by home account id) in a shared store, like its distributed cache.
 *
 * The lesson is in `sign-out.ts`: the user's tokens leave the cache on every sign-out, local or
 * global. The rest is an ordinary sign-in and one API call.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { SESSION_MAX_AGE_MS } from '../../shared/session/session.ts';
import { PerUserTokenCache } from '../../shared/token-cache/per-user-token-cache.ts';
import { graphForUser } from '../../shared/web/graph-for-user.ts';
import { queryParams, readForm } from '../../shared/web/read-form.ts';
import { render } from '../../shared/web/render.ts';
import type { Sample, SampleServices } from '../../shared/web/sample-app.ts';
import { frontChannelSignOut, signOut } from './sign-out.ts';

const signInPath = '/MicrosoftIdentity/Account/SignIn';
const signOutPath = '/MicrosoftIdentity/Account/SignOut';
const signedOutPath = '/MicrosoftIdentity/Account/SignedOut';
const profilePath = '/Home/Profile';
/** The original Graph sample showed the user's profile: Graph `/me` with `User.Read`. */
const graphScopes = ['User.Read'];

export function createAspNetCoreSample(services: SampleServices): Sample {
  const { registration } = services.settings.sample;
  const tokenCache = new PerUserTokenCache(services.store, {
    keyPrefix: 'aspnetcore:msal:',
    // Tokens live no longer than the sessions that use them: a partition no session can reach
    // would be a partition no sign-out can find.
    ttlSeconds: SESSION_MAX_AGE_MS / 1000,
  });
  /** A msal client over this user's cache partition (or, before sign-in, an empty one). */
  const msalFor = (homeAccountId?: string) =>
    services.msalClient(tokenCache.partition(homeAccountId));

  const router = new Router();

  router.get('/', (ctx) => render(ctx, 'home'));

  router.get(signInPath, async (ctx) => {
    const url = await services.signIn.authorizationUrl(ctx, msalFor(), {
      scopes: graphScopes,
      responseMode: 'form_post',
      returnTo: queryParams(ctx).redirectUri,
    });
    ctx.redirect(url);
  });

  router.post(registration.redirectPath, async (ctx) => {
    ctx.redirect(await services.signIn.complete(ctx, msalFor(), await readForm(ctx)));
  });

  router.get(profilePath, async (ctx) => {
    const user = ctx.session?.user;
    if (!user) return challenge(ctx, profilePath);
    const profile = await graphForUser<Record<string, unknown>>(
      services,
      msalFor(user.homeAccountId),
      user,
      { scopes: graphScopes, path: '/v1.0/me' },
    );
    // No usable token in the cache (e.g. removed by a sign-out elsewhere): sign in again.
    if (!profile) return challenge(ctx, profilePath);
    await render(ctx, 'profile', { title: 'Your profile (Graph /me)', record: profile });
  });

  router.get(signOutPath, (ctx) => signOut(ctx, services, tokenCache));
  // The identity platform sends the browser here after sign-out, then we show the signed-out page.
  router.get(registration.postLogoutRedirectPath, (ctx) => ctx.redirect(signedOutPath));
  router.get(signedOutPath, (ctx) => render(ctx, 'signed-out'));

  // The front-channel logout URL registered for this app: GET (Entra) or form POST.
  const frontChannelPath = registration.frontChannelLogoutPath;
  if (!frontChannelPath) throw new Error('aspnetcore registers a front-channel logout URL');
  router.get(frontChannelPath, (ctx) =>
    frontChannelSignOut(ctx, queryParams(ctx), services, tokenCache),
  );
  router.post(frontChannelPath, async (ctx) =>
    frontChannelSignOut(ctx, await readForm(ctx), services, tokenCache),
  );

  return {
    router,
    links: {
      signIn: signInPath,
      signOut: signOutPath,
      api: { href: profilePath, label: 'Profile (Graph /me)' },
    },
    tokenCacheSummary: () => tokenCache.summary(),
  };
}

function challenge(ctx: Koa.Context, returnTo: string): void {
  ctx.redirect(`${signInPath}?redirectUri=${encodeURIComponent(returnTo)}`);
}

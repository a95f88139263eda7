/**
 * identity-web-today: a web app on Microsoft.Identity.Web as it is today, reproduced for the
 * comparison alone (it is not a sample: nothing in samples/ starts it, and no setting of
 * `aspnetcore` turns aspnetcore into it). Its token cache is Microsoft.Identity.Web's distributed
 * one: a partition per user in the app's store, like aspnetcore's. The lesson is in `sign-out.ts`.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { queryParams, readForm } from '../../../shared/core/read-form.ts';
import { SESSION_MAX_AGE_MS } from '../../../shared/core/session/sessions.ts';
import type { SampleDefinition, SampleRoutes } from '../../../shared/sample/contract.ts';
import type { SampleServices } from '../../../shared/sample/services.ts';
import { render } from '../../../shared/web/render.ts';
import { registration } from './registration.ts';
import { onGlobalSignOut, remoteSignOut, signOut } from './sign-out.ts';

// Microsoft.Identity.Web.UI's account controller, and a page calling Graph /me.
const signInPath = '/MicrosoftIdentity/Account/SignIn';
const signOutPath = '/MicrosoftIdentity/Account/SignOut';
const signedOutPath = '/MicrosoftIdentity/Account/SignedOut';
const profilePath = '/Home/Profile';

function createRoutes(services: SampleServices): SampleRoutes {
  const { signIn, identityPlatform } = services;
  const tokenCache = services.tokenCaches.perUser({
    ttlSeconds: SESSION_MAX_AGE_MS / 1000,
    store: 'shared',
  });
  const challenge = async (ctx: Koa.Context, returnTo: string) =>
    ctx.redirect(
      await signIn.authorizationUrl(ctx, {
        scopes: registration.scopes,
        responseMode: 'form_post',
        returnTo,
      }),
    );

  const router = new Router();
  router.get('/', (ctx) => render(ctx, 'home'));
  router.get(signInPath, (ctx) => challenge(ctx, '/'));
  router.post(registration.redirectPath, async (ctx) => {
    ctx.redirect(await signIn.complete(ctx, await readForm(ctx), tokenCache));
  });
  router.get(profilePath, async (ctx) => {
    if (!ctx.session?.user) return challenge(ctx, profilePath);
    const profile = await services.graphForUser<Record<string, unknown>>(ctx, tokenCache, {
      scopes: registration.scopes,
      path: '/v1.0/me',
    });
    if (!profile) return challenge(ctx, profilePath);
    await render(ctx, 'profile', { title: 'Your profile (Graph /me)', record: profile });
  });
  router.get(signOutPath, (ctx) => signOut(ctx, { tokenCache, identityPlatform }));
  router.get(registration.postLogoutRedirectPath, (ctx) => ctx.redirect(signedOutPath));
  router.get(signedOutPath, (ctx) => render(ctx, 'signed-out'));
  const frontChannel = remoteSignOut(services);
  router.get(registration.frontChannelLogoutPath, (ctx) => frontChannel(ctx, queryParams(ctx)));

  return {
    router,
    links: {
      signIn: signInPath,
      signOut: signOutPath,
      api: { href: profilePath, label: 'Profile (Graph /me)' },
    },
    tokenCache,
  };
}

/** Started beside the samples by the comparison, and registered at the emulator as they are. */
export const identityWebToday = {
  registration,
  onGlobalSignOut,
  createRoutes,
} satisfies SampleDefinition;

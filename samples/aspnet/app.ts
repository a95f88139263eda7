/**
 * aspnet: mirrors the ASP.NET tab of "Web app that calls web APIs: remove accounts from the cache
 * on global sign-out" (ASP.NET MVC with OWIN). The page says this sample does NOT remove accounts
 * from the cache on global sign-out, and neither does this reproduction.
 *
 * Where the cache lives: one process-wide memory cache (the original used `MemoryCache.Default`),
 * one entry per user keyed `oid.tid`, expiring 48 hours after it was last written.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { MemoryStore } from '../../shared/store/key-value-store.ts';
import { PerUserTokenCache } from '../../shared/token-cache/per-user-token-cache.ts';
import { graphForUser } from '../../shared/web/graph-for-user.ts';
import { readForm } from '../../shared/web/read-form.ts';
import { render } from '../../shared/web/render.ts';
import type { Sample, SampleServices } from '../../shared/web/sample-app.ts';

const signInPath = '/Account/SignIn';
const signOutPath = '/Account/SignOut';
const readMailPath = '/Home/ReadMail';
/** The original read the user's mail: Graph `/me/messages` with `Mail.Read`. */
const graphScopes = ['Mail.Read'];

interface GraphMessages {
  value: Array<{
    subject: string;
    receivedDateTime: string;
    from?: { emailAddress?: { name?: string } };
  }>;
}

export function createAspNetSample(services: SampleServices): Sample {
  const { sample } = services.settings;
  // In this process's memory, whatever store the sessions use: `MemoryCache.Default` was not
  // shared between instances. In Entra ID the home account id (`uid.utid`) is `oid.tid`.
  const tokenCache = new PerUserTokenCache(new MemoryStore(), {
    keyPrefix: 'aspnet:msal:',
    ttlSeconds: 48 * 60 * 60,
  });
  const msalFor = (homeAccountId?: string) =>
    services.msalClient(tokenCache.partition(homeAccountId));
  const challenge = async (ctx: Koa.Context, returnTo: string) => {
    ctx.redirect(
      await services.signIn.authorizationUrl(ctx, msalFor(), {
        scopes: graphScopes,
        responseMode: 'form_post',
        returnTo,
      }),
    );
  };

  const router = new Router();
  router.get('/', (ctx) => render(ctx, 'home'));
  // The redirect URI is the site root: OWIN's middleware picks the form_post response up there.
  router.post(sample.registration.redirectPath, async (ctx) => {
    ctx.redirect(await services.signIn.complete(ctx, msalFor(), await readForm(ctx)));
  });
  router.get(signInPath, (ctx) => challenge(ctx, '/'));

  router.get(readMailPath, async (ctx) => {
    const user = ctx.session?.user;
    if (!user) return challenge(ctx, readMailPath);
    const mail = await graphForUser<GraphMessages>(services, msalFor(user.homeAccountId), user, {
      scopes: graphScopes,
      path: '/v1.0/me/messages',
    });
    if (!mail) return challenge(ctx, readMailPath);
    await render(ctx, 'table', {
      title: 'Your mail (Graph /me/messages)',
      headings: ['Received', 'From', 'Subject'],
      rows: mail.value.map((message) => [
        message.receivedDateTime,
        message.from?.emailAddress?.name ?? '',
        message.subject,
      ]),
    });
  });

  // Local sign-out: clear this user's cache entry, end the session, and go to the end-session
  // endpoint with only the post-logout redirect URI. There is no front-channel logout URL: when
  // the user signs out elsewhere, this sample's session and cache entry both survive.
  router.get(signOutPath, async (ctx) => {
    const user = ctx.session?.user;
    if (user) await tokenCache.remove(user.homeAccountId);
    ctx.session = null;
    ctx.redirect(services.endSessionUrl());
  });

  return {
    router,
    links: {
      signIn: signInPath,
      signOut: signOutPath,
      api: { href: readMailPath, label: 'Read mail (Graph /me/messages)' },
    },
    tokenCacheSummary: () => tokenCache.summary(),
  };
}

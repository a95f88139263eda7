/**
 * aspnet: mirrors the ASP.NET tab of "Web app that calls web APIs: remove accounts from the cache
 * on global sign-out" (ASP.NET MVC with OWIN). The page says this sample does NOT remove accounts
 * from the cache on global sign-out, and neither does this reproduction (`sign-out.ts`).
 *
 * Where the cache lives: one process-wide memory cache (the original used `MemoryCache.Default`),
 * one entry per user keyed `oid.tid`, expiring 48 hours after it was last written.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { readForm } from '../../shared/core/read-form.ts';
import type { SampleRoutes } from '../../shared/sample/contract.ts';
import type { SampleServices } from '../../shared/sample/services.ts';
import { render } from '../../shared/web/render.ts';
import { registration } from './registration.ts';
import { signOut } from './sign-out.ts';

const signInPath = '/Account/SignIn';
const signOutPath = '/Account/SignOut';
const readMailPath = '/Home/ReadMail';

interface GraphMessages {
  value: Array<{
    subject: string;
    receivedDateTime: string;
    from?: { emailAddress?: { name?: string } };
  }>;
}

export function createAspNetRoutes(services: SampleServices): SampleRoutes {
  const { signIn, identityPlatform } = services;
  // In this process's memory, whatever store the sessions use: `MemoryCache.Default` was not
  // shared between instances. In Entra ID the home account id (`uid.utid`) is `oid.tid`.
  const tokenCache = services.tokenCaches.perUser({ ttlSeconds: 48 * 60 * 60, store: 'process' });
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
  // The redirect URI is the site root: OWIN's middleware picks the form_post response up there.
  router.post(registration.redirectPath, async (ctx) => {
    ctx.redirect(await signIn.complete(ctx, await readForm(ctx), tokenCache));
  });
  router.get(signInPath, (ctx) => challenge(ctx, '/'));

  router.get(readMailPath, async (ctx) => {
    if (!ctx.session?.user) return challenge(ctx, readMailPath);
    const mail = await services.graphForUser<GraphMessages>(ctx, tokenCache, {
      scopes: registration.scopes,
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

  router.get(signOutPath, (ctx) => signOut(ctx, { tokenCache, identityPlatform }));

  return {
    router,
    links: {
      signIn: signInPath,
      signOut: signOutPath,
      api: { href: readMailPath, label: 'Read mail (Graph /me/messages)' },
    },
    tokenCache,
  };
}

import Router from '@koa/router';
import Koa from 'koa';
import { sessionMiddleware } from '../core/session/session-middleware.ts';
import { labelOf } from '../timeline/timeline.ts';
import { allowedHosts } from '../web/allowed-hosts.ts';
import { pageHeaders } from '../web/page-headers.ts';
import { FAVICON, render } from '../web/render.ts';
import type { SampleDefinition, SampleRoutes } from './contract.ts';
import { errorPages } from './error-pages.ts';
import { inspect } from './inspector.ts';
import type { SampleServices } from './services.ts';
import { signOutObserver } from './sign-out-observer.ts';

function clientWentAway(error: NodeJS.ErrnoException): boolean {
  return (
    error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.code?.startsWith('HPE_') === true
  );
}

function methodNotAllowed(): Error {
  return Object.assign(new Error('Method Not Allowed'), { status: 405, expose: true });
}

/** The Koa app of one sample: shared middleware, the cache inspector, then the sample's routes. */
export function createSampleApp(
  services: SampleServices,
  definition: SampleDefinition,
  /** `npm start`'s landing page, which every page links back to. */
  landingUrl?: string,
): { app: Koa; routes: SampleRoutes } {
  const { settings } = services;
  const routes = definition.createRoutes(services);
  const app = new Koa();
  app.keys = settings.sessionKeys;
  // What reaches Koa's own error handler here is only what the error pages could not answer: a
  // client that went away mid-request (a body cut short) is not worth a stack trace in the log.
  app.on('error', (error: NodeJS.ErrnoException) => {
    if (!clientWentAway(error)) console.error(`[${settings.registration.displayName}]`, error);
  });
  // Over https the samples expect a TLS-terminating proxy in front (X-Forwarded-Proto).
  app.proxy = settings.baseUrl.startsWith('https:');

  const { frontChannelLogoutPath } = settings.registration;
  // Pages run no script; their one inline <style> carries the response's nonce. No page may be
  // framed, but the registered front-channel logout URL, by the identity platform: its sign-out
  // page shows what each app answered there (a 404 too).
  app.use(
    pageHeaders((ctx, nonce) => ({
      'default-src': "'none'",
      'style-src': nonce,
      'img-src': "'self'",
      'form-action': "'self'",
      'frame-ancestors':
        ctx.path === frontChannelLogoutPath ? services.identityPlatform.origin : "'none'",
      'base-uri': "'none'",
    })),
  );
  app.use(allowedHosts([settings.baseUrl]));
  app.use(async (ctx, next) => {
    // What every page's layout shows (set before the error pages: they use it too).
    ctx.state.sample = settings.registration.displayName;
    ctx.state.links = routes.links;
    ctx.state.landingUrl = landingUrl;
    ctx.state.user = undefined;
    ctx.state.tokenUsed = undefined;
    await next();
  });
  app.use(errorPages);
  if (settings.baseUrl.startsWith('https:')) {
    // Served over https by a TLS-terminating proxy: a request that did not come through it
    // (plain http, no X-Forwarded-Proto) could not be given the sample's Secure cookies.
    app.use(async (ctx, next) => {
      if (!ctx.secure) {
        const variable = `${settings.name.toUpperCase()}_BASE_URL`;
        return ctx.throw(
          400,
          `This sample is served at ${settings.baseUrl} (${variable}): reach it there, through the proxy that terminates TLS and sends X-Forwarded-Proto: https.`,
        );
      }
      await next();
    });
  }
  app.use(
    sessionMiddleware(app, {
      cookieName: `${settings.name}.session`,
      sessions: services.sessions,
      secure: settings.baseUrl.startsWith('https:'),
      frontChannelLogoutPath,
    }),
  );
  app.use(async (ctx, next) => {
    ctx.state.user = ctx.session?.user;
    // How the timeline and the inspector name the user's identity platform session.
    ctx.state.sessionLabel = labelOf(ctx.session?.user?.sid);
    await next();
  });
  app.use(
    signOutObserver({
      timeline: services.timeline,
      sessions: services.sessions,
      localSignOutPath: routes.links.signOut,
      frontChannelLogoutPath,
    }),
  );

  const own = new Router();
  own.get('/favicon.ico', (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.body = FAVICON;
  });
  own.get('/cache', async (ctx) => {
    if (!settings.cacheInspector) return ctx.throw(404);
    // The token cache, and the sessions and `sid` records beside it: what a sign-out must remove.
    const summary = await inspect(routes.tokenCacheSummary, services.sessions, services.timeline);
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = summary;
    } else {
      await render(ctx, 'cache', {
        summary,
        events: services.timeline.all().slice(-30).reverse(),
        cacheUrl: `${settings.baseUrl}/cache`,
      });
    }
  });
  app.use(own.routes());
  app.use(routes.router.routes());
  // OPTIONS answered, other methods refused with 405 (never 501: a request cannot make a 5xx).
  app.use(routes.router.allowedMethods({ throw: true, notImplemented: methodNotAllowed }));
  return { app, routes };
}

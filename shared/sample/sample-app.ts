import Router from '@koa/router';
import Koa from 'koa';
import { allowedHosts } from '../core/allowed-hosts.ts';
import { sessionMiddleware } from '../core/session/session-middleware.ts';
import { labelOf } from '../timeline/timeline.ts';
import { pageHeaders } from '../web/page-headers.ts';
import type {} from '../web/page-state.ts';
import { FAVICON, framedTextPage } from '../web/render.ts';
import type { SampleDefinition, SampleRoutes } from './contract.ts';
import { errorPages } from './error-pages.ts';
import { cacheInspector } from './inspector.ts';
import type { SampleServices } from './services.ts';
import { signOutObserver } from './sign-out-observer.ts';

/**
 * The Koa app of one sample: the shared middleware, in order, then the cache inspector, then the
 * sample's routes. Each step is a named function below.
 */
export function createSampleApp(
  services: SampleServices,
  definition: SampleDefinition,
  /** `npm start`'s landing page, which every page links back to. */
  landingUrl?: string,
): { app: Koa; routes: SampleRoutes } {
  const { settings, sessions, timeline } = services;
  const routes = definition.createRoutes(services);
  const app = new Koa();
  app.keys = settings.sessionKeys;
  const https = settings.baseUrl.startsWith('https:');
  // Over https the samples expect a TLS-terminating proxy in front (X-Forwarded-Proto).
  app.proxy = https;
  app.on('error', logUnanswered(settings.registration.displayName));
  const { frontChannelLogoutPath } = settings.registration;

  app.use(securityHeaders(frontChannelLogoutPath, services.identityPlatform.origin));
  app.use(allowedHosts([settings.baseUrl]));
  app.use(layoutState(settings.registration.displayName, routes.links, landingUrl));
  app.use(errorPages);
  if (frontChannelLogoutPath) app.use(frontChannelAnswerAsPage(frontChannelLogoutPath));
  if (https) app.use(onlyThroughTheProxy(settings));
  app.use(
    sessionMiddleware(app, {
      cookieName: `${settings.name}.session`,
      sessions,
      secure: https,
      frontChannelLogoutPath,
    }),
  );
  app.use(signedInState);
  app.use(
    signOutObserver({
      timeline,
      sessions,
      localSignOutPath: routes.links.signOut,
      frontChannelLogoutPath,
    }),
  );
  app.use(favicon().routes());
  if (settings.cacheInspector) {
    app.use(cacheInspector(routes.tokenCache, services, `${settings.baseUrl}/cache`).routes());
  }
  app.use(routes.router.routes());
  // OPTIONS answered, other methods refused with 405 (never 501: a request cannot make a 5xx).
  app.use(routes.router.allowedMethods({ throw: true, notImplemented: methodNotAllowed }));
  return { app, routes };
}

/**
 * What reaches Koa's own error handler is only what the error pages could not answer: a client
 * that went away mid-request (a body cut short) is not worth a stack trace in the log.
 */
function logUnanswered(sample: string) {
  return (error: NodeJS.ErrnoException) => {
    const wentAway =
      error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.code?.startsWith('HPE_');
    if (!wentAway) console.error(`[${sample}]`, error);
  };
}

/**
 * Pages run no script; their one inline <style> carries the response's nonce. No page may be
 * framed, but the registered front-channel logout URL, by the identity platform: its sign-out
 * page shows what each app answered there (a 404 too).
 */
function securityHeaders(frontChannelLogoutPath: string | undefined, identityPlatform: string) {
  return pageHeaders((ctx, nonce) => ({
    'default-src': "'none'",
    'style-src': nonce,
    'img-src': "'self'",
    'form-action': "'self'",
    'frame-ancestors': ctx.path === frontChannelLogoutPath ? identityPlatform : "'none'",
    'base-uri': "'none'",
  }));
}

/** What every page's layout shows (set before the error pages: they use it too). */
function layoutState(
  sample: string,
  links: SampleRoutes['links'],
  landingUrl: string | undefined,
): Koa.Middleware {
  return async (ctx, next) => {
    Object.assign(ctx.state, { sample, links, landingUrl, user: undefined, tokenUsed: undefined });
    await next();
  };
}

/**
 * The front-channel logout URL's answer (the core's, in plain text) is what the identity
 * platform's sign-out page shows in its frame: there, a page of its own, with a title and a
 * language, that a screen reader can name. Its status and headers stay the core's.
 */
function frontChannelAnswerAsPage(path: string): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.path !== path || !ctx.response.is('text/plain') || typeof ctx.body !== 'string') return;
    const page = framedTextPage(ctx.state.sample ?? '', 'Front-channel sign-out', ctx.body);
    ctx.type = 'html';
    ctx.body = page;
  };
}

/**
 * Served over https by a TLS-terminating proxy: a request that did not come through it (plain
 * http, no X-Forwarded-Proto) could not be given the sample's Secure cookies.
 */
function onlyThroughTheProxy(settings: SampleServices['settings']): Koa.Middleware {
  const variable = `${settings.name.toUpperCase()}_BASE_URL`;
  return async (ctx, next) => {
    if (!ctx.secure) {
      return ctx.throw(
        400,
        `This sample is served at ${settings.baseUrl} (${variable}): reach it there, through the proxy that terminates TLS and sends X-Forwarded-Proto: https.`,
      );
    }
    await next();
  };
}

/** Who is signed in, for the pages, and how they name the user's identity platform session. */
async function signedInState(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  ctx.state.user = ctx.session?.user;
  ctx.state.sessionLabel = labelOf(ctx.session?.user?.sid);
  await next();
}

function favicon(): Router {
  return new Router().get('/favicon.ico', (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.body = FAVICON;
  });
}

function methodNotAllowed(): Error {
  return Object.assign(new Error('Method Not Allowed'), { status: 405, expose: true });
}

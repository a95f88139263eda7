import type { ConfidentialClientApplication } from '@azure/msal-node';
import Router from '@koa/router';
import Koa from 'koa';
import type { Settings } from '../config/settings.ts';
import { callGraph, GraphError } from '../graph-client.ts';
import { type EndSessionRequest, endSessionUrl } from '../msal/end-session.ts';
import type { IdentityProvider } from '../msal/identity-provider.ts';
import { createMsalClient } from '../msal/msal-client.ts';
import { OpenIdSignIn, SignInError } from '../msal/sign-in.ts';
import { SessionStore, sessionMiddleware } from '../session/session.ts';
import { SessionsBySid } from '../session/sessions-by-sid.ts';
import type { KeyValueStore } from '../store/key-value-store.ts';
import type { TokenCachePartition } from '../token-cache/cache-plugin.ts';
import type { TokenCacheSummary } from '../token-cache/serialized-cache.ts';
import { render } from './render.ts';

/** What every sample is given: the mechanics they share. What differs is in each sample's folder. */
export interface SampleServices {
  settings: Settings;
  provider: IdentityProvider;
  /** Server-side storage for sessions, the sid index and (for some samples) the token cache. */
  store: KeyValueStore;
  /** This sample's sessions (server-side). */
  sessions: SessionStore;
  sessionsBySid: SessionsBySid;
  signIn: OpenIdSignIn;
  /** A msal client for this request, over one partition of the token cache. */
  msalClient(partition: TokenCachePartition): ConfidentialClientApplication;
  callGraph<T>(path: string, accessToken: string): Promise<T>;
  /** The end-session URL, returning to this sample's registered post-logout redirect URI. */
  endSessionUrl(options?: Omit<EndSessionRequest, 'postLogoutRedirectUri'>): string;
}

/** What a sample contributes: its routes, its links, and a view of its token cache. */
export interface Sample {
  router: Router;
  links: { signIn: string; signOut: string; api: { href: string; label: string } };
  /** Everything the sample's token cache holds, for the inspector. Counts only, never tokens. */
  tokenCacheSummary(): Promise<TokenCacheSummary>;
}

export type SampleFactory = (services: SampleServices) => Sample;

export function createSampleServices(
  settings: Settings,
  provider: IdentityProvider,
  store: KeyValueStore,
): SampleServices {
  const { name } = settings.sample;
  const sessions = new SessionStore(store, `${name}:session:`);
  const sessionsBySid = new SessionsBySid(store, `${name}:sid:`, sessions);
  return {
    settings,
    provider,
    store,
    sessions,
    sessionsBySid,
    signIn: new OpenIdSignIn(settings.sample, provider, store),
    msalClient: (partition) => createMsalClient(provider, settings.sample, partition),
    callGraph: (path, accessToken) => callGraph(settings.identity.graphUrl, path, accessToken),
    endSessionUrl: (options = {}) =>
      endSessionUrl(provider, {
        postLogoutRedirectUri:
          settings.sample.baseUrl + settings.sample.registration.postLogoutRedirectPath,
        ...options,
      }),
  };
}

/** The Koa app of one sample: shared middleware, the cache inspector, then the sample's routes. */
export function createSampleApp(
  services: SampleServices,
  createSample: SampleFactory,
): { app: Koa; sample: Sample } {
  const { sample: settings } = services.settings;
  const sample = createSample(services);
  const app = new Koa();
  app.keys = settings.sessionKeys;
  // Over https the samples expect a TLS-terminating proxy in front (X-Forwarded-Proto).
  app.proxy = settings.baseUrl.startsWith('https:');

  app.use(async (ctx, next) => {
    // What every page's layout shows (set first: error pages use it too).
    ctx.state.sample = settings.registration.displayName;
    ctx.state.links = sample.links;
    ctx.state.user = undefined;
    await next();
  });
  app.use(errorPages);
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('Content-Security-Policy', "frame-ancestors 'none'");
    await next();
  });
  app.use(
    sessionMiddleware(app, {
      cookieName: `${settings.name}.session`,
      sessions: services.sessions,
      sessionsBySid: services.sessionsBySid,
      secure: settings.baseUrl.startsWith('https:'),
    }),
  );
  app.use(async (ctx, next) => {
    ctx.state.user = ctx.session?.user;
    await next();
  });

  const inspector = new Router();
  inspector.get('/cache', async (ctx) => {
    if (!settings.cacheInspector) return ctx.throw(404);
    const summary = await sample.tokenCacheSummary();
    ctx.set('Cache-Control', 'no-store');
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = summary;
    } else {
      await render(ctx, 'cache', { summary });
    }
  });
  app.use(inspector.routes());
  app.use(sample.router.routes());
  app.use(sample.router.allowedMethods());
  return { app, sample };
}

/** Errors a user can cause become a page (or JSON) saying what happened; others are logged. */
async function errorPages(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) ctx.throw(404);
  } catch (error) {
    const { status, title, message, detail } = describe(error);
    if (status >= 500) console.error(`[${ctx.method} ${ctx.path}]`, error);
    ctx.status = status;
    ctx.set('Cache-Control', 'no-store');
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = { error: title, message, ...(detail ? { detail } : {}) };
    } else {
      await render(ctx, 'error', { title, message, detail, user: ctx.session?.user });
    }
  }
}

function describe(error: unknown): {
  status: number;
  title: string;
  message: string;
  detail?: string;
} {
  if (error instanceof SignInError) {
    return {
      status: 400,
      title: 'Sign-in failed',
      message: error.message,
      ...(error.detail ? { detail: error.detail } : {}),
    };
  }
  if (error instanceof GraphError) {
    return {
      status: 502,
      title: 'The API call failed',
      message: `The API answered ${error.status} ${error.code}.`,
      detail: error.message,
    };
  }
  const httpError = error as { status?: number; expose?: boolean; message?: string };
  if (typeof httpError.status === 'number' && httpError.status < 500 && httpError.expose) {
    return {
      status: httpError.status,
      title: httpError.message ?? 'Error',
      message: httpError.message ?? '',
    };
  }
  return { status: 500, title: 'Something went wrong', message: 'The server failed; see its log.' };
}

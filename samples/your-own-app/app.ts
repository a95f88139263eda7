/**
 * Your own Koa app, with the core (`shared/core/`) and nothing else of this project: it signs users
 * in with msal-node, calls Microsoft Graph with their tokens, and removes those tokens on every
 * sign-out, this app's and the identity platform's. The walk-through is docs/your-own-koa-app.md;
 * biome.json keeps this file importing only the core.
 *
 * - Sign-in: authorization code with PKCE, the answer as a form_post (`OpenIdSignIn`). Each user's
 *   tokens live in a partition of their own (`PerUserTokenCache`), in memory or in Redis.
 * - Sign-out here: the user's partition and sessions go, then the identity platform's end-session
 *   URL.
 * - Sign-out anywhere else: the identity platform loads the front-channel logout URL with `?sid=`,
 *   and no cookie of this app (a cross-site frame). The sessions recorded under that `sid` at
 *   sign-in name whose tokens to remove.
 */
import Router from '@koa/router';
import Koa from 'koa';
// Everything of the mechanism comes from the core: it reads `core.…` below.
import * as core from '../../shared/core/index.ts';

/** The app's paths. The identity platform knows three of them: see `registrationFor`. */
export const paths = {
  signIn: '/sign-in',
  redirect: '/auth/redirect',
  profile: '/profile',
  signOut: '/sign-out',
  signedOut: '/signed-out',
  frontChannelLogout: '/auth/front-channel-logout',
} as const;

/** What the app asks Microsoft Graph for: the user's profile, `/v1.0/me`. */
const scopes = ['User.Read'];
const me = { scopes, path: '/v1.0/me' };
const shown = ['displayName', 'userPrincipalName', 'jobTitle', 'mail'] as const;

/** What to register for this app at `baseUrl`, in Entra ID (or in the emulator). */
export function registrationFor(baseUrl: string) {
  return {
    redirectUris: [baseUrl + paths.redirect, baseUrl + paths.signedOut],
    frontChannelLogoutUrl: baseUrl + paths.frontChannelLogout,
    // In the id token: `sid`, which front-channel sign-out names; `login_hint`, for sign-out.
    optionalClaims: ['sid', 'login_hint'] as Array<'sid' | 'login_hint'>,
    apiPermissions: scopes,
  };
}

export interface YourAppSettings {
  identityPlatform: core.IdentityPlatformSettings;
  app: Omit<core.AppSettings, 'redirectPath'>;
  /** e.g. `https://graph.microsoft.com`. */
  graphUrl: string;
  /** Sessions and tokens in Redis, encrypted, rather than in this process's memory. */
  redisUrl?: string | undefined;
}

export async function createApp(settings: YourAppSettings) {
  const provider = await core.discoverIdentityProvider(settings.identityPlatform);
  const registration = { ...settings.app, redirectPath: paths.redirect };
  const { name, baseUrl, sessionKeys } = registration;
  const timeoutMs = settings.identityPlatform.outboundTimeoutMs;
  const store = await openStore(settings.redisUrl, sessionKeys, timeoutMs);
  const msalClient = (partition: core.TokenCachePartition) =>
    core.createMsalClient(provider, registration, partition);
  // Who is signed in, and the index from each identity platform session (`sid`) to them.
  const sessions = new core.Sessions(store, `${name}:`, name);
  // A partition per user, living no longer than the session that wrote it.
  const tokenCache = new core.PerUserTokenCache(store, {
    keyPrefix: `${name}:msal:`,
    app: name,
    ttlSeconds: core.SESSION_MAX_AGE_MS / 1000,
    boundToSessions: true,
    msalClient,
  });
  const signIn = new core.OpenIdSignIn(registration, provider, sessions, msalClient, { app: name });
  const graph = new core.GraphClient(settings.graphUrl, timeoutMs);
  const callApi = core.callApi(graph, provider.origin, { app: name });
  // A front-channel sign-out that finds the store down is carried out as soon as it answers.
  const signOutOf = (sid: string) => core.removeEverythingOf(sid, { tokenCache, sessions });
  const pendingSignOuts = new core.PendingSignOuts(signOutOf, name);

  const app = new Koa();
  app.keys = sessionKeys; // sign the session cookie
  app.proxy = baseUrl.startsWith('https:'); // behind a proxy that terminates TLS
  app.use(async (ctx, next) => {
    // No page is stored or framed (the front-channel logout URL says who may frame it).
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    ctx.set('X-Content-Type-Options', 'nosniff');
    // Over https, only through the proxy: a request that bypassed it could get no Secure cookie.
    if (app.proxy && !ctx.secure) ctx.status = 400;
    else await next();
  });
  app.use(core.allowedHosts([baseUrl])); // any other Host: 421 (DNS rebinding)
  app.use(errorPage);
  // A signed, httpOnly cookie with the session's key; on saving, the session is indexed by `sid`.
  const cookieName = `${name}.session`;
  const frontChannelLogoutPath = paths.frontChannelLogout;
  const secure = app.proxy;
  app.use(core.sessionMiddleware(app, { cookieName, sessions, secure, frontChannelLogoutPath }));

  const router = new Router();
  router.use(pendingSignOuts.middleware());
  router.get('/', (ctx) => page(ctx, 'Your own Koa app', '<p>Sign in, call Graph, sign out.</p>'));

  router.get(paths.signIn, async (ctx) => {
    const request = {
      scopes,
      responseMode: 'form_post' as const,
      returnTo: core.queryParams(ctx).returnTo,
    };
    ctx.redirect(await signIn.authorizationUrl(ctx, request));
  });
  router.post(paths.redirect, async (ctx) => {
    ctx.redirect(await signIn.complete(ctx, await core.readForm(ctx), tokenCache));
  });

  router.get(paths.profile, async (ctx) => {
    const user = ctx.session?.user;
    const request = user && { user, notAfter: core.sessionExpiresAt(ctx) };
    const called = request && (await callApi<Profile>(tokenCache, request, me));
    // Nothing usable (a sign-out elsewhere removed it; a claims challenge): sign in again.
    if (!called || !('answer' in called)) return ctx.redirect(`${paths.signIn}?returnTo=/profile`);
    const rows = shown.map((field) => `<dt>${field}<dd>${escapeHtml(called.answer[field] ?? '')}`);
    const token = `<p>Graph was called with a <b id="token">${called.token.source}</b>.</p>`;
    page(ctx, 'Your profile (Graph /me)', `<dl>${rows.join('')}</dl>${token}`);
  });

  // Sign-out here: this user's tokens, and their sessions of this identity platform session.
  router.get(paths.signOut, async (ctx) => {
    const user = ctx.session?.user;
    if (user) {
      await tokenCache.remove(user.homeAccountId);
      await sessions.endBySid(user.sid, { onlyUser: user.homeAccountId });
    }
    ctx.session = null;
    const postLogoutRedirectUri = baseUrl + paths.signedOut;
    const logoutHint = user?.loginHint;
    ctx.redirect(core.endSessionUrl(provider, { postLogoutRedirectUri, logoutHint }));
  });
  router.get(paths.signedOut, (ctx) => page(ctx, 'Signed out', '<p>You signed out.</p>'));

  // Sign-out anywhere else: `?sid=` (Entra), or a form POST; no cookie needed.
  const frontChannel = core.frontChannelLogout({
    identityPlatform: { issuer: provider.configuration.issuer, origin: provider.origin },
    pendingSignOuts,
    answer: 'Signed out.',
  });
  router.get(paths.frontChannelLogout, (ctx) => frontChannel(ctx, core.queryParams(ctx)));
  router.post(paths.frontChannelLogout, async (ctx) => frontChannel(ctx, await core.readForm(ctx)));

  // Any other method: 405, never 501 (no request can make a 5xx).
  const notImplemented = () =>
    Object.assign(new Error('Method Not Allowed'), { status: 405, expose: true });
  app.use(router.routes()).use(router.allowedMethods({ throw: true, notImplemented }));
  const close = async () => {
    pendingSignOuts.close();
    await store.close();
  };
  return { app, tokenCache, sessions, close };
}

type Profile = Partial<Record<(typeof shown)[number], string>>;

/** In this process's memory; in Redis when a URL is given, every value sealed with `secrets`. */
async function openStore(redisUrl: string | undefined, secrets: string[], timeoutMs: number) {
  if (!redisUrl) return new core.MemoryStore();
  const log = (message: string) => console.warn(message);
  const redis = await core.RedisStore.connect(redisUrl, { timeoutMs, variable: 'REDIS_URL', log });
  return new core.EncryptedStore(redis, secrets);
}

/** A page: who is signed in, and what they can do. Everything printed is escaped. */
function page(ctx: Koa.Context, title: string, body: string): void {
  const user = ctx.session?.user;
  const links = user
    ? `Signed in as <b id="signed-in-user">${escapeHtml(user.username)}</b> ·
       <a href="${paths.profile}">Profile</a> · <a href="${paths.signOut}">Sign out</a>`
    : `<a href="${paths.signIn}">Sign in</a>`;
  ctx.type = 'html';
  ctx.body = `<!doctype html><html lang="en"><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<nav><a href="/">Home</a> · ${links}</nav><h1>${escapeHtml(title)}</h1>${body}</html>`;
}

/** Errors a person can act on, said on a page; anything else, only in the log. */
async function errorPage(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    const http = error as { status?: number; expose?: boolean; message: string };
    const [status, message] =
      error instanceof core.SignInError
        ? [400, `${error.message} ${error.detail ?? ''}`]
        : error instanceof core.ServiceUnavailableError
          ? [503, `${error.service} is not available: try again in a moment.`]
          : error instanceof core.GraphError
            ? [502, `The API refused the call: ${error.status} ${error.code}.`]
            : http.expose && http.status
              ? [http.status, http.message]
              : [500, 'Something went wrong: see the log.'];
    if (status === 500) console.error(error);
    ctx.status = status;
    page(ctx, 'Error', `<p id="error">${escapeHtml(message)}</p>`);
  }
}

const escapeHtml = (text: unknown) =>
  String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

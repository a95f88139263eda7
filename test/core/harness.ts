/**
 * What the core's unit tests share (not a test): an app built from `shared/core/` only — Koa,
 * `sessionMiddleware`, `Sessions` over a `MemoryStore`, a token cache, `OpenIdSignIn`, `callApi`,
 * `frontChannelLogout` — answering on a server of its own, against a real emulator with that one
 * app registered (real discovery, real tokens). Each test mounts a fresh app (its own store, so
 * its own sessions and tokens) on the file's server: tests of a file run one after the other.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import Koa from 'koa';
import type { AppRegistration, RunningEmulator } from '../../emulator/index.ts';
import { ServiceUnavailableError } from '../../shared/core/errors.ts';
import { type CoreEvent, onCoreEvent } from '../../shared/core/events.ts';
import { GraphClient } from '../../shared/core/graph-client.ts';
import type { IdentityProvider } from '../../shared/core/msal/identity-provider.ts';
import { queryParams, readForm } from '../../shared/core/read-form.ts';
import { PendingSignOuts } from '../../shared/core/session/pending-sign-outs.ts';
import {
  sessionExpiresAt,
  sessionMiddleware,
  sessionSaveRefused,
} from '../../shared/core/session/session-middleware.ts';
import {
  type SessionData,
  Sessions,
  type SessionUser,
} from '../../shared/core/session/sessions.ts';
import type { AppSettings } from '../../shared/core/settings.ts';
import { frontChannelLogout, removeEverythingOf } from '../../shared/core/sign-out.ts';
import { tag } from '../../shared/core/store/hash-slot.ts';
import type { MemoryStore, Write } from '../../shared/core/store/key-value-store.ts';
import type { TokenCachePartition } from '../../shared/core/token-cache/cache-plugin.ts';
import { PerUserTokenCache } from '../../shared/core/token-cache/per-user-token-cache.ts';
import { SessionTokenCache } from '../../shared/core/token-cache/session-token-cache.ts';
import { type Browser, type Page, parseForm } from '../helpers/browser.ts';
import { SlotCheckingStore } from './slot-checking-store.ts';

/** The emulator's demo users' password. */
export const PASSWORD = 'core-test-password';
export const SCOPES = ['User.Read'];
const TENANT_ID = '3c0f9a52-7d1e-4b6a-8f2c-5e9d1a7b4c30';
const CLIENT_ID = 'c0de7e57-0000-4000-8000-00000000c0de';
const CLIENT_SECRET = 'core-test-secret';
const REDIRECT_PATH = '/signin-oidc';
export const FRONT_CHANNEL_PATH = '/front-channel-logout';

/** A server on a free loopback port, answering with whatever `handler` is at the time. */
export async function serve(
  handler: http.RequestListener,
): Promise<{ url: string; server: http.Server; close(): Promise<void> }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    server,
    async close() {
      server.closeAllConnections();
      await once(server.close(), 'close');
    },
  };
}

/** Every store write, in order, by key: where a test sees what was kept, and when. */
export class WatchedStore extends SlotCheckingStore {
  readonly written: string[] = [];

  override async write(...args: Parameters<MemoryStore['write']>): Promise<boolean> {
    const wrote = await super.write(...args);
    if (wrote) this.written.push(...args[0].map(keyOf));
    return wrote;
  }
}

function keyOf(write: Write): string {
  return 'set' in write ? write.set : write.addToSet;
}

/** What the session middleware said of one request, once it had answered. */
export interface SessionFacts {
  path: string;
  saveRefused: boolean;
  expiresAt: number | undefined;
}

/**
 * A Koa app with the core's session middleware over `sessions`, the errors a user or a dependency
 * can cause answered as JSON (a `SignInError` 400, a `ServiceUnavailableError` 503), and what the
 * middleware said of each request recorded; the caller adds its routes.
 */
export function sessionKoa(options: {
  keys: string[];
  cookieName: string;
  sessions: Sessions;
  frontChannelLogoutPath?: string;
  maxAgeMs?: number;
}): { koa: Koa; requests: SessionFacts[] } {
  const { keys, ...session } = options;
  const requests: SessionFacts[] = [];
  const koa = new Koa();
  koa.keys = keys;
  koa.silent = true;
  koa.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // A SignInError by its name: sign-in.ts loads msal, which most files here do without.
      const status =
        error instanceof ServiceUnavailableError
          ? 503
          : (error as Error).name === 'SignInError'
            ? 400
            : 0;
      if (!status) throw error;
      ctx.status = status;
      ctx.body = { error: (error as Error).name, message: (error as Error).message };
    }
  });
  // Outside the session middleware: what it did, once the session is saved.
  koa.use(async (ctx, next) => {
    await next();
    requests.push({
      path: ctx.path,
      saveRefused: sessionSaveRefused(ctx),
      expiresAt: sessionExpiresAt(ctx),
    });
  });
  koa.use(sessionMiddleware(koa, { ...session, secure: false }));
  return { koa, requests };
}

/** A user signed in through `sid`, as `OpenIdSignIn` records them (without msal). */
export function sessionUser(homeAccountId: string, sid: string): SessionUser {
  return {
    homeAccountId,
    name: homeAccountId,
    username: `${homeAccountId}@example`,
    sid,
    issuer: ISSUER,
  };
}

/** The issuer the apps of {@link sessionUser} trust. */
export const ISSUER = 'https://identity.example/tenant/v2.0';

export interface CoreAppOptions {
  /** Where the sign-in's tokens are kept: a partition per user (the default), or the session. */
  tokenCache?: 'per-user' | 'session';
  /** Per-user only: whether a partition is bound to the sessions that reach it (default true). */
  boundToSessions?: boolean;
  /** What the app believes it is (another client id than the one msal signs in with…). */
  settings?: Partial<AppSettings>;
  /** What the app believes of the identity platform (another issuer…). */
  provider?: (discovered: IdentityProvider) => IdentityProvider;
  /**
   * The app at `http://127.0.0.1:<port>`, another site than the emulator's `localhost`, as Entra is
   * to an app: a form_post answer is a cross-site POST, which brings no SameSite=Lax cookie.
   */
  crossSite?: boolean;
  /** The API `GET /me` calls (the emulator's Graph-like API by default). */
  graphUrl?: string;
  /** msal's client capabilities (`['cp1']`: the app handles claims challenges); none by default. */
  clientCapabilities?: string[];
}

/** A fresh app of the core, mounted on the file's server. */
export interface CoreApp {
  /** Names the app in the core's events (unique in the test file). */
  name: string;
  url: string;
  emulator: RunningEmulator;
  provider: IdentityProvider;
  store: WatchedStore;
  sessions: Sessions;
  tokenCache: PerUserTokenCache | SessionTokenCache;
  /** The key prefix of the per-user partitions: `${prefix}{u:<homeAccountId>}`. */
  partitionPrefix: string;
  /** The store key of a user's partition (`partitionPrefix` and the user's hash tag). */
  partitionKey(homeAccountId: string | undefined): string;
  /** The session key this browser's cookie holds, if any. */
  sessionKeyOf(browser: Browser): Promise<string | undefined>;
  /** The session this browser's cookie leads to, as stored. */
  sessionOf(browser: Browser): Promise<SessionData | undefined>;
  /** The `sid` of this browser's SSO session at the emulator (no page shows it). */
  ssoSid(browser: Browser): Promise<string>;
  /** A whole sign-in, redirects followed, form filled in: the page it ends on. */
  signIn(browser: Browser, options?: SignInOptions & { user?: string }): Promise<Page>;
  /** A sign-in up to the identity platform's answer, which is returned, not followed. */
  signInUntilAnswer(browser: Browser, options?: SignInOptions & { user?: string }): Promise<URL>;
}

export interface SignInOptions {
  returnTo?: string;
  responseMode?: 'query' | 'form_post';
  prompt?: 'login' | 'select_account';
}

/**
 * Starts, for this test file, an emulator with one app registered and the server that app
 * answers on; returns how to mount a fresh app of the core on it.
 */
export function useCoreApps(): (options?: CoreAppOptions) => Promise<CoreApp> {
  let emulator: RunningEmulator | undefined;
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  let discovered: IdentityProvider | undefined;
  let modules: Modules | undefined;
  let handler: http.RequestListener = (_request, response) => response.end();
  let mounted = 0;
  let previous: MemoryStore | undefined;
  before(async () => {
    modules = await loadModules();
    server = await serve((request, response) => handler(request, response));
    const registration: AppRegistration = {
      displayName: 'Core test app',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [server.url, crossSiteUrl(server.url)].map((url) => url + REDIRECT_PATH),
      frontChannelLogoutUrl: server.url + FRONT_CHANNEL_PATH,
      optionalClaims: ['sid', 'login_hint'],
      apiPermissions: SCOPES,
    };
    emulator = await modules.startEmulator({
      port: 0,
      graphPort: 0,
      tenantId: TENANT_ID,
      password: PASSWORD,
      apps: [registration],
    });
    const port = new URL(emulator.identityUrl).port;
    discovered = await modules.discoverIdentityProvider({
      // msal refuses an http authority: an https identifier, the endpoints from discovery.
      authority: `https://localhost:${port}/${TENANT_ID}`,
      discoveryUrl: `${emulator.issuer}/.well-known/openid-configuration`,
      outboundTimeoutMs: 10_000,
    });
  });
  after(async () => {
    await previous?.close();
    await server?.close();
    await emulator?.close();
  });
  return async (options = {}) => {
    assert.ok(emulator && server && discovered && modules, 'mounted in tests only');
    await previous?.close();
    mounted += 1;
    const name = `core-${mounted}`;
    const url = options.crossSite ? crossSiteUrl(server.url) : server.url;
    const app = coreApp(modules, { name, url, emulator, discovered }, options);
    previous = app.core.store;
    handler = app.koa.callback();
    return app.core;
  };
}

const crossSiteUrl = (url: string) => url.replace('//localhost:', '//127.0.0.1:');

/**
 * The modules of msal and of the emulator: loaded by the test files that mount apps, and not by
 * every file that imports this one (they take a second to load).
 */
async function loadModules() {
  const [emulator, identityProvider, msalClient, signIn, callApi] = await Promise.all([
    import('../../emulator/index.ts'),
    import('../../shared/core/msal/identity-provider.ts'),
    import('../../shared/core/msal/msal-client.ts'),
    import('../../shared/core/msal/sign-in.ts'),
    import('../../shared/core/call-api.ts'),
  ]);
  return { ...emulator, ...identityProvider, ...msalClient, ...signIn, ...callApi };
}

type Modules = Awaited<ReturnType<typeof loadModules>>;

function coreApp(
  { createMsalClient, OpenIdSignIn, callApi }: Modules,
  {
    name,
    url,
    emulator,
    discovered,
  }: { name: string; url: string; emulator: RunningEmulator; discovered: IdentityProvider },
  options: CoreAppOptions,
): { koa: Koa; core: CoreApp } {
  const settings: AppSettings = {
    name,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    baseUrl: url,
    redirectPath: REDIRECT_PATH,
    sessionKeys: ['a-session-key-of-at-least-32-chars!'],
    ...options.settings,
  };
  const provider = options.provider?.(discovered) ?? discovered;
  const store = new WatchedStore();
  const sessions = new Sessions(store, `${name}:`, name);
  // msal signs in as the app registered in the emulator, whatever the app believes it is.
  const msalClient = (partition: TokenCachePartition) =>
    createMsalClient(
      discovered,
      { name, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      partition,
      { clientCapabilities: options.clientCapabilities ?? [] },
    );
  const partitionPrefix = `${name}:msal:`;
  const tokenCache =
    options.tokenCache === 'session'
      ? new SessionTokenCache(sessions, msalClient)
      : new PerUserTokenCache(store, {
          keyPrefix: partitionPrefix,
          ttlSeconds: 3600,
          boundToSessions: options.boundToSessions ?? true,
          msalClient,
          app: name,
        });
  const signIn = new OpenIdSignIn(settings, provider, sessions, msalClient, { app: name });
  const graph = new GraphClient(options.graphUrl ?? emulator.graphUrl, 10_000);
  const api = callApi(graph, provider.origin, { app: name });
  const pendingSignOuts = new PendingSignOuts(
    (sid) => removeEverythingOf(sid, { tokenCache, sessions }),
    name,
  );
  const frontChannel = frontChannelLogout({
    identityPlatform: { issuer: provider.configuration.issuer, origin: provider.origin },
    pendingSignOuts,
    answer: `${name}: front-channel sign-out received.`,
  });
  const { koa } = sessionKoa({
    keys: settings.sessionKeys,
    cookieName: `${name}.session`,
    sessions,
    frontChannelLogoutPath: FRONT_CHANNEL_PATH,
  });
  koa.use(async (ctx) => {
    const query: Record<string, string | undefined> = queryParams(ctx);
    switch (`${ctx.method} ${ctx.path}`) {
      case 'GET /':
        ctx.body = { user: ctx.session?.user?.username ?? null };
        return;
      case 'GET /sign-in': {
        // The claims of a challenge that sent the user here, taken once.
        const claims = ctx.session?.claimsChallenge;
        if (ctx.session && claims) delete ctx.session.claimsChallenge;
        ctx.redirect(
          await signIn.authorizationUrl(ctx, {
            scopes: SCOPES,
            responseMode: query.responseMode === 'form_post' ? 'form_post' : 'query',
            returnTo: query.returnTo,
            claims,
            ...(query.prompt === 'login' || query.prompt === 'select_account'
              ? { prompt: query.prompt }
              : {}),
          }),
        );
        return;
      }
      case `GET ${REDIRECT_PATH}`:
        ctx.redirect(await signIn.complete(ctx, query, tokenCache));
        return;
      case `POST ${REDIRECT_PATH}`:
        ctx.redirect(await signIn.complete(ctx, await readForm(ctx), tokenCache));
        return;
      case 'GET /me': {
        const user = ctx.session?.user;
        const called =
          user &&
          (await api<{ userPrincipalName: string }>(
            tokenCache,
            { user, session: ctx.session, notAfter: sessionExpiresAt(ctx) },
            { scopes: SCOPES, path: '/v1.0/me' },
          ));
        if (called && 'signInAgain' in called) {
          // A claims challenge that needs the user: the next sign-in carries its claims.
          if (ctx.session) ctx.session.claimsChallenge = called.signInAgain.claims;
          ctx.status = 401;
          ctx.body = { signInAgain: 'with claims' };
          return;
        }
        ctx.status = called ? 200 : 401;
        ctx.body = called ? { me: called.answer, source: called.token.source } : {};
        return;
      }
      case `GET ${FRONT_CHANNEL_PATH}`:
        await frontChannel(ctx, query);
        return;
    }
  });

  const cookieName = `${name}.session`;
  const sessionKeyOf = async (browser: Browser) =>
    (await browser.jar.getCookies(url)).find((cookie) => cookie.key === cookieName)?.value;
  const signInUrl = ({ returnTo, responseMode, prompt }: SignInOptions) => {
    const start = new URL('/sign-in', url);
    if (returnTo !== undefined) start.searchParams.set('returnTo', returnTo);
    if (responseMode) start.searchParams.set('responseMode', responseMode);
    if (prompt) start.searchParams.set('prompt', prompt);
    return start.href;
  };
  const userName = (index: number) =>
    emulator.users[index]?.userPrincipalName ?? assert.fail('no demo user');
  const core: CoreApp = {
    name,
    url,
    emulator,
    provider,
    store,
    sessions,
    tokenCache,
    partitionPrefix,
    partitionKey: (homeAccountId) => partitionPrefix + tag('u', homeAccountId ?? ''),
    sessionKeyOf,
    async sessionOf(browser) {
      const key = await sessionKeyOf(browser);
      return key === undefined ? undefined : sessions.get(key);
    },
    async ssoSid(browser) {
      const sid = emulator.sidOf(await browser.jar.getCookieString(emulator.identityUrl));
      return sid ?? assert.fail('the browser has no SSO session at the emulator');
    },
    signIn: (browser, { user = userName(0), ...sign } = {}) =>
      browser.signIn(signInUrl(sign), user, PASSWORD),
    async signInUntilAnswer(browser, { user = userName(0), ...sign } = {}) {
      assert.notEqual(sign.responseMode, 'form_post', 'query answers only');
      const start = await browser.request(signInUrl(sign));
      assert.equal(start.status, 302);
      const page = await browser.get(start.headers.get('location') ?? '');
      const form = parseForm(page.html, page.url, (html) => html.includes('name="passwd"'));
      const answer = await browser.requestForm(form.action, {
        ...form.fields,
        action: 'sign-in',
        login: user,
        passwd: PASSWORD,
      });
      assert.equal(answer.status, 302, 'the identity platform answers the app');
      return new URL(answer.headers.get('location') ?? '');
    },
  };
  return { koa, core };
}

/** What the apps of this harness answer, as JSON. */
export interface Answer {
  /** `GET /`: who is signed in. */
  user?: string | null;
  /** A `SignInError` (400) or `ServiceUnavailableError` (503), and its message. */
  error?: string;
  message?: string;
  /** `GET /me`: Graph's answer, and where the access token came from. */
  me?: { userPrincipalName: string };
  /** `GET /me`: a claims challenge that needs the user (the next sign-in carries its claims). */
  signInAgain?: 'with claims';
  source?: string;
}

export const answerOf = async (response: Response): Promise<Answer> =>
  (await response.json()) as Answer;

/** The core's events of the app named `app`, from now until the test ends. */
export function eventsOf(t: { after(fn: () => void): void }, app: string): CoreEvent[] {
  const events: CoreEvent[] = [];
  const stop = onCoreEvent((event) => {
    if (event.app === app) events.push(event);
  });
  t.after(stop);
  return events;
}

/** The secrets of a serialized msal cache: every access, refresh and id token in it (or of `kinds`). */
export function secretsIn(
  serialized: string | undefined,
  kinds = ['AccessToken', 'RefreshToken', 'IdToken'],
): string[] {
  const cache = JSON.parse(serialized ?? '{}') as Record<
    string,
    Record<string, { secret?: string }>
  >;
  return kinds.flatMap((kind) =>
    Object.values(cache[kind] ?? {}).flatMap(({ secret }) => (secret ? [secret] : [])),
  );
}

/** What msal writes for one user, at its smallest: their account and a refresh token. */
export function tokensOf(homeAccountId: string): string {
  return JSON.stringify({
    Account: {
      [homeAccountId]: { home_account_id: homeAccountId, username: `${homeAccountId}@example` },
    },
    RefreshToken: { [`${homeAccountId}-rt`]: { home_account_id: homeAccountId } },
  });
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  AuthError,
  type AuthenticationResult,
  type ConfidentialClientApplication,
  CryptoProvider,
} from '@azure/msal-node';
import type { SetOption as CookieOptions } from 'cookies';
import type Koa from 'koa';
import type { SampleSettings } from '../config/settings.ts';
import { Sealer } from '../crypto/sealed.ts';
import {
  clearSessionData,
  requestStartedLocally,
  sessionExpiresAt,
  sessionSaveRefused,
} from '../session/session-middleware.ts';
import type { Sessions, SessionUser } from '../session/sessions.ts';
import { labelOf, type Timeline } from '../timeline/timeline.ts';
import type { SignInTokenCache, TokenCachePartition } from '../token-cache/cache-plugin.ts';
import type { IdentityProvider } from './identity-provider.ts';
import { unreachableOr } from './silent-token.ts';

/** A sign-in that cannot complete, for a reason the user can act on (shown on the error page). */
export class SignInError extends Error {
  constructor(
    message: string,
    /** What the identity platform said, if it said something (error and description). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

export interface SignInRequest {
  scopes: string[];
  responseMode: 'form_post' | 'query';
  prompt?: 'select_account' | 'login';
  /** A path of this app to return to afterwards; anything else is ignored (no open redirect). */
  returnTo?: string | undefined;
}

/** What one browser's sign-in must remember between the redirect out and the redirect back. */
interface SignInTransaction {
  scopes: string[];
  responseMode: SignInRequest['responseMode'];
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /** The browser's session when the sign-in started, ended when it completes (see `complete`). */
  previousSession: string | undefined;
  /** Epoch milliseconds; the cookie's own expiry is the browser's to keep. */
  expiresAt: number;
}

const transactionTtlSeconds = 10 * 60;
/**
 * Sign-ins one browser can have in progress at once (tabs sent to sign in together, a link from
 * another site to a sign-in route): past it, the oldest is forgotten. Each is a cookie of a few
 * hundred bytes, sent with every request to the redirect URI's path (every request, for aspnet's
 * `/`): unbounded, they would soon make requests too large to be answered (431).
 */
const MAX_IN_PROGRESS = 5;
/** Longer return paths are ignored (`/` instead): a transaction must fit in its cookie. */
const MAX_RETURN_PATH = 512;
const random = () => randomBytes(32).toString('base64url');

/**
 * The OpenID Connect authorization code flow, with state, nonce and PKCE all checked.
 *
 * Each sign-in's transaction (state, nonce, PKCE verifier, where to return) travels with the
 * browser, sealed (encrypted and authenticated) in a cookie of its own, named after its state and
 * scoped to the redirect URI's path, as ASP.NET Core's OpenID Connect handler keeps its
 * correlation cookies. That binds the response to the browser that started the sign-in (no login
 * CSRF); the cookie is deleted when its response arrives, so that it serves once; two sign-ins
 * started at once (two tabs) each have their own, and starting one (a cross-site link to a
 * sign-in route included) touches no other in progress, but the oldest past five; and starting a
 * sign-in (or showing a page with a sign-in link) keeps nothing on the server.
 *
 * Nothing changes until the sign-in has succeeded: the code is redeemed into a token cache of
 * this request's own, in memory; a sign-in that fails (a refused code, an id token for another app,
 * a sign-out that happened meanwhile) leaves whoever was signed in signed in, and no token of it
 * anywhere. Only an accepted sign-in's tokens are kept (see `startSession`).
 */
export class OpenIdSignIn {
  private readonly cryptoProvider = new CryptoProvider();
  private readonly cookieName: string;
  private readonly redirectUri: string;
  private readonly crossSite: boolean;
  private readonly sealer: Sealer;

  constructor(
    private readonly sample: SampleSettings,
    private readonly provider: IdentityProvider,
    private readonly sessions: Sessions,
    private readonly timeline: Timeline,
    /** A msal client over a token cache partition (the sample's settings). */
    private readonly msalClient: (partition: TokenCachePartition) => ConfidentialClientApplication,
  ) {
    this.sealer = new Sealer(sample.sessionKeys, `${sample.name}.signin`);
    this.cookieName = `${sample.name}.signin`;
    this.redirectUri = sample.baseUrl + sample.registration.redirectPath;
    this.crossSite =
      new URL(provider.configuration.authorization_endpoint).hostname !==
      new URL(sample.baseUrl).hostname;
  }

  /**
   * Starts a sign-in: gives the browser its transaction, and returns the identity platform's
   * authorize URL for the browser to be redirected to.
   */
  async authorizationUrl(ctx: Koa.Context, request: SignInRequest): Promise<string> {
    const { verifier, challenge } = await this.cryptoProvider.generatePkceCodes();
    const transaction: SignInTransaction = {
      scopes: request.scopes,
      responseMode: request.responseMode,
      state: random(),
      nonce: random(),
      codeVerifier: verifier,
      returnTo: safeReturnPath(request.returnTo),
      // This request is a same-site navigation: it carries the session cookie, which the
      // identity platform's form_post back, a cross-site POST, will not.
      previousSession: ctx.session?.isNew === false ? ctx.session.externalKey : undefined,
      expiresAt: Date.now() + transactionTtlSeconds * 1000,
    };
    this.setTransaction(ctx, transaction.state, transaction);
    this.keepInProgress(ctx, this.idOf(transaction.state), request.responseMode);
    this.timeline.record({
      kind: 'sign-in-started',
      text: `Sign-in started: the browser goes to the identity platform (response by ${request.responseMode}${request.prompt ? `, prompt=${request.prompt}` : ''})`,
    });
    // Building the URL touches no token cache.
    return this.msalClient(emptyPartition()).getAuthCodeUrl({
      scopes: request.scopes,
      redirectUri: this.redirectUri,
      responseMode: request.responseMode,
      state: transaction.state,
      nonce: transaction.nonce,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      ...(request.prompt ? { prompt: request.prompt } : {}),
    });
  }

  /**
   * Handles the authorization response (query or form_post parameters): checks it belongs to a
   * sign-in this browser started, redeems the code, starts a fresh session for the user, and keeps
   * their tokens in `tokenCache` — once the sign-in is accepted, never before. Returns the local
   * path to send the browser to.
   */
  async complete(
    ctx: Koa.Context,
    params: Record<string, string | undefined>,
    tokenCache: SignInTokenCache,
  ): Promise<string> {
    try {
      return await this.completeSignIn(ctx, params, tokenCache);
    } catch (error) {
      if (error instanceof SignInError) {
        this.timeline.record({ kind: 'sign-in-failed', text: `Sign-in failed: ${error.message}` });
      }
      throw error;
    }
  }

  private async completeSignIn(
    ctx: Koa.Context,
    params: Record<string, string | undefined>,
    tokenCache: SignInTokenCache,
  ): Promise<string> {
    // First: is this the answer to a sign-in this browser started? Only then is anything it says,
    // an error included, worth showing.
    const transaction = this.takeTransaction(ctx, params.state);
    if (params.error) {
      throw new SignInError(
        'The identity platform did not sign you in.',
        `${params.error}: ${params.error_description ?? ''}`,
      );
    }
    if (!params.code) throw new SignInError('The sign-in response carries no authorization code.');

    // The code is redeemed into this request's own cache, in memory: nothing of the sign-in is
    // kept anywhere until it is accepted.
    const redeemed = inMemoryPartition();
    let result: AuthenticationResult;
    try {
      result = await this.msalClient(redeemed).acquireTokenByCode({
        code: params.code,
        scopes: transaction.scopes,
        redirectUri: this.redirectUri,
        codeVerifier: transaction.codeVerifier,
        // msal checks the id token's nonce against this one.
        nonce: transaction.nonce,
      });
    } catch (error) {
      const unreachable = unreachableOr(error, this.provider.origin);
      if (unreachable !== error) throw unreachable;
      if (error instanceof AuthError) {
        throw new SignInError(
          'The identity platform refused to redeem the authorization code.',
          `${error.errorCode}: ${error.errorMessage}`,
        );
      }
      throw error;
    }
    if (!result.account) throw new SignInError('The identity platform returned no account.');

    // msal does not check these: the id token must come from our identity provider, for this app.
    const claims = result.idTokenClaims as Record<string, unknown>;
    if (claims.iss !== this.provider.configuration.issuer || claims.aud !== this.sample.clientId) {
      throw new SignInError(
        'The id token was not issued for this app by the expected identity provider.',
      );
    }
    const user: SessionUser = {
      homeAccountId: result.account.homeAccountId,
      name: result.account.name ?? '',
      username: result.account.username,
      // `sid` is an id token claim; `session_state` of the response carries the same value.
      sid: stringClaim(claims.sid) ?? params.session_state ?? '',
      issuer: claims.iss,
      account: {
        environment: result.account.environment,
        tenantId: result.account.tenantId,
        localAccountId: result.account.localAccountId,
      },
      signedInAt: Date.now(),
    };
    const loginHint = stringClaim(claims.login_hint);
    if (loginHint) user.loginHint = loginHint;

    const serialized = redeemed.value();
    if (!serialized) throw new SignInError('The identity platform returned no tokens to keep.');
    const where = await this.startSession(ctx, user, transaction.previousSession, {
      tokenCache,
      serialized,
    });
    const session = labelOf(user.sid);
    this.timeline.record({
      kind: 'signed-in',
      text: `Code redeemed: ${user.username} signed in (identity platform session ${session}); msal wrote an access, a refresh and an id token to ${where}`,
      user: user.username,
      ...(session ? { session } : {}),
    });
    return transaction.returnTo;
  }

  /**
   * Whoever was signed in in this browser is replaced: the user goes into the session, which then
   * gets a new key (no session fixation): koa-session ends the old key and saves the new one, with
   * the user, at once, indexed under the user's `sid`. (In the other order, koa-session would
   * compare the session with the one it read and, when the same user signs in again, find nothing
   * to save.) When the response came cross-site without the session cookie, the session the
   * sign-in started from is ended here.
   *
   * The tokens follow the session, never precede it. A cache kept in the session (java, python) is
   * saved with it, in the same write; a partition of a shared cache (aspnetcore, aspnet) is written
   * once the session is saved, and only if no sign-out removed it since this request began. A save
   * refused (the user signed out while this sign-in was completing: a held form_post arriving after
   * a sign-out everywhere) keeps nothing at all. When the session replaced was another user's,
   * their partition is told (`sessionReplaced`): it may be reachable by no sign-out any more.
   */
  private async startSession(
    ctx: Koa.Context,
    user: SessionUser,
    previousSession: string | undefined,
    { tokenCache, serialized }: { tokenCache: SignInTokenCache; serialized: string },
  ): Promise<string> {
    const session = ctx.session;
    if (!session) throw new Error('Sign-in needs the session middleware');
    const replaced = [session.user?.homeAccountId];
    clearSessionData(session);
    session.user = user;
    if (tokenCache.keepsTokens === 'in the session') session.tokenCache = serialized;
    await session.regenerate();
    if (previousSession && previousSession !== session.externalKey) {
      replaced.push((await this.sessions.destroy(previousSession))?.user?.homeAccountId);
    }
    if (sessionSaveRefused(ctx)) throw signedOutMeanwhile();
    if (tokenCache.keepsTokens === 'in a partition') {
      const kept = await tokenCache.keepSignIn(serialized, {
        startedAt: requestStartedLocally(ctx),
        notAfter: sessionExpiresAt(ctx),
      });
      if (!kept) {
        // A sign-out removed the user's tokens while this sign-in was completing: it wins, and the
        // session just started ends with it.
        ctx.session = null;
        throw signedOutMeanwhile();
      }
      // Another user was signed in here (an account switch): their session here has ended, and
      // with it the way a sign-out would find their tokens through this browser.
      for (const other of new Set(replaced)) {
        if (other && other !== user.homeAccountId) await tokenCache.sessionReplaced(other);
      }
    }
    return tokenCache.keepsTokens === 'in the session'
      ? 'the session'
      : "the user's partition of the token cache";
  }

  /** The short id of the sign-in with this `state`: its cookie's name ends with it. */
  private idOf(state: string): string {
    return createHash('sha256').update(state).digest('base64url').slice(0, 16);
  }

  /** The name of the cookie that carries the transaction of the sign-in with this id. */
  private cookieFor(id: string): string {
    return `${this.cookieName}.${id}`;
  }

  /** The names of the sign-in cookies this request carries (sign-ins of this browser in progress). */
  private transactionCookies(ctx: Koa.Context): string[] {
    const prefix = `${this.cookieName}.`;
    return (ctx.get('Cookie') ?? '')
      .split(';')
      .map((pair) => pair.slice(0, pair.indexOf('=')).trim())
      .filter((name) => name.startsWith(prefix));
  }

  /**
   * Keeps the ids of this browser's sign-ins in progress, oldest first, in a small cookie the
   * sign-in routes see (path `/`; the transactions' own cookies reach only the redirect URI), and
   * forgets the oldest past {@link MAX_IN_PROGRESS}: their cookies are deleted. (The list is not
   * updated when a sign-in completes, cross-site; an id already used only takes a place.)
   */
  private keepInProgress(
    ctx: Koa.Context,
    id: string,
    responseMode: SignInRequest['responseMode'],
  ): void {
    const listed = (ctx.cookies.get(this.cookieName, { signed: false }) ?? '')
      .split('.')
      .filter((each) => /^[\w-]{16}$/.test(each) && each !== id);
    const kept = [...listed, id];
    for (const forgotten of kept.splice(0, Math.max(0, kept.length - MAX_IN_PROGRESS))) {
      this.setCookie(ctx, this.cookieFor(forgotten), null, responseMode);
    }
    const secure = this.sample.baseUrl.startsWith('https:');
    ctx.cookies.set(this.cookieName, kept.join('.'), {
      httpOnly: true,
      path: '/',
      maxAge: transactionTtlSeconds * 1000,
      sameSite: 'lax',
      secure,
      signed: false,
      overwrite: true,
    });
  }

  /**
   * Sets (or, with `undefined`, deletes) the transaction of the sign-in with this `state`, sealed:
   * encrypted and authenticated, and bound to its cookie's name.
   */
  private setTransaction(
    ctx: Koa.Context,
    state: string,
    transaction: SignInTransaction | undefined,
    responseMode: SignInRequest['responseMode'] = transaction?.responseMode ?? 'form_post',
  ): void {
    const name = this.cookieFor(this.idOf(state));
    const value = transaction ? this.sealer.seal(JSON.stringify(transaction), name) : null;
    this.setCookie(ctx, name, value, responseMode);
  }

  /**
   * A transaction's cookie, scoped to the redirect URI's path. A form_post response is a POST from
   * the identity platform's site: a SameSite=Lax cookie would not come along, so across sites the
   * cookie is SameSite=None (which needs Secure; browsers accept Secure cookies from
   * http://localhost). A query response is a top-level GET, which takes Lax cookies along. Not
   * signed: the sealed value is authenticated already. `null` deletes it.
   */
  private setCookie(
    ctx: Koa.Context,
    name: string,
    value: string | null,
    responseMode: SignInRequest['responseMode'],
  ): void {
    const crossSitePost = this.crossSite && responseMode === 'form_post';
    const secure = crossSitePost || this.sample.baseUrl.startsWith('https:');
    const options: CookieOptions = {
      httpOnly: true,
      path: this.sample.registration.redirectPath,
      maxAge: value === null ? 0 : transactionTtlSeconds * 1000,
      sameSite: crossSitePost ? 'none' : 'lax',
      secure,
      signed: false,
      overwrite: true,
    };
    // koa refuses Secure cookies on a plain-http request unless told the connection counts as secure.
    if (secure) ctx.cookies.secure = true;
    ctx.cookies.set(name, value, options);
  }

  /**
   * The transaction this browser started with this `state`, its cookie deleted so that it serves
   * once. A response that matches none leaves the sign-ins in progress untouched.
   */
  private takeTransaction(ctx: Koa.Context, state: string | undefined): SignInTransaction {
    const name = state ? this.cookieFor(this.idOf(state)) : undefined;
    const sealed = name ? ctx.cookies.get(name, { signed: false }) : undefined;
    const transaction =
      name && sealed ? openTransaction(this.sealer.open(sealed, name)) : undefined;
    if (!state || !transaction || !sameString(state, transaction.state)) {
      if (this.transactionCookies(ctx).length > 0) {
        throw new SignInError(
          'This sign-in response does not match the sign-in started in this browser (its state is wrong).',
        );
      }
      throw new SignInError(
        'This sign-in response does not match a sign-in started in this browser: it expired, ' +
          'was already used, or was started elsewhere. Please sign in again.',
      );
    }
    this.setTransaction(ctx, state, undefined, transaction.responseMode);
    return transaction;
  }
}

function signedOutMeanwhile(): SignInError {
  return new SignInError(
    'You signed out of the identity platform while this sign-in was completing. Please sign in again.',
  );
}

/** A transaction read back from its cookie, if it is one and has not expired. */
function openTransaction(opened: string | undefined): SignInTransaction | undefined {
  if (!opened) return undefined;
  try {
    const parsed = JSON.parse(opened) as SignInTransaction;
    return typeof parsed?.state === 'string' && parsed.expiresAt > Date.now() ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A partition that is never read: building a URL, for which msal touches no cache. */
function emptyPartition(): TokenCachePartition {
  return { load: async () => undefined, save: async () => {}, clear: async () => {} };
}

/** A partition in this request's memory, starting empty: where a sign-in redeems its code. */
function inMemoryPartition(): TokenCachePartition & { value(): string | undefined } {
  let value: string | undefined;
  return {
    load: async () => value,
    save: async (serialized) => {
      value = serialized;
    },
    clear: async () => {
      value = undefined;
    },
    value: () => value,
  };
}

/**
 * A local path to return to after sign-in, or `/`. Never another origin (no open redirect), and
 * never more than 512 characters once normalised: it travels in the sign-in cookie.
 */
export function safeReturnPath(value: string | undefined): string {
  if (!value?.startsWith('/') || value.length > MAX_RETURN_PATH) return '/';
  const base = 'http://sample.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return '/'; // `//[` and the like: not a URL at all
  }
  // Checked after the URL parser normalised it: `/x/..//evil.example` becomes `//evil.example`,
  // and a character outside ASCII becomes up to nine.
  const path = url.pathname + url.search;
  const local = url.origin === base && !path.startsWith('//') && !path.includes('\\');
  return local && path.length <= MAX_RETURN_PATH ? path : '/';
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

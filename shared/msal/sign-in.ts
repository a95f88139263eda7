import { randomBytes, timingSafeEqual } from 'node:crypto';
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
import { clearSessionData, sessionSaveRefused } from '../session/session-middleware.ts';
import type { Sessions, SessionUser } from '../session/sessions.ts';
import { labelOf, type Timeline } from '../timeline/timeline.ts';
import { takeSignInTokenCache } from '../token-cache/session-token-cache.ts';
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
/** Sign-ins one browser can have in progress at once (two tabs sent to sign in together…). */
const MAX_TRANSACTIONS = 3;
/** Longer return paths are ignored (`/` instead): the transactions must fit in one cookie. */
const MAX_RETURN_PATH = 512;
const random = () => randomBytes(32).toString('base64url');

/**
 * The OpenID Connect authorization code flow, with state, nonce and PKCE all checked.
 *
 * The transaction (state, nonce, PKCE verifier, where to return) travels with the browser, sealed
 * (encrypted and authenticated) in a cookie scoped to the redirect URI's path, as ASP.NET Core's
 * OpenID Connect handler keeps its own: up to three, so that two tabs can sign in at once. That
 * binds the response to the browser that started the sign-in (no login CSRF), each transaction is
 * taken out of the cookie when its response arrives, so that it serves once, and starting a
 * sign-in (or showing a page with a sign-in link) keeps nothing on the server.
 *
 * Nothing about the browser's session changes until the sign-in has succeeded: a sign-in that
 * fails (a refused code, an identity platform that does not answer) leaves whoever was signed in
 * signed in.
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
  async authorizationUrl(
    ctx: Koa.Context,
    client: ConfidentialClientApplication,
    request: SignInRequest,
  ): Promise<string> {
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
    const pending = [...this.transactions(ctx), transaction].slice(-MAX_TRANSACTIONS);
    this.setTransactions(ctx, pending, request.responseMode);
    this.timeline.record({
      kind: 'sign-in-started',
      text: `Sign-in started: the browser goes to the identity platform (response by ${request.responseMode}${request.prompt ? `, prompt=${request.prompt}` : ''})`,
    });
    return client.getAuthCodeUrl({
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
   * sign-in this browser started, redeems the code, and starts a fresh session for the user.
   * `client` must be over an empty partition of the token cache (this user's tokens only).
   * Returns the local path to send the browser to.
   */
  async complete(
    ctx: Koa.Context,
    client: ConfidentialClientApplication,
    params: Record<string, string | undefined>,
  ): Promise<string> {
    try {
      return await this.completeSignIn(ctx, client, params);
    } catch (error) {
      if (error instanceof SignInError) {
        this.timeline.record({ kind: 'sign-in-failed', text: `Sign-in failed: ${error.message}` });
      }
      throw error;
    }
  }

  private async completeSignIn(
    ctx: Koa.Context,
    client: ConfidentialClientApplication,
    params: Record<string, string | undefined>,
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

    let result: AuthenticationResult;
    try {
      result = await client.acquireTokenByCode({
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

    const where = await this.startSession(ctx, user, transaction.previousSession);
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
   * Whoever was signed in in this browser is replaced: the user (and, in samples that keep it
   * there, the token cache msal just filled) goes into the session, which then gets a new key (no
   * session fixation): koa-session ends the old key and saves the new one, with the user, at once,
   * indexed under the user's `sid`. (In the other order, koa-session would compare the session
   * with the one it read and, when the same user signs in again, find nothing to save.) When the
   * response came cross-site without the session cookie, the session the sign-in started from is
   * ended here.
   */
  private async startSession(
    ctx: Koa.Context,
    user: SessionUser,
    previousSession: string | undefined,
  ): Promise<'the session' | "the user's partition of the token cache"> {
    const session = ctx.session;
    if (!session) throw new Error('Sign-in needs the session middleware');
    clearSessionData(session);
    session.user = user;
    const tokenCache = takeSignInTokenCache(ctx);
    if (tokenCache) session.tokenCache = tokenCache;
    await session.regenerate();
    if (previousSession && previousSession !== session.externalKey) {
      await this.sessions.destroy(previousSession);
    }
    if (sessionSaveRefused(ctx)) {
      throw new SignInError(
        'You signed out of the identity platform while this sign-in was completing. Please sign in again.',
      );
    }
    return tokenCache ? 'the session' : "the user's partition of the token cache";
  }

  /** The transactions this browser holds, unexpired, oldest first. */
  private transactions(ctx: Koa.Context): SignInTransaction[] {
    const sealed = ctx.cookies.get(this.cookieName);
    const opened = sealed ? this.sealer.open(sealed) : undefined;
    let parsed: unknown;
    try {
      parsed = opened ? JSON.parse(opened) : [];
    } catch {
      parsed = [];
    }
    const now = Date.now();
    return Array.isArray(parsed)
      ? (parsed as SignInTransaction[]).filter((transaction) => transaction.expiresAt > now)
      : [];
  }

  /**
   * A form_post response is a POST from the identity platform's site: a SameSite=Lax cookie would
   * not come along, so across sites the cookie is SameSite=None (which needs Secure; browsers
   * accept Secure cookies from http://localhost). A query response is a top-level GET, which
   * takes Lax cookies along.
   */
  private setTransactions(
    ctx: Koa.Context,
    transactions: SignInTransaction[],
    responseMode: SignInRequest['responseMode'],
  ): void {
    const crossSitePost = this.crossSite && responseMode === 'form_post';
    const secure = crossSitePost || this.sample.baseUrl.startsWith('https:');
    const options: CookieOptions = {
      httpOnly: true,
      path: this.sample.registration.redirectPath,
      maxAge: transactions.length > 0 ? transactionTtlSeconds * 1000 : 0,
      sameSite: crossSitePost ? 'none' : 'lax',
      secure,
      overwrite: true,
    };
    // koa refuses Secure cookies on a plain-http request unless told the connection counts as secure.
    if (secure) ctx.cookies.secure = true;
    const value = transactions.length > 0 ? this.sealer.seal(JSON.stringify(transactions)) : null;
    ctx.cookies.set(this.cookieName, value, options);
  }

  /**
   * The transaction this browser started with this `state`, taken out of its cookie so that it
   * serves once. A response that matches none leaves the others in progress untouched.
   */
  private takeTransaction(ctx: Koa.Context, state: string | undefined): SignInTransaction {
    const transactions = this.transactions(ctx);
    if (transactions.length === 0) {
      throw new SignInError(
        'This sign-in response does not match a sign-in started in this browser: it expired, ' +
          'was already used, or was started elsewhere. Please sign in again.',
      );
    }
    const index = transactions.findIndex((each) => state && sameString(state, each.state));
    const transaction = transactions[index];
    if (!transaction) {
      throw new SignInError(
        'This sign-in response does not match the sign-in started in this browser (its state is wrong).',
      );
    }
    transactions.splice(index, 1);
    this.setTransactions(ctx, transactions, transaction.responseMode);
    return transaction;
  }
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

import { randomBytes } from 'node:crypto';
import {
  AuthError,
  type AuthenticationResult,
  type ConfidentialClientApplication,
  CryptoProvider,
} from '@azure/msal-node';
import type Koa from 'koa';
import { emit } from '../events.ts';
import type { Sessions, SessionUser } from '../session/sessions.ts';
import { startSession } from '../session/start-session.ts';
import type { AppSettings } from '../settings.ts';
import { inMemoryPartition, type TokenCachePartition } from '../token-cache/cache-plugin.ts';
import type { SignInTokenCache } from '../token-cache/token-cache.ts';
import type { IdentityProvider } from './identity-provider.ts';
import { safeReturnPath } from './return-path.ts';
import {
  type SignInTransaction,
  SignInTransactions,
  TRANSACTION_TTL_SECONDS,
} from './sign-in-transactions.ts';
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
  responseMode: SignInTransaction['responseMode'];
  prompt?: 'select_account' | 'login';
  /** A path of this app to return to afterwards; anything else is ignored (no open redirect). */
  returnTo?: string | undefined;
  /**
   * The claims of a claims challenge the user must meet (`SignInAgainWithClaims` of `callApi`),
   * as JSON: sent as the authorize request's `claims`, merged by msal with the app's client
   * capabilities. Only claims the core read from a challenge: never a value from the browser.
   */
  claims?: string | undefined;
}

const random = () => randomBytes(32).toString('base64url');

/**
 * The OpenID Connect authorization code flow, with state, nonce and PKCE all checked.
 *
 * Each sign-in's transaction (state, nonce, PKCE verifier, where to return) travels with the
 * browser, sealed in a cookie of its own (`sign-in-transactions.ts`): nothing is kept on the
 * server until the sign-in completes, and the response must come back to the browser that started
 * it (no login CSRF).
 *
 * Nothing changes until the sign-in has succeeded: the code is redeemed into a token cache of
 * this request's own, in memory; a sign-in that fails (a refused code, an id token for another app,
 * a sign-out that happened meanwhile) leaves whoever was signed in signed in, and no token of it
 * anywhere. Only an accepted sign-in's tokens are kept (`session/start-session.ts`).
 */
export class OpenIdSignIn {
  private readonly cryptoProvider = new CryptoProvider();
  private readonly redirectUri: string;
  private readonly transactions: SignInTransactions;

  private readonly app: string;

  constructor(
    private readonly settings: AppSettings,
    private readonly provider: IdentityProvider,
    private readonly sessions: Sessions,
    /** A msal client over a token cache partition (the app's settings). */
    private readonly msalClient: (partition: TokenCachePartition) => ConfidentialClientApplication,
    /** Names this app (this instance) in the events it emits. */
    { app }: { app: string },
  ) {
    this.app = app;
    this.redirectUri = settings.baseUrl + settings.redirectPath;
    this.transactions = new SignInTransactions({
      cookieName: `${settings.name}.signin`,
      secrets: settings.sessionKeys,
      redirectPath: settings.redirectPath,
      crossSite:
        new URL(provider.configuration.authorization_endpoint).hostname !==
        new URL(settings.baseUrl).hostname,
      https: settings.baseUrl.startsWith('https:'),
    });
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
      expiresAt: Date.now() + TRANSACTION_TTL_SECONDS * 1000,
    };
    this.transactions.start(ctx, transaction);
    emit({
      type: 'sign-in-started',
      app: this.app,
      responseMode: request.responseMode,
      ...(request.prompt ? { prompt: request.prompt } : {}),
    });
    // Building the URL touches no token cache: an empty one will do.
    return this.msalClient(inMemoryPartition()).getAuthCodeUrl({
      scopes: request.scopes,
      redirectUri: this.redirectUri,
      responseMode: request.responseMode,
      state: transaction.state,
      nonce: transaction.nonce,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      ...(request.prompt ? { prompt: request.prompt } : {}),
      ...(request.claims ? { claims: request.claims } : {}),
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
        emit({ type: 'sign-in-failed', app: this.app, reason: error.message });
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
    const transaction = this.transactions.take(ctx, params.state);
    if (!transaction) {
      throw new SignInError(
        this.transactions.anyInProgress(ctx)
          ? 'This sign-in response does not match the sign-in started in this browser (its state is wrong).'
          : 'This sign-in response does not match a sign-in started in this browser: it expired, ' +
              'was already used, or was started elsewhere. Please sign in again.',
      );
    }
    if (params.error) {
      const detail = `${params.error}: ${params.error_description ?? ''}`;
      throw new SignInError(
        refusalMessage(detail, 'The identity platform did not sign you in.'),
        detail,
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
        const detail = `${error.errorCode}: ${error.errorMessage}`;
        throw new SignInError(
          refusalMessage(detail, 'The identity platform refused to redeem the authorization code.'),
          detail,
        );
      }
      throw error;
    }
    if (!result.account) throw new SignInError('The identity platform returned no account.');

    // msal does not check these: the id token must come from our identity provider, for this app.
    const claims = result.idTokenClaims as Record<string, unknown>;
    if (
      claims.iss !== this.provider.configuration.issuer ||
      claims.aud !== this.settings.clientId
    ) {
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
    const started = await startSession(ctx, {
      user,
      previousSession: transaction.previousSession,
      sessions: this.sessions,
      tokenCache,
      serialized,
    });
    if (!started) {
      throw new SignInError(
        'You signed out of the identity platform while this sign-in was completing. Please sign in again.',
      );
    }
    emit({
      type: 'signed-in',
      app: this.app,
      user: { homeAccountId: user.homeAccountId, username: user.username, sid: user.sid },
      tokensKeptIn: tokenCache.keepsTokens === 'in the session' ? 'the session' : 'a partition',
    });
    return transaction.returnTo;
  }
}

/**
 * What a refused sign-in means for the user, where the identity platform's error code says it
 * plainly: AADSTS50057, the account is disabled (an administrator disabled it; signing in again
 * cannot help); otherwise `otherwise`.
 */
function refusalMessage(detail: string, otherwise: string): string {
  if (/\bAADSTS50057\b/.test(detail)) {
    return (
      'Your account is disabled: the identity platform refuses to sign it in. Signing in again ' +
      'will not help; ask an administrator of your organization to enable it.'
    );
  }
  return otherwise;
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

import { randomBytes } from 'node:crypto';
import {
  AuthError,
  type AuthenticationResult,
  type ConfidentialClientApplication,
  CryptoProvider,
} from '@azure/msal-node';
import type Koa from 'koa';
import type { SampleSettings } from '../../config/settings.ts';
import { labelOf, type Timeline } from '../../timeline/timeline.ts';
import {
  clearSessionData,
  requestStartedLocally,
  sessionExpiresAt,
  sessionSaveRefused,
} from '../session/session-middleware.ts';
import type { Sessions, SessionUser } from '../session/sessions.ts';
import type { SignInTokenCache, TokenCachePartition } from '../token-cache/cache-plugin.ts';
import type { IdentityProvider } from './identity-provider.ts';
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
}

/** Longer return paths are ignored (`/` instead): a transaction must fit in its cookie. */
const MAX_RETURN_PATH = 512;
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
 * anywhere. Only an accepted sign-in's tokens are kept (see `startSession`).
 */
export class OpenIdSignIn {
  private readonly cryptoProvider = new CryptoProvider();
  private readonly redirectUri: string;
  private readonly transactions: SignInTransactions;

  constructor(
    private readonly sample: SampleSettings,
    private readonly provider: IdentityProvider,
    private readonly sessions: Sessions,
    private readonly timeline: Timeline,
    /** A msal client over a token cache partition (the sample's settings). */
    private readonly msalClient: (partition: TokenCachePartition) => ConfidentialClientApplication,
  ) {
    this.redirectUri = sample.baseUrl + sample.registration.redirectPath;
    this.transactions = new SignInTransactions({
      cookieName: `${sample.name}.signin`,
      secrets: sample.sessionKeys,
      redirectPath: sample.registration.redirectPath,
      crossSite:
        new URL(provider.configuration.authorization_endpoint).hostname !==
        new URL(sample.baseUrl).hostname,
      https: sample.baseUrl.startsWith('https:'),
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
    this.timeline.record({
      kind: 'sign-in-started',
      text: `Sign-in started: the browser goes to the identity platform (response by ${request.responseMode}${request.prompt ? `, prompt=${request.prompt}` : ''})`,
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
}

function signedOutMeanwhile(): SignInError {
  return new SignInError(
    'You signed out of the identity platform while this sign-in was completing. Please sign in again.',
  );
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

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * What one browser's sign-ins must remember between the redirect out to the identity platform and
 * the redirect back (state, nonce, PKCE verifier, where to return), kept by the browser: nothing
 * on the server, so that starting a sign-in, or showing a page with a sign-in link, keeps nothing
 * there for whoever asks.
 *
 * Each transaction is sealed (encrypted and authenticated, bound to its cookie's name) in a cookie
 * of its own, named after its state and scoped to the redirect URI's path, as ASP.NET Core's
 * OpenID Connect handler keeps its correlation cookies. That binds the response to the browser
 * that started the sign-in (no login CSRF); the cookie is deleted when its response arrives, so
 * that it serves once; and two sign-ins started at once (two tabs, or a link from another site to
 * a sign-in route) each have their own.
 *
 * Why at most five: each cookie is a few hundred bytes, sent with every request to the redirect
 * URI's path (every request, for aspnet's `/`). A site that sent the user to a sign-in route again
 * and again would otherwise pile them up until the sample's requests were too large to be answered
 * (431), sign-out included. So a small cookie that the sign-in routes see (path `/`) lists the ids
 * of the sign-ins in progress, oldest first, and starting a sixth deletes the oldest's cookie.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SetOption as CookieOptions } from 'cookies';
import type Koa from 'koa';
import { Sealer } from '../sealed.ts';

export interface SignInTransaction {
  scopes: string[];
  /** How the identity platform answers: a cross-site POST (form_post) or a top-level GET (query). */
  responseMode: 'form_post' | 'query';
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /** The browser's session when the sign-in started, ended when it completes. */
  previousSession: string | undefined;
  /** Epoch milliseconds; the cookie's own expiry is the browser's to keep. */
  expiresAt: number;
}

export const TRANSACTION_TTL_SECONDS = 10 * 60;
/** Sign-ins one browser can have in progress at once: past it, the oldest is forgotten. */
const MAX_IN_PROGRESS = 5;

export class SignInTransactions {
  private readonly sealer: Sealer;

  constructor(
    private readonly options: {
      /** e.g. `aspnetcore.signin`: the list's cookie; each transaction's is `<name>.<id>`. */
      cookieName: string;
      /** SESSION_SECRET: the first seals, all open. */
      secrets: readonly string[];
      /** The redirect URI's path: the only one each transaction's cookie is sent to. */
      redirectPath: string;
      /** Whether the identity platform is another site than the app (it is, in Entra). */
      crossSite: boolean;
      /** Whether the app is served over https. */
      https: boolean;
    },
  ) {
    this.sealer = new Sealer(options.secrets, options.cookieName);
  }

  /** Gives the browser this transaction, and forgets its oldest sign-in past five. */
  start(ctx: Koa.Context, transaction: SignInTransaction): void {
    const id = idOf(transaction.state);
    const name = this.cookieFor(id);
    this.setCookie(ctx, name, this.sealer.seal(JSON.stringify(transaction), name), transaction);
    const listed = (cookieValue(ctx, this.options.cookieName) ?? '')
      .split('.')
      .filter((each) => /^[\w-]{16}$/.test(each) && each !== id)
      .slice(-MAX_IN_PROGRESS);
    const kept = [...listed, id];
    for (const forgotten of kept.splice(0, Math.max(0, kept.length - MAX_IN_PROGRESS))) {
      this.setCookie(ctx, this.cookieFor(forgotten), null, transaction);
    }
    // The list is not updated when a sign-in completes; an id already used only takes a place.
    this.setCookie(ctx, this.options.cookieName, kept.join('.'), transaction, '/');
  }

  /**
   * The transaction this browser started with this `state`, its cookie deleted so that it serves
   * once; `undefined` if there is none (expired, used, never started here, or a wrong state). A
   * response that matches none leaves the sign-ins in progress untouched.
   */
  take(ctx: Koa.Context, state: string | undefined): SignInTransaction | undefined {
    if (!state) return undefined;
    const name = this.cookieFor(idOf(state));
    const sealed = cookieValue(ctx, name);
    const transaction = sealed ? parse(this.sealer.open(sealed, name)) : undefined;
    if (!transaction || !sameString(state, transaction.state)) return undefined;
    this.setCookie(ctx, name, null, transaction);
    return transaction;
  }

  /** Whether this request carries the cookie of any sign-in in progress (for the error message). */
  anyInProgress(ctx: Koa.Context): boolean {
    const prefix = `${this.options.cookieName}.`;
    return cookiesOf(ctx).some(([name]) => name.startsWith(prefix));
  }

  private cookieFor(id: string): string {
    return `${this.options.cookieName}.${id}`;
  }

  /**
   * A form_post response is a POST from the identity platform's site: a SameSite=Lax cookie would
   * not come along, so across sites the cookies are SameSite=None (which needs Secure; browsers
   * accept Secure cookies from http://localhost). A query response is a top-level GET, which takes
   * Lax cookies along. The list's cookie has the same attributes as the transactions', so that it
   * is sent and kept wherever they are (a start from another site's image included). Not signed:
   * a sealed value is authenticated already; the list is only ids. `null` deletes.
   */
  private setCookie(
    ctx: Koa.Context,
    name: string,
    value: string | null,
    { responseMode }: Pick<SignInTransaction, 'responseMode'>,
    path = this.options.redirectPath,
  ): void {
    const crossSitePost = this.options.crossSite && responseMode === 'form_post';
    const secure = crossSitePost || this.options.https;
    const options: CookieOptions = {
      httpOnly: true,
      path,
      maxAge: value === null ? 0 : TRANSACTION_TTL_SECONDS * 1000,
      sameSite: crossSitePost ? 'none' : 'lax',
      secure,
      signed: false,
      overwrite: true,
    };
    // koa refuses Secure cookies on a plain-http request unless told the connection counts as secure.
    if (secure) ctx.cookies.secure = true;
    ctx.cookies.set(name, value, options);
  }
}

/**
 * The request's cookies, as name and value. Read here rather than with `ctx.cookies.get`, which
 * keeps a regular expression for every cookie name it is ever asked for: the names read here come
 * from the `state` of whatever response is sent, and would grow that cache without end.
 */
function cookiesOf(ctx: Koa.Context): Array<[string, string]> {
  return (ctx.get('Cookie') ?? '').split(';').map((pair): [string, string] => {
    const equals = pair.indexOf('=');
    if (equals < 0) return [pair.trim(), ''];
    return [pair.slice(0, equals).trim(), pair.slice(equals + 1).trim()];
  });
}

function cookieValue(ctx: Koa.Context, name: string): string | undefined {
  return cookiesOf(ctx).find(([each]) => each === name)?.[1];
}

/** The short id of the sign-in with this `state`: its cookie's name ends with it. */
function idOf(state: string): string {
  return createHash('sha256').update(state).digest('base64url').slice(0, 16);
}

/** A transaction read back from its cookie, if it is one and has not expired. */
function parse(opened: string | undefined): SignInTransaction | undefined {
  if (!opened) return undefined;
  try {
    const parsed = JSON.parse(opened) as SignInTransaction;
    return typeof parsed?.state === 'string' && parsed.expiresAt > Date.now() ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

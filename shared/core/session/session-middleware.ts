import type Koa from 'koa';
import session from 'koa-session';
import { ServiceUnavailableError } from '../errors.ts';
import { SESSION_MAX_AGE_MS, type SessionData, type Sessions } from './sessions.ts';

/** The parts of koa-session's session object the samples use (koa-session does not type `ctx.session`). */
export type Session = SessionData & {
  /** Saves the session under a new key (used at sign-in, against session fixation). */
  regenerate(): Promise<void> | undefined;
  /** The key the session was read with, or was given (koa-session's `externalKey`). */
  readonly externalKey: string | undefined;
  /** Whether no stored session came with the request. */
  readonly isNew: boolean;
  /** koa-session's: until when the stored session lives (epoch ms), as read with the request. */
  readonly _expire?: number;
};

declare module 'koa' {
  interface DefaultContext {
    session: Session | null;
  }
}

/** Forgets who was signed in and their tokens (a new sign-in in the same browser). */
export function clearSessionData(session: SessionData): void {
  delete session.user;
  delete session.tokenCache;
  delete session.accessToken;
  delete session.claimsChallenge;
}

/**
 * Server-side sessions with koa-session: the cookie holds only a random, signed session key
 * (httpOnly, SameSite=Lax; signed in, followed by a tag of the hash slot of the user's tokens:
 * `Sessions.newId`); the data lives in {@link Sessions}, where front-channel sign-out can
 * find and end a session without its cookie. A session ended while a request for it was running
 * is not saved again by that request (see `Sessions.save`), and that request does not set its
 * cookie either: the browser keeps whatever a later request gave it.
 */
export function sessionMiddleware(
  app: Koa,
  options: {
    cookieName: string;
    sessions: Sessions;
    secure: boolean;
    maxAgeMs?: number;
    /**
     * The front-channel logout URL's path, where a session that cannot be read (the store does not
     * answer) is taken as no session: the sign-out must still be taken (see `PendingSignOuts`).
     */
    frontChannelLogoutPath?: string | undefined;
  },
): Koa.Middleware {
  const { sessions, cookieName, maxAgeMs = SESSION_MAX_AGE_MS } = options;
  const cookie = {
    maxAge: maxAgeMs,
    httpOnly: true,
    signed: true,
    sameSite: 'lax',
    secure: options.secure,
    overwrite: true,
  } as const;
  const middleware = session(
    {
      key: cookieName,
      ...cookie,
      renew: true,
      // A visitor's id; at sign-in, one beside the user's tokens (`regenerateFor`).
      genid: (ctx: Koa.Context) => sessions.newId(requests.get(ctx)?.signingIn),
      externalKey: {
        get: (ctx: Koa.Context) => ctx.cookies.get(cookieName, cookie) ?? '',
        set(ctx: Koa.Context, key: string) {
          if (!requests.get(ctx)?.saveRefused) ctx.cookies.set(cookieName, key, cookie);
        },
      },
      store: {
        async get(key: string, _maxAge: number, { ctx }: { ctx?: Koa.Context }) {
          try {
            return await sessions.get(key);
          } catch (error) {
            const frontChannel = ctx?.path === options.frontChannelLogoutPath;
            if (frontChannel && error instanceof ServiceUnavailableError) return undefined;
            throw error;
          }
        },
        // The store is the one place that always knows a session's current key (koa-session's
        // `externalKey` still names the old one after `regenerate()`): the sid index is written
        // here. The save is refused if the session was ended after this request began.
        async set(key: string, data: SessionData, maxAge: number, { ctx }: { ctx?: Koa.Context }) {
          const request = ctx && requests.get(ctx);
          const startedAt = request?.startedAt ?? sessions.now();
          const saved = await sessions.save(key, data, (maxAge || maxAgeMs) / 1000, startedAt);
          if (request && !saved) request.saveRefused = true;
          if (request && saved) request.savedExpiry = (data as { _expire?: number })._expire;
        },
        destroy: async (key: string) => {
          await sessions.destroy(key);
        },
      },
    },
    app,
  );
  return (ctx, next) => {
    // Before the session is read: a sign-out after this moment wins over this request.
    requests.set(ctx, {
      startedAt: sessions.now(),
      startedLocally: Date.now(),
      saveRefused: false,
    });
    return middleware(ctx, next);
  };
}

/**
 * Gives the session a new id (against session fixation) placed for `homeAccountId`, who is signing
 * in: koa-session ends the old id and saves the session under the new one (`Sessions.newId`).
 */
export async function regenerateFor(ctx: Koa.Context, homeAccountId: string): Promise<void> {
  const request = requests.get(ctx);
  if (!ctx.session || !request) throw new Error('Sign-in needs the session middleware');
  request.signingIn = homeAccountId;
  await ctx.session.regenerate();
}

/** Whether this request's session could not be saved: it was ended while the request ran. */
export function sessionSaveRefused(ctx: Koa.Context): boolean {
  return requests.get(ctx)?.saveRefused === true;
}

/**
 * When this request began, by this process's clock (epoch ms): a store with a clock of its own
 * (Redis) counts back from its own now (see `PerUserTokenCache.keepSignIn`).
 */
export function requestStartedLocally(ctx: Koa.Context): number {
  return requests.get(ctx)?.startedLocally ?? Date.now();
}

/**
 * Until when this request's session lives (epoch ms): as this request saved it, or as it was read.
 * Tokens written for the session live no longer, so that none outlives the records that lead a
 * sign-out to it (see `PerUserTokenCache`).
 */
export function sessionExpiresAt(ctx: Koa.Context): number | undefined {
  return requests.get(ctx)?.savedExpiry ?? ctx.session?._expire;
}

/** What the session middleware knows of each request, beside koa-session's own (not in `ctx.state`). */
const requests = new WeakMap<
  Koa.Context,
  {
    /** When the request began, by the store's clock (see `Sessions.save`). */
    startedAt: number;
    /** The same, by this process's clock. */
    startedLocally: number;
    /** The session was ended while the request ran: it was not saved, and its cookie is not set. */
    saveRefused: boolean;
    /** Until when the session lives, as this request saved it (epoch ms). */
    savedExpiry?: number | undefined;
    /** Who is signing in: the session's new id is placed for them (`regenerateFor`). */
    signingIn?: string;
  }
>();

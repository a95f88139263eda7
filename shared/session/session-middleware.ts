import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import session from 'koa-session';
import { SESSION_MAX_AGE_MS, type SessionData, type Sessions } from './sessions.ts';

/** The parts of koa-session's session object the samples use (koa-session does not type `ctx.session`). */
export type Session = SessionData & {
  /** Saves the session under a new key (used at sign-in, against session fixation). */
  regenerate(): Promise<void> | undefined;
};

declare module 'koa' {
  interface DefaultContext {
    session: Session | null;
  }
}

/** Forgets who was signed in and their token cache (a new sign-in in the same browser). */
export function clearSessionData(session: SessionData): void {
  delete session.user;
  delete session.tokenCache;
}

/**
 * Server-side sessions with koa-session: the cookie holds only a random, signed session key
 * (httpOnly, SameSite=Lax); the data lives in {@link Sessions}, where front-channel sign-out can
 * find and end a session without its cookie.
 */
export function sessionMiddleware(
  app: Koa,
  options: { cookieName: string; sessions: Sessions; secure: boolean },
): Koa.Middleware {
  const { sessions } = options;
  return session(
    {
      key: options.cookieName,
      maxAge: SESSION_MAX_AGE_MS,
      httpOnly: true,
      signed: true,
      sameSite: 'lax',
      secure: options.secure,
      renew: true,
      genid: () => randomBytes(32).toString('base64url'),
      store: {
        get: (key: string) => sessions.get(key),
        // The store is the one place that always knows a session's current key (koa-session's
        // `externalKey` still names the old one after `regenerate()`): the sid index is written here.
        set: (key: string, data: SessionData, maxAge: number | 'session' | undefined) =>
          sessions.save(
            key,
            data,
            (typeof maxAge === 'number' ? maxAge : SESSION_MAX_AGE_MS) / 1000,
          ),
        destroy: (key: string) => sessions.destroy(key),
      },
    },
    app,
  );
}

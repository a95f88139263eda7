import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import session from 'koa-session';
import type { KeyValueStore } from '../store/key-value-store.ts';
import type { SessionsBySid } from './sessions-by-sid.ts';

/** Who is signed in, as the session records it at sign-in. No tokens: those live in the token cache. */
export interface SessionUser {
  /** msal's home account id (`uid.utid`): the key of the user's token cache partition. */
  homeAccountId: string;
  name: string;
  username: string;
  /** The identity platform's session id (`sid` claim): what front-channel sign-out names. */
  sid: string;
  /** The id token's `login_hint` claim, sent back as `logout_hint` to skip the account picker. */
  loginHint?: string;
  /** The id token's issuer, to check the `iss` of a front-channel sign-out request. */
  issuer: string;
}

/** What a sample keeps in its server-side session. */
export interface SessionData {
  user?: SessionUser;
  /** Samples that keep msal's cache in the session (java, python) store it serialized here. */
  tokenCache?: string;
}

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

export const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000;
const sessionKeyPrefix = 'session:';

/**
 * Server-side sessions: the cookie holds only a random, signed session key; the data lives in
 * the store, where front-channel sign-out can find and end a session without its cookie.
 * Each session of a signed-in user is indexed under the user's `sid` as it is saved: the store is
 * the one place that always knows a session's current key.
 */
export function sessionMiddleware(
  app: Koa,
  options: {
    cookieName: string;
    store: KeyValueStore;
    secure: boolean;
    sessionsBySid: SessionsBySid;
  },
): Koa.Middleware {
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
        async get(key: string) {
          const value = await options.store.get(sessionKeyPrefix + key);
          return value ? JSON.parse(value) : undefined;
        },
        async set(key: string, data: SessionData, maxAge: number | 'session' | undefined) {
          const ttlMs = typeof maxAge === 'number' ? maxAge : SESSION_MAX_AGE_MS;
          await options.store.set(sessionKeyPrefix + key, JSON.stringify(data), ttlMs / 1000);
          if (data.user?.sid) await options.sessionsBySid.addSession(data.user.sid, key);
        },
        async destroy(key: string) {
          await options.store.delete(sessionKeyPrefix + key);
        },
      },
    },
    app,
  );
}

/** Ends a session that is not the current request's (front-channel sign-out has no cookie). */
export async function destroySession(store: KeyValueStore, sessionKey: string): Promise<void> {
  await store.delete(sessionKeyPrefix + sessionKey);
}

/** Lists the sessions in the store, for samples that keep their token cache in the session. */
export async function allSessions(store: KeyValueStore): Promise<SessionData[]> {
  const keys = await store.keys(sessionKeyPrefix);
  const values = await Promise.all(keys.map((key) => store.get(key)));
  return values.flatMap((value) => (value ? [JSON.parse(value) as SessionData] : []));
}

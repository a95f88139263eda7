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

/** Forgets who was signed in and their token cache (a new sign-in in the same browser). */
export function clearSessionData(session: SessionData): void {
  delete session.user;
  delete session.tokenCache;
}

export const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000;

/** One sample's sessions in the shared store, under the sample's own key prefix. */
export class SessionStore {
  constructor(
    private readonly store: KeyValueStore,
    private readonly keyPrefix: string,
  ) {}

  async get(sessionKey: string): Promise<SessionData | undefined> {
    const value = await this.store.get(this.keyPrefix + sessionKey);
    return value ? (JSON.parse(value) as SessionData) : undefined;
  }

  async set(sessionKey: string, data: SessionData, ttlSeconds: number): Promise<void> {
    await this.store.set(this.keyPrefix + sessionKey, JSON.stringify(data), ttlSeconds);
  }

  /** Ends a session; also one that is not the current request's (front-channel has no cookie). */
  async destroy(sessionKey: string): Promise<void> {
    await this.store.delete(this.keyPrefix + sessionKey);
  }

  /** Every live session, for samples whose token cache lives in the session (the inspector). */
  async all(): Promise<SessionData[]> {
    const keys = await this.store.keys(this.keyPrefix);
    const sessions = await Promise.all(keys.map((key) => this.store.get(key)));
    return sessions.flatMap((value) => (value ? [JSON.parse(value) as SessionData] : []));
  }
}

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
    sessions: SessionStore;
    sessionsBySid: SessionsBySid;
    secure: boolean;
  },
): Koa.Middleware {
  const { sessions, sessionsBySid } = options;
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
        async set(key: string, data: SessionData, maxAge: number | 'session' | undefined) {
          const ttlMs = typeof maxAge === 'number' ? maxAge : SESSION_MAX_AGE_MS;
          await sessions.set(key, data, ttlMs / 1000);
          if (data.user?.sid) await sessionsBySid.add(data.user, key);
        },
        destroy: (key: string) => sessions.destroy(key),
      },
    },
    app,
  );
}

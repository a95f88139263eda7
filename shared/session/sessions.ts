import type { KeyValueStore } from '../store/key-value-store.ts';

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

/** What the app knows about one identity platform session (`sid`). */
export interface SidRecord {
  homeAccountId: string;
  issuer: string;
}

export const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000;

/**
 * One sample's server-side sessions, and the index from the identity platform's session id
 * (`sid`) to them: the one module that writes either.
 *
 * Why the index: front-channel sign-out arrives in a cross-site iframe, where browsers no longer
 * send the app's session cookie; the request carries only `sid`. Each time a signed-in session is
 * saved, its key is recorded under its user's `sid`, so that the app can end exactly those
 * sessions, on the server, without the cookie. The index lives as long as its longest session.
 */
export class Sessions {
  private readonly ttlSeconds = SESSION_MAX_AGE_MS / 1000;

  constructor(
    private readonly store: KeyValueStore,
    /** e.g. `aspnetcore:`; sessions live under `<prefix>session:`, the index under `<prefix>sid:`. */
    private readonly keyPrefix: string,
  ) {}

  async get(sessionKey: string): Promise<SessionData | undefined> {
    const value = await this.store.get(this.sessionKey(sessionKey));
    return value ? (JSON.parse(value) as SessionData) : undefined;
  }

  /** Saves a session (koa-session calls this) and, when someone is signed in, indexes it by `sid`. */
  async save(sessionKey: string, data: SessionData, ttlSeconds: number): Promise<void> {
    await this.store.set(this.sessionKey(sessionKey), JSON.stringify(data), ttlSeconds);
    const user = data.user;
    if (!user?.sid) return;
    const record: SidRecord = { homeAccountId: user.homeAccountId, issuer: user.issuer };
    await this.store.set(this.sidKey(user.sid), JSON.stringify(record), this.ttlSeconds);
    await this.store.addToSet(this.sidSessionsKey(user.sid), sessionKey, this.ttlSeconds);
  }

  /** Ends a session; also one that is not the current request's (front-channel has no cookie). */
  async destroy(sessionKey: string): Promise<void> {
    await this.store.delete(this.sessionKey(sessionKey));
  }

  /** Who signed in through the identity platform session `sid`, if anyone did here. */
  async findBySid(sid: string): Promise<SidRecord | undefined> {
    const value = await this.store.get(this.sidKey(sid));
    return value ? (JSON.parse(value) as SidRecord) : undefined;
  }

  /** Ends every session of this app that signed in through `sid`, and forgets the `sid`. */
  async endBySid(sid: string): Promise<void> {
    const sessionKeys = await this.store.setMembers(this.sidSessionsKey(sid));
    await Promise.all(sessionKeys.map((key) => this.destroy(key)));
    await this.store.delete(this.sidKey(sid), this.sidSessionsKey(sid));
  }

  /** Every live session, for samples whose token cache lives in the session (the inspector). */
  async all(): Promise<SessionData[]> {
    const keys = await this.store.keys(this.sessionKey(''));
    const sessions = await Promise.all(keys.map((key) => this.store.get(key)));
    return sessions.flatMap((value) => (value ? [JSON.parse(value) as SessionData] : []));
  }

  private sessionKey(sessionKey: string): string {
    return `${this.keyPrefix}session:${sessionKey}`;
  }

  private sidKey(sid: string): string {
    return `${this.keyPrefix}sid:${sid}`;
  }

  private sidSessionsKey(sid: string): string {
    return `${this.keyPrefix}sid:${sid}:sessions`;
  }
}

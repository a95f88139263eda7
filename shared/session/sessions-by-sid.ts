import type { KeyValueStore } from '../store/key-value-store.ts';
import { SESSION_MAX_AGE_MS, type SessionStore, type SessionUser } from './session.ts';

/** What the app knows about one identity platform session (`sid`). */
export interface SidRecord {
  homeAccountId: string;
  issuer: string;
}

/**
 * An index from the identity platform's session id (`sid`) to this app's sessions and user.
 *
 * Front-channel sign-out arrives in a cross-site iframe, where browsers no longer send the app's
 * session cookie; the request carries only `sid`. Recording which sessions belong to which `sid`
 * (as the session store saves them) lets the app end exactly those sessions, on the server,
 * without the cookie. Only aspnetcore reads it: the other samples register no front-channel URL.
 */
export class SessionsBySid {
  private readonly ttlSeconds = SESSION_MAX_AGE_MS / 1000;

  constructor(
    private readonly store: KeyValueStore,
    private readonly keyPrefix: string,
    private readonly sessions: SessionStore,
  ) {}

  /**
   * Records that the session `sessionKey` belongs to `user`'s `sid`. The session store calls this
   * each time it saves a signed-in session, so the record lives as long as its longest session.
   */
  async add(user: SessionUser, sessionKey: string): Promise<void> {
    const record: SidRecord = { homeAccountId: user.homeAccountId, issuer: user.issuer };
    await this.store.set(this.recordKey(user.sid), JSON.stringify(record), this.ttlSeconds);
    await this.store.addToSet(this.sessionsKey(user.sid), sessionKey, this.ttlSeconds);
  }

  async find(sid: string): Promise<SidRecord | undefined> {
    const value = await this.store.get(this.recordKey(sid));
    return value ? (JSON.parse(value) as SidRecord) : undefined;
  }

  /** Ends every session of this app that signed in through `sid`, and forgets the `sid`. */
  async endSessions(sid: string): Promise<void> {
    const sessionKeys = await this.store.setMembers(this.sessionsKey(sid));
    await Promise.all(sessionKeys.map((key) => this.sessions.destroy(key)));
    await this.store.delete(this.recordKey(sid), this.sessionsKey(sid));
  }

  private recordKey(sid: string): string {
    return `${this.keyPrefix}${sid}`;
  }

  private sessionsKey(sid: string): string {
    return `${this.keyPrefix}${sid}:sessions`;
  }
}

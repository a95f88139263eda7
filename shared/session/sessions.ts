import type { KeyValueStore, Write, WriteGuard } from '../store/key-value-store.ts';
import { labelOf, type Timeline } from '../timeline/timeline.ts';

/** What the inspector shows of the sessions (counts only). */
export interface SessionCensus {
  sessions: number;
  sids: number;
  /** Every entry of the sessions and the `sid` index. */
  entries: number;
  removalMarkers: number;
}

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
  /** The rest of msal's account, so that a request need not rebuild it from the cache. */
  account?: { environment: string; tenantId: string; localAccountId: string };
  /** When they signed in here (epoch ms). */
  signedInAt?: number;
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
 * How long a `sid` the identity platform ended (front-channel sign-out) stays refused. The
 * identity platform never revives a `sid`, but a code it issued for it just before can still be
 * redeemed, for ten minutes: a sign-in completing after the sign-out must not start a session.
 */
const ENDED_SID_SECONDS = 15 * 60;

/**
 * One sample's server-side sessions, and the index from the identity platform's session id
 * (`sid`) to them: the one module that writes either.
 *
 * Why the index: front-channel sign-out arrives in a cross-site iframe, where browsers no longer
 * send the app's session cookie; the request carries only `sid`. Each time a signed-in session is
 * saved, its key is recorded under its user's `sid`, so that the app can end exactly those
 * sessions, on the server, without the cookie. The index lives as long as its longest session,
 * and goes with its last one.
 *
 * Why a sign-out wins: ending a session removes it with a marker (`KeyValueStore.remove`), and a
 * save is refused if its session, or its `sid`, was removed after the request that saves it began
 * — or, for a `sid` the identity platform ended, at all. A request still running when the user
 * signs out (a slow token refresh, koa-session renewing the session on its way out, a sign-in
 * completing) cannot bring the session back.
 */
export class Sessions {
  private readonly ttlSeconds = SESSION_MAX_AGE_MS / 1000;

  constructor(
    private readonly store: KeyValueStore,
    /** e.g. `aspnetcore:`; sessions live under `<prefix>session:`, the index under `<prefix>sid:`. */
    private readonly keyPrefix: string,
    /** Where sessions ended by `sid` are told (the sample's timeline). */
    private readonly timeline?: Timeline,
  ) {}

  /** The store's clock: a request's start, for `save` (see `KeyValueStore.now`). */
  now(): number {
    return this.store.now();
  }

  async get(sessionKey: string): Promise<SessionData | undefined> {
    const value = await this.store.get(this.sessionKey(sessionKey));
    return value ? (JSON.parse(value) as SessionData) : undefined;
  }

  /**
   * Saves a session (koa-session calls this at the end of a request) and, when someone is signed
   * in, indexes it by `sid`: all in one step. Refused (`false`) if the session or its `sid` was
   * ended after `requestStartedAt`, or if the identity platform ended the `sid`.
   */
  async save(
    sessionKey: string,
    data: SessionData,
    ttlSeconds: number,
    requestStartedAt: number,
  ): Promise<boolean> {
    const key = this.sessionKey(sessionKey);
    const writes: Write[] = [{ set: key, value: JSON.stringify(data), ttlSeconds }];
    const guards: WriteGuard[] = [{ unlessRemoved: key, since: requestStartedAt }];
    const user = data.user;
    if (user?.sid && isSid(user.sid)) {
      const record: SidRecord = { homeAccountId: user.homeAccountId, issuer: user.issuer };
      const ttl = this.ttlSeconds;
      writes.push(
        { set: this.sidKey(user.sid), value: JSON.stringify(record), ttlSeconds: ttl },
        { addToSet: this.sidSessionsKey(user.sid), member: sessionKey, ttlSeconds: ttl },
      );
      guards.push(
        { unlessRemoved: this.sidKey(user.sid), since: requestStartedAt },
        { unlessRemoved: this.endedSidKey(user.sid), since: 0 },
      );
    }
    return this.store.write(writes, guards);
  }

  /**
   * Ends one session (a local sign-out, or the old key of a session that got a new one): a
   * request still running for it cannot save it again. It leaves the `sid` index, which goes
   * when its last session does. A key with no session (a visitor who was never signed in) leaves
   * nothing behind, not even a marker.
   */
  async destroy(sessionKey: string): Promise<void> {
    const stored = await this.get(sessionKey);
    if (!stored) return;
    await this.store.remove([this.sessionKey(sessionKey)]);
    const sid = stored.user?.sid;
    if (sid) {
      await this.store.removeFromSet(this.sidSessionsKey(sid), sessionKey, [this.sidKey(sid)]);
    }
  }

  /** Who signed in through the identity platform session `sid`, if anyone did here. */
  async findBySid(sid: string): Promise<SidRecord | undefined> {
    if (!isSid(sid)) return undefined;
    const value = await this.store.get(this.sidKey(sid));
    return value ? (JSON.parse(value) as SidRecord) : undefined;
  }

  /**
   * Ends every session of this app that signed in through `sid`, and forgets the `sid`. The `sid`
   * is removed first: from then on no request that began before can save a session of it, so the
   * list of its sessions read next is complete. When the identity platform itself ended the `sid`
   * (front-channel sign-out), no session of it is saved again at all, even by a sign-in completing
   * afterwards.
   */
  async endBySid(sid: string, { endedByIdentityPlatform = false } = {}): Promise<void> {
    if (!isSid(sid)) return;
    await this.store.remove([this.sidKey(sid)]);
    if (endedByIdentityPlatform)
      await this.store.remove([this.endedSidKey(sid)], ENDED_SID_SECONDS);
    const sessionKeys = await this.store.setMembers(this.sidSessionsKey(sid));
    // The `sid` record again: a request that began after its first removal may have saved it
    // meanwhile (with a shared store, on another instance); it goes with the sessions.
    await this.store.remove([
      this.sidKey(sid),
      this.sidSessionsKey(sid),
      ...sessionKeys.map((sessionKey) => this.sessionKey(sessionKey)),
    ]);
    const session = labelOf(sid);
    this.timeline?.record({
      kind: 'sessions-ended',
      text: `Ended ${sessionKeys.length} session(s) signed in through identity platform session ${session}, found by its sid`,
      ...(session ? { session } : {}),
      outcome: 'removed',
    });
  }

  /** Every live session, for samples whose token cache lives in the session (the inspector). */
  async all(): Promise<SessionData[]> {
    const keys = await this.store.keys(this.sessionKey(''));
    const sessions = await Promise.all(keys.map((key) => this.store.get(key)));
    return sessions.flatMap((value) => (value ? [JSON.parse(value) as SessionData] : []));
  }

  /**
   * How many sessions and `sid` records this sample holds, how many entries in all (the sets of
   * each `sid`'s sessions too), and the removal markers they leave for a few minutes after
   * sign-outs (the inspector; what is left behind).
   */
  async census(): Promise<SessionCensus> {
    const sids = await this.store.keys(this.sidKey(''));
    const [sessions, index] = await Promise.all([
      this.store.stats(this.sessionKey('')),
      this.store.stats(this.sidKey('')),
    ]);
    return {
      sessions: sessions.entries,
      sids: sids.filter((key) => !key.endsWith(':sessions')).length,
      entries: sessions.entries + index.entries,
      removalMarkers: sessions.removalMarkers + index.removalMarkers,
    };
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

  /** Only ever a removal marker: the identity platform ended this `sid`. */
  private endedSidKey(sid: string): string {
    return `${this.keyPrefix}sid:${sid}:ended`;
  }
}

/**
 * What a `sid` can be: Entra's are GUIDs. Anything else (a `:` that would make `sid:X:sessions`
 * the record of the `sid` "X:sessions", say) is nobody's: never indexed, never found.
 */
function isSid(sid: string): boolean {
  return /^[\w.~-]{1,128}$/.test(sid);
}

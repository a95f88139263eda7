import { randomBytes } from 'node:crypto';
import { emit } from '../events.ts';
import { checkKeyPrefix, slotTag, tag, tagBeside } from '../store/hash-slot.ts';
import type { KeyValueStore } from '../store/key-value-store.ts';

/** What the inspector shows of the sessions (counts only). */
export interface SessionCensus {
  sessions: number;
  /** Identity platform sessions (`sid`s) with at least one session of this app indexed under them. */
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
  /**
   * The identity platform's session id: what front-channel sign-out names. From the id token's
   * `sid` claim, which came straight from the token endpoint; without that optional claim, from the
   * authorization response's `session_state`, which the browser carried and could have changed
   * (see `Sessions`).
   */
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
  /**
   * An access token kept beside the cache, as Microsoft's Node sample keeps one (`node`): a copy
   * the token cache does not manage, which goes only with the session.
   */
  accessToken?: string;
  /**
   * The claims of a claims challenge the next sign-in must carry (`SignInAgainWithClaims` of
   * `callApi`): kept here, on the server, between the refused API call and the sign-in it leads to.
   */
  claimsChallenge?: string;
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
 * saved, its key is recorded under its `sid`, so that the app can end exactly those sessions, and
 * find whose tokens to remove (each session names its user), on the server, without the cookie.
 * The index lives as long as its longest session, and goes with its last one. It holds session
 * ids only: who they belong to is in the sessions, which a shared store keeps encrypted.
 *
 * Why a `sid` may name several users: it is recorded as the sign-in said it. From the id token's
 * `sid` claim it is the identity platform's word; without that optional claim it comes from the
 * authorization response's `session_state`, which the browser carries and a user can change (replay
 * their own sign-in response with someone else's `sid`). So nothing is overwritten: a `sid` keeps
 * every user recorded under it, and a sign-out by `sid` reaches all of them. Whoever claimed another
 * person's `sid` can only be signed out with that person; nobody can move a sign-out away from
 * themselves. A user's own sign-out ends their sessions only (`endBySid` with `onlyUser`).
 *
 * Why a sign-out wins: ending a session removes it with a marker (`KeyValueStore.remove`), and a
 * save is refused if its session, its `sid`, or its user's sessions under that `sid` were ended
 * after the request that saves it began — or, for a `sid` the identity platform ended, at all. A
 * request still running when the user signs out (a slow token refresh, koa-session renewing the
 * session on its way out, a sign-in completing) cannot bring the session back.
 *
 * The keys (hash tags, `hash-slot.ts`): a session `<prefix>session:{x:<id>}`, or, signed in, the
 * slot of its user's token partition, `<prefix>session:{@<n>}:<id>` (see `newId`); a `sid`'s index
 * `<prefix>sid:{s:<sid>}:sessions` and its markers `<prefix>sid:{s:<sid>}`, `…:user:<home account
 * id>`, `…:ended`. Each step below touches one tag only, so each is one script on one hash slot of
 * a Redis Cluster; the order of the steps is what keeps a sign-out winning (see `save`, `endBySid`).
 */
export class Sessions {
  private readonly ttlSeconds = SESSION_MAX_AGE_MS / 1000;

  constructor(
    private readonly store: KeyValueStore,
    /** e.g. `aspnetcore:`; sessions live under `<prefix>session:`, the index under `<prefix>sid:`. */
    private readonly keyPrefix: string,
    /** Names this app (this instance) in the events it emits (`sessions-ended`). */
    private readonly app: string,
  ) {
    checkKeyPrefix(keyPrefix);
    // The table of `newId`'s tags, now rather than at the first sign-in.
    slotTag(0);
  }

  /** The store's clock: a request's start, for `save` (see `KeyValueStore.now`). */
  now(): number {
    return this.store.now();
  }

  /**
   * A new session id (koa-session's key, in the cookie): 256 random bits; for the session of a user
   * signing in, followed by `@<n>`, which puts the session in the hash slot of the user's token
   * partition (`tagBeside`: a slot, not the user's ids, though the same in all their sessions). On a Redis Cluster, a request
   * then reads its session on the very connection its user's partition comes from, and that read
   * is what brings this process's client-side copy of the partition up to date (see
   * `RedisStore.get`), as it does on one Redis.
   */
  newId(homeAccountId?: string): string {
    const id = randomBytes(32).toString('base64url');
    return homeAccountId === undefined ? id : id + tagBeside('u', homeAccountId).slice(1, -1);
  }

  async get(sessionKey: string): Promise<SessionData | undefined> {
    const value = await this.store.get(this.sessionKey(sessionKey));
    return value ? (JSON.parse(value) as SessionData) : undefined;
  }

  /**
   * Saves a session (koa-session calls this at the end of a request) and, when someone is signed
   * in, indexes it by `sid`, with its user. Refused (`false`) if the session, its `sid`, or its
   * user's sessions of that `sid` were ended after `requestStartedAt`, or if the identity platform
   * ended the `sid`.
   *
   * Two steps, each one guarded write on one hash slot (the `sid`'s, then the session's), in this
   * order: **the index first**. The index must never lag a session it leads to: a session written
   * first could be missed by an `endBySid` that marks the `sid` and reads the index between the two
   * steps, and it would stay signed in. Index first, `endBySid` either runs before step 1 (its `sid`
   * marker refuses step 1: nothing is written), or reads an index that lists this session, and
   * removes it with a marker whether or not step 2 has written it yet (see `endBySid`): step 2 is
   * then refused by that marker, or the session it wrote is deleted. Stopped between the steps
   * (the store failed), an index entry is left without a session: harmless, it reads as a session
   * already gone, and goes with the next `endBySid` or with the index.
   */
  async save(
    sessionKey: string,
    data: SessionData,
    ttlSeconds: number,
    requestStartedAt: number,
  ): Promise<boolean> {
    const user = data.user;
    const sid = user?.sid && isSid(user.sid) ? user.sid : undefined;
    if (user && sid) {
      const { homeAccountId } = user;
      const indexed = await this.store.write(
        [
          {
            addToSet: this.sidSessionsKey(sid),
            member: sessionKey,
            // As long as the session itself, from before it is written: the index never goes
            // before a session it leads to.
            ttlSeconds: Math.max(ttlSeconds, this.ttlSeconds),
          },
        ],
        [
          { unlessRemoved: this.sidKey(sid), since: requestStartedAt },
          { unlessRemoved: this.sidUserKey(sid, homeAccountId), since: requestStartedAt },
          { unlessRemoved: this.endedSidKey(sid), since: 0 },
        ],
        // On a replica before the session is written: a failover must not lose the entry a
        // front-channel sign-out will look for while the session itself (another slot) survives.
        { durable: true },
      );
      if (!indexed) return false;
    }
    const key = this.sessionKey(sessionKey);
    const saved = await this.store.write(
      [{ set: key, value: JSON.stringify(data), ttlSeconds }],
      [{ unlessRemoved: key, since: requestStartedAt }],
    );
    // Refused: the session was ended since this request began (`destroy`, which took its entry
    // out of the index, perhaps before step 1 put it back). The entry goes too, so that nothing is
    // left behind: nobody saves this session id again (a session not found gets a new id).
    if (!saved && sid) await this.store.removeFromSet(this.sidSessionsKey(sid), sessionKey);
    return saved;
  }

  /**
   * Ends one session (the old key of a session that got a new one, a sign-out that ends only this
   * browser's): a request still running for it cannot save it again. It leaves the `sid` index,
   * which goes when its last session does. A key with no session (a visitor who was never signed
   * in) leaves nothing behind, not even a marker. Returns what the session held.
   */
  async destroy(sessionKey: string): Promise<SessionData | undefined> {
    const stored = await this.get(sessionKey);
    if (!stored) return undefined;
    await this.store.remove([this.sessionKey(sessionKey)]);
    const sid = stored.user?.sid;
    if (sid && isSid(sid)) await this.store.removeFromSet(this.sidSessionsKey(sid), sessionKey);
    return stored;
  }

  /**
   * Every user recorded under the identity platform session `sid` here (home account ids): one,
   * unless someone claimed a `sid` that was not theirs (see the class comment); none if nobody
   * signed in here through it, or all its sessions have ended.
   */
  async usersOf(sid: string): Promise<string[]> {
    return usersIn(await this.sessionsOf(sid));
  }

  /**
   * Ends every session of this app that signed in through `sid` (with `onlyUser`, only that
   * user's), and returns the users whose sessions it ended. The `sid` (or the user's place in it)
   * is marked first: from then on no request that began before can save a session of it, so the
   * list of its sessions read next is complete. When the identity platform itself ended the `sid`
   * (front-channel sign-out), no session of it is saved again at all, even by a sign-in completing
   * afterwards. Running it again after it stopped half-way (the store failed) finishes the job.
   */
  async endBySid(
    sid: string,
    {
      endedByIdentityPlatform = false,
      onlyUser,
    }: { endedByIdentityPlatform?: boolean; onlyUser?: string } = {},
  ): Promise<string[]> {
    if (!isSid(sid)) return [];
    await this.store.remove([onlyUser ? this.sidUserKey(sid, onlyUser) : this.sidKey(sid)]);
    if (endedByIdentityPlatform)
      await this.store.remove([this.endedSidKey(sid)], ENDED_SID_SECONDS);
    const ended = (await this.sessionsOf(sid)).filter(
      ({ user }) => !onlyUser || user === undefined || user === onlyUser,
    );
    // Every session the index lists, those that read as absent too: `save` indexes a session
    // (step 1) before it writes it (step 2), so "absent" may be "not written yet". Trace: step 1
    // adds the id → this marks the `sid` → reads the index (the id is there) → reads the session:
    // not yet written, no user → were it skipped, step 2 would find no marker of its own and write
    // a signed-in session that outlived this sign-out. With the marker, step 2 is refused (the
    // marker is after its request began), or, if it ran in between, the session is deleted here.
    // The cost: a marker (five minutes) per id already gone; and with `onlyUser`, an absent id
    // could be another user's save in flight under the same claimed `sid`, whose sign-in is then
    // refused (it errs toward signing out, and only for a `sid` claimed by two users).
    // One script per hash slot (each session its own), every one done before the index is touched.
    await this.store.remove(ended.map(({ key }) => this.sessionKey(key)));
    // Only the entries read (and those of sessions already gone): a session saved since (a new
    // sign-in, after a local sign-out) stays indexed.
    for (const { key } of ended) await this.store.removeFromSet(this.sidSessionsKey(sid), key);
    const users = usersIn(ended);
    const sessions = ended.filter(({ user }) => user).length;
    emit({ type: 'sessions-ended', app: this.app, sid, sessions, users });
    return users;
  }

  /**
   * The sessions indexed under `sid`, each with its user (read from the session itself, so that the
   * index holds nothing but session ids); `user` is undefined for a session that has already gone.
   */
  private async sessionsOf(sid: string): Promise<Array<{ key: string; user?: string }>> {
    if (!isSid(sid)) return [];
    const keys = await this.store.setMembers(this.sidSessionsKey(sid));
    return Promise.all(
      keys.map(async (key) => {
        const user = (await this.get(key))?.user;
        // A session is of this sid only if it says so.
        return user?.sid === sid ? { key, user: user.homeAccountId } : { key };
      }),
    );
  }

  /** Every live session, for samples whose token cache lives in the session (the inspector). */
  async all(): Promise<SessionData[]> {
    const keys = await this.store.keys(`${this.keyPrefix}session:`);
    const sessions = await Promise.all(keys.map((key) => this.store.get(key)));
    return sessions.flatMap((value) => (value ? [JSON.parse(value) as SessionData] : []));
  }

  /**
   * How many sessions and `sid` records this sample holds, how many entries in all (the sets of
   * each `sid`'s sessions too), and the removal markers they leave for a few minutes after
   * sign-outs (the inspector; what is left behind).
   */
  async census(): Promise<SessionCensus> {
    const sids = await this.store.keys(`${this.keyPrefix}sid:`);
    const [sessions, index] = await Promise.all([
      this.store.stats(`${this.keyPrefix}session:`),
      this.store.stats(`${this.keyPrefix}sid:`),
    ]);
    return {
      sessions: sessions.entries,
      sids: sids.filter((key) => key.endsWith(':sessions')).length,
      entries: sessions.entries + index.entries,
      removalMarkers: sessions.removalMarkers + index.removalMarkers,
    };
  }

  /** A session: in the slot its id names (`newId`), or on its own, `{x:<id>}`. */
  private sessionKey(sessionKey: string): string {
    const beside = /^([\w-]{1,64})@(\d{1,6})$/.exec(sessionKey);
    if (beside) return `${this.keyPrefix}session:{@${beside[2]}}:${beside[1]}`;
    return `${this.keyPrefix}session:${tag('x', sessionKey)}`;
  }

  /** Only ever a removal marker: every session of this `sid` was ended. */
  private sidKey(sid: string): string {
    return `${this.keyPrefix}sid:${tag('s', sid)}`;
  }

  /** Only ever a removal marker: this user's sessions of this `sid` were ended (their sign-out). */
  private sidUserKey(sid: string, homeAccountId: string): string {
    return `${this.sidKey(sid)}:user:${homeAccountId}`;
  }

  /** The index, on the `sid`'s hash slot with its markers. */
  private sidSessionsKey(sid: string): string {
    return `${this.sidKey(sid)}:sessions`;
  }

  /** Only ever a removal marker: the identity platform ended this `sid`. */
  private endedSidKey(sid: string): string {
    return `${this.sidKey(sid)}:ended`;
  }
}

/**
 * What a `sid` can be: Entra's are GUIDs. Anything else (a `:` that would make `sid:X:sessions`
 * the index of the `sid` "X:sessions", say) is nobody's: never indexed, never found.
 */
export function isSid(sid: string): boolean {
  return /^[\w.~-]{1,128}$/.test(sid);
}

function usersIn(sessions: ReadonlyArray<{ user?: string }>): string[] {
  return [...new Set(sessions.flatMap(({ user }) => (user ? [user] : [])))];
}

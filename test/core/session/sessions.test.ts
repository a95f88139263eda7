/**
 * `shared/core/session/sessions.ts` with the token cache beside it, as aspnetcore's sign-outs use them
 * (`samples/aspnetcore/sign-out.ts`), on the in-memory store and on a real `redis-server`: each
 * interleaving of a sign-in completing with a front-channel sign-out of its `sid`, played step by
 * step, ends with no token that no session leads to; a `sid` names every user recorded under it;
 * a user's own sign-out ends only their sessions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type SessionData, Sessions } from '../../../shared/core/session/sessions.ts';
import { removeEverythingOf } from '../../../shared/core/sign-out.ts';
import { tag } from '../../../shared/core/store/hash-slot.ts';
import type { KeyValueStore } from '../../../shared/core/store/key-value-store.ts';
import { RedisStore } from '../../../shared/core/store/redis-store.ts';
import { PerUserTokenCache } from '../../../shared/core/token-cache/per-user-token-cache.ts';
import { startRedis, type TestRedis } from '../../helpers/redis.ts';
import { SlotCheckingStore } from '../slot-checking-store.ts';

const SID = 'sid-of-the-identity-platform-session';

/** A signed-in session of `homeAccountId` through `sid`. */
const sessionOf = (homeAccountId: string, sid = SID): SessionData => ({
  user: {
    homeAccountId,
    name: homeAccountId,
    username: `${homeAccountId}@example`,
    sid,
    issuer: 'iss',
  },
});

/** What msal writes for one user: an account and a refresh token. */
const tokensOf = (homeAccountId: string) =>
  JSON.stringify({
    Account: { [homeAccountId]: { home_account_id: homeAccountId, username: homeAccountId } },
    RefreshToken: { [`${homeAccountId}-rt`]: { home_account_id: homeAccountId } },
  });

/** Sessions that let a test run something just before a `sid`'s sessions are ended. */
class InterleavedSessions extends Sessions {
  beforeEndingSid: (() => Promise<void>) | undefined;

  override async endBySid(...args: Parameters<Sessions['endBySid']>): Promise<string[]> {
    const before = this.beforeEndingSid;
    this.beforeEndingSid = undefined;
    await before?.();
    return super.endBySid(...args);
  }
}

/**
 * A store that runs `afterIndexing` once, right after the next write to a `sid` index succeeds:
 * between the two steps of `Sessions.save` (the index, then the session). Over any store.
 */
class BetweenSaveSteps implements KeyValueStore {
  afterIndexing: (() => Promise<void>) | undefined;

  constructor(private readonly inner: KeyValueStore) {}

  now = () => this.inner.now();
  get: KeyValueStore['get'] = (...args) => this.inner.get(...args);
  deleteIfUnchanged: KeyValueStore['deleteIfUnchanged'] = (...args) =>
    this.inner.deleteIfUnchanged(...args);
  remove: KeyValueStore['remove'] = (...args) => this.inner.remove(...args);
  removeFromSet: KeyValueStore['removeFromSet'] = (...args) => this.inner.removeFromSet(...args);
  setMembers: KeyValueStore['setMembers'] = (...args) => this.inner.setMembers(...args);
  keys: KeyValueStore['keys'] = (...args) => this.inner.keys(...args);
  stats: KeyValueStore['stats'] = (...args) => this.inner.stats(...args);
  close = async () => {};

  async write(...args: Parameters<KeyValueStore['write']>): Promise<boolean> {
    const wrote = await this.inner.write(...args);
    const indexing = args[0].some((write) => 'addToSet' in write);
    const after = this.afterIndexing;
    if (wrote && indexing && after) {
      this.afterIndexing = undefined;
      await after();
    }
    return wrote;
  }
}

const stores: Array<[string, () => Promise<{ store: KeyValueStore; stop(): Promise<void> }>]> = [
  ['memory', async () => ({ store: new SlotCheckingStore(), async stop() {} })],
  [
    'Redis',
    async () => {
      const redis = (await startRedis({ skip() {} })) as TestRedis;
      const store = await RedisStore.connect(redis.url, {
        timeoutMs: 2000,
        variable: 'REDIS_URL',
        log() {},
      });
      return { store, stop: () => redis.close() };
    },
  ],
];

for (const [name, open] of stores) {
  describe(`on ${name}`, () => {
    let store: KeyValueStore;
    let stop = async () => {};
    let round = 0;
    before(async () => {
      ({ store, stop } = await open());
    });
    after(async () => {
      await store.close();
      await stop();
    });
    /** A sample's sessions and token cache, fresh for each test (their own key prefix). */
    const sample = () => {
      round += 1;
      const sessions = new InterleavedSessions(store, `t${round}:`, 'test');
      const tokenCache = new PerUserTokenCache(store, {
        keyPrefix: `t${round}:msal:`,
        app: 'test',
        ttlSeconds: 60,
        boundToSessions: true,
        msalClient: () => assert.fail('no msal client here'),
      });
      const left = async () => {
        const summary = await tokenCache.summary();
        const census = await sessions.census();
        return { accounts: summary.accounts.length, sessions: census.sessions };
      };
      return { sessions, tokenCache, left };
    };
    /** A moment later, on the store's clock: a removal now is after a request that began before. */
    const tick = () => sleep(3);

    test('a sign-in whose session was saved before the sign-out looked, and whose tokens come after it, keeps none', async () => {
      const { sessions, tokenCache, left } = sample();
      const startedAt = Date.now(); // the sign-in's request begins…
      await tick();
      assert.ok(await sessions.save('s1', sessionOf('alex'), 60, sessions.now())); // …its session is saved…
      await tick();
      await removeEverythingOf(SID, { tokenCache, sessions }); // …the front-channel sign-out runs…
      // …and only then are the sign-in's tokens written: refused, the sign-out removed them since.
      assert.equal(await tokenCache.keepSignIn(tokensOf('alex'), { startedAt }), false);
      assert.deepEqual(await left(), { accounts: 0, sessions: 0 });
    });

    test('a sign-in whose session and tokens were saved after the sign-out looked, before it ended the sid, keeps none', async () => {
      const { sessions, tokenCache, left } = sample();
      await sessions.save('s0', sessionOf('adele'), 60, sessions.now());
      await tokenCache.keepSignIn(tokensOf('adele'), { startedAt: Date.now() });
      // The front-channel sign-out has looked the sid's users up (Adele) and removed their tokens;
      // just before it ends the sid's sessions, a sign-in of Alex through that sid completes.
      sessions.beforeEndingSid = async () => {
        await tick();
        const startedAt = Date.now();
        assert.ok(await sessions.save('s1', sessionOf('alex'), 60, sessions.now()));
        assert.ok(await tokenCache.keepSignIn(tokensOf('alex'), { startedAt }));
        await tick();
      };
      await removeEverythingOf(SID, { tokenCache, sessions });
      assert.deepEqual(await left(), { accounts: 0, sessions: 0 });
      // And a sign-in of that sid completing now keeps no session.
      assert.equal(await sessions.save('s2', sessionOf('alex'), 60, sessions.now()), false);
    });

    test('a sign-out between the two steps of a save (index, then session) leaves nobody signed in', async () => {
      for (const onlyUser of [undefined, 'alex']) {
        round += 1;
        const between = new BetweenSaveSteps(store);
        const sessions = new Sessions(between, `t${round}:`, 'test');
        const startedAt = sessions.now(); // the request that saves the session begins…
        await tick();
        // …its session is indexed under the sid (step 1); before the session is written (step
        // 2), the sign-out runs: it finds the id in the index, with no session behind it yet.
        between.afterIndexing = async () => {
          assert.equal(await sessions.get('s1'), undefined, 'not written yet');
          assert.deepEqual(await sessions.endBySid(SID, onlyUser ? { onlyUser } : {}), []);
        };
        const saved = await sessions.save('s1', sessionOf('alex'), 60, startedAt);
        assert.equal(between.afterIndexing, undefined, 'the sign-out ran between the steps');
        assert.equal(saved, false, `step 2 refused (${onlyUser ? 'local' : 'front-channel'})`);
        assert.equal(await sessions.get('s1'), undefined);
        assert.deepEqual(await sessions.usersOf(SID), []);
        assert.equal((await sessions.census()).sessions, 0);
      }
    });

    test('a save stopped between its steps leaves an index entry, which a sign-out ends as a session', async () => {
      round += 1;
      const between = new BetweenSaveSteps(store);
      const sessions = new Sessions(between, `t${round}:`, 'test');
      const startedAt = sessions.now();
      await tick();
      between.afterIndexing = async () => {
        throw new Error('the store failed before step 2');
      };
      await assert.rejects(sessions.save('s1', sessionOf('alex'), 60, startedAt));
      // Listed, absent: nobody's yet, and no user to sign out.
      assert.deepEqual(await sessions.usersOf(SID), []);
      await tick();
      assert.deepEqual(await sessions.endBySid(SID, { onlyUser: 'alex' }), []);
      // The id listed was removed with its marker: a write of it begun before is refused…
      assert.equal(await sessions.save('s1', {}, 60, startedAt), false);
      // …and the entry left the index.
      assert.deepEqual(await store.setMembers(`t${round}:sid:${tag('s', SID)}:sessions`), []);
    });

    test('a sid claimed by a second user names both; a user ending their sessions of it ends no one else', async () => {
      const { sessions, left } = sample();
      await sessions.save('adele-1', sessionOf('adele'), 60, sessions.now());
      await sessions.save('alex-1', sessionOf('alex'), 60, sessions.now()); // a replayed session_state
      assert.deepEqual((await sessions.usersOf(SID)).sort(), ['adele', 'alex']);
      await tick();
      assert.deepEqual(await sessions.endBySid(SID, { onlyUser: 'alex' }), ['alex']);
      assert.deepEqual(await sessions.usersOf(SID), ['adele']);
      assert.ok(await sessions.get('adele-1'), "Adele's session is still there");
      // Adele's requests still save her session; Alex's, begun before his sign-out, do not.
      assert.ok(await sessions.save('adele-1', sessionOf('adele'), 60, sessions.now()));
      assert.deepEqual(await left(), { accounts: 0, sessions: 1 });
    });
  });
}

test('a session another user claimed is read as its own user, and one of another sid is nobody of this one', async () => {
  const sessions = new Sessions(new SlotCheckingStore(), 'x:', 'test');
  await sessions.save('k', sessionOf('adele', 'other-sid'), 60, sessions.now());
  assert.deepEqual(await sessions.usersOf(SID), []);
  assert.deepEqual(await sessions.usersOf('other-sid'), ['adele']);
  assert.deepEqual(await sessions.usersOf('not:a:sid'), []);
});

/** The stores: removal markers (what makes a sign-out win, and what it leaves behind), Redis, encryption. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EncryptedStore } from '../../../shared/core/store/encrypted-store.ts';
import {
  type KeyValueStore,
  MemoryStore,
  REMOVAL_MARKER_SECONDS,
} from '../../../shared/core/store/key-value-store.ts';
import { RedisStore } from '../../../shared/core/store/redis-store.ts';
import { startRedis } from '../../helpers/redis.ts';

const put = (value: string) => [{ set: 'k', value, ttlSeconds: 60 }];

test('a write that began before a removal, or at the same millisecond, is refused; one after is not', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const store = new MemoryStore();
  await store.write(put('before'));
  const began = Date.now();
  await store.remove(['k']); // in the same millisecond: the sign-out wins
  assert.equal(await store.write(put('stale'), [{ unlessRemoved: 'k', since: began }]), false);
  assert.equal(await store.get('k'), undefined);
  t.mock.timers.tick(1);
  assert.equal(await store.write(put('new'), [{ unlessRemoved: 'k', since: Date.now() }]), true);
  assert.equal(await store.get('k'), 'new');
  // `since: 0`: refused whenever, as long as the marker lives.
  await store.remove(['k']);
  t.mock.timers.tick(60_000);
  assert.equal(await store.write(put('later'), [{ unlessRemoved: 'k', since: 0 }]), false);
  await store.close();
});

test('removal markers expire: after sign-outs, nothing is left for more than minutes', async (t) => {
  assert.ok(REMOVAL_MARKER_SECONDS <= 5 * 60, 'markers live minutes');
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const store = new MemoryStore();
  await store.write(put('v'));
  await store.remove(['k']);
  assert.deepEqual(await store.stats(), { entries: 0, removalMarkers: 1 });
  t.mock.timers.tick(REMOVAL_MARKER_SECONDS * 1000);
  assert.deepEqual(await store.stats(), { entries: 0, removalMarkers: 0 });
  assert.equal(await store.write(put('again'), [{ unlessRemoved: 'k', since: 0 }]), true);
  await store.close();
});

/**
 * The contract every store keeps, run against the in-memory store and against Redis (a real
 * `redis-server` of the test's own), with real time: what sessions, the `sid` index and the token
 * cache partitions rely on.
 */
const implementations: Array<[string, () => Promise<Opened | undefined>]> = [
  ['MemoryStore', async () => ({ store: new MemoryStore(), async stop() {} })],
  [
    'RedisStore',
    async () => {
      const redis = await startRedis({ skip() {} });
      if (!redis) return undefined;
      const store = await RedisStore.connect(redis.url, {
        timeoutMs: 2000,
        variable: 'REDIS_URL',
        log() {},
      });
      return { store, stop: () => redis.close() };
    },
  ],
];

interface Opened {
  store: KeyValueStore;
  stop(): Promise<void>;
}

for (const [name, open] of implementations) {
  describe(`${name}: the store contract`, () => {
    let opened: Opened | undefined;
    let store: KeyValueStore | undefined;
    before(async () => {
      opened = await open();
      store = opened?.store;
    });
    after(async () => {
      await store?.close();
      await opened?.stop();
    });
    const each = (title: string, body: (store: KeyValueStore) => Promise<void>) =>
      test(title, async (t) => {
        if (!store) return t.skip('no store (see the message above)');
        await body(store);
      });

    each('values expire after their time to live; sets too', async (store) => {
      await store.write([
        { set: 'ttl:a', value: 'v', ttlSeconds: 1 },
        { addToSet: 'ttl:s', member: 'm', ttlSeconds: 1 },
        { set: 'ttl:long', value: 'w', ttlSeconds: 60 },
      ]);
      assert.equal(await store.get('ttl:a'), 'v');
      assert.deepEqual(await store.setMembers('ttl:s'), ['m']);
      await sleep(1100);
      assert.equal(await store.get('ttl:a'), undefined);
      assert.deepEqual(await store.setMembers('ttl:s'), []);
      assert.deepEqual(await store.keys('ttl:'), ['ttl:long']);
    });

    each(
      'a guarded write is all or nothing, and a sign-out that came after its start wins',
      async (store) => {
        await store.write([{ set: 'g:k', value: 'before', ttlSeconds: 60 }]);
        const began = store.now();
        await store.remove(['g:k']);
        const stale = [
          { set: 'g:k', value: 'stale', ttlSeconds: 60 },
          { set: 'g:other', value: 'x', ttlSeconds: 60 },
          { addToSet: 'g:set', member: 'x', ttlSeconds: 60 },
        ];
        assert.equal(await store.write(stale, [{ unlessRemoved: 'g:k', since: began }]), false);
        assert.deepEqual(await store.keys('g:'), [], 'nothing of the refused write');
        // A little later (the store's clock errs early by a millisecond or two on Redis).
        await sleep(20);
        const fresh = [{ set: 'g:k', value: 'new', ttlSeconds: 60 }];
        assert.equal(
          await store.write(fresh, [{ unlessRemoved: 'g:k', since: store.now() }]),
          true,
        );
        assert.equal(await store.get('g:k'), 'new');
        assert.equal(await store.write(fresh, [{ unlessRemoved: 'g:k', since: 0 }]), false);
        assert.equal(
          await store.write(fresh, [{ unlessRemoved: 'g:never-removed', since: 0 }]),
          true,
        );
      },
    );

    each('removal markers expire, and a later removal keeps the longer one', async (store) => {
      const { removalMarkers } = await store.stats();
      assert.deepEqual(await store.stats('m:'), { entries: 0, removalMarkers: 0 });
      await store.remove(['m:short'], 1);
      await store.remove(['m:long'], 1);
      await store.remove(['m:long'], 60);
      await store.remove(['m:long'], 1);
      assert.equal((await store.stats()).removalMarkers, removalMarkers + 2);
      assert.deepEqual(await store.stats('m:'), { entries: 0, removalMarkers: 2 });
      await sleep(1100);
      assert.equal((await store.stats()).removalMarkers, removalMarkers + 1);
      assert.equal(await store.write(put('x'), [{ unlessRemoved: 'm:short', since: 0 }]), true);
      assert.equal(await store.write(put('x'), [{ unlessRemoved: 'm:long', since: 0 }]), false);
    });

    each('deleteIfUnchanged deletes only what it read', async (store) => {
      await store.write([{ set: 'd:k', value: 'one', ttlSeconds: 60 }]);
      assert.equal(await store.deleteIfUnchanged('d:k', 'two'), false);
      assert.equal(await store.get('d:k'), 'one');
      assert.equal(await store.deleteIfUnchanged('d:k', 'one'), true);
      assert.equal(await store.get('d:k'), undefined);
      assert.equal(await store.deleteIfUnchanged('d:k', 'one'), false);
    });

    each(
      'removeFromSet deletes the set and its companions with its last member only',
      async (store) => {
        await store.write([
          { addToSet: 's:set', member: 'a', ttlSeconds: 60 },
          { addToSet: 's:set', member: 'b', ttlSeconds: 60 },
          { set: 's:record', value: 'r', ttlSeconds: 60 },
        ]);
        await store.removeFromSet('s:set', 'a', ['s:record']);
        assert.deepEqual(await store.setMembers('s:set'), ['b']);
        assert.equal(await store.get('s:record'), 'r');
        await store.removeFromSet('s:set', 'b', ['s:record']);
        assert.deepEqual(await store.setMembers('s:set'), []);
        assert.equal(await store.get('s:record'), undefined);
        // No set: nothing else is touched.
        await store.write([{ set: 's:record', value: 'r', ttlSeconds: 60 }]);
        await store.removeFromSet('s:set', 'a', ['s:record']);
        assert.equal(await store.get('s:record'), 'r');
      },
    );

    each('keys lists live keys under a prefix, taken literally, never markers', async (store) => {
      await store.write([
        { set: 'p*[x]:1', value: 'v', ttlSeconds: 60 },
        { set: 'pa[x]:2', value: 'v', ttlSeconds: 60 },
      ]);
      await store.remove(['p*[x]:gone']);
      assert.deepEqual(await store.keys('p*[x]:'), ['p*[x]:1']);
    });
  });
}

describe('EncryptedStore: values sealed at rest, bound to their key, with rotation', () => {
  const secret = 'a-redis-encryption-key-of-32-chars!!';
  const next = 'the-next-redis-encryption-key-32-chars';

  test('nothing is stored in clear; a value moved to another key does not open', async () => {
    const raw = new MemoryStore();
    const store = new EncryptedStore(raw, [secret]);
    const partition = '{"RefreshToken":{"secret":"refresh-token-value"}}';
    await store.write([
      { set: 'msal:alice', value: partition, ttlSeconds: 60 },
      { addToSet: 'sid:1', member: 'session-key', ttlSeconds: 60 },
    ]);
    const atRest = (await raw.get('msal:alice')) ?? '';
    assert.doesNotMatch(atRest, /refresh-token-value|RefreshToken/);
    assert.equal(await store.get('msal:alice'), partition);
    await raw.write([{ set: 'msal:bob', value: atRest, ttlSeconds: 60 }]);
    assert.equal(await store.get('msal:bob'), undefined, "alice's partition is not bob's");
    await raw.write([{ set: 'msal:alice', value: `${atRest.slice(0, -2)}AA`, ttlSeconds: 60 }]);
    assert.equal(await store.get('msal:alice'), undefined, 'altered');
    await store.close();
  });

  test('rotation: the new secret seals, the old one still opens; a retired one reads as absent', async () => {
    const raw = new MemoryStore();
    await new EncryptedStore(raw, [secret]).write([{ set: 'k', value: 'old', ttlSeconds: 60 }]);
    const rotated = new EncryptedStore(raw, [next, secret]);
    assert.equal(await rotated.get('k'), 'old');
    await rotated.write([{ set: 'k2', value: 'new', ttlSeconds: 60 }]);
    assert.equal(await new EncryptedStore(raw, [next]).get('k2'), 'new');
    assert.equal(await new EncryptedStore(raw, [next]).get('k'), undefined);
    await raw.close();
  });

  test('deleteIfUnchanged compares what the value says, not its sealed form', async () => {
    const store = new EncryptedStore(new MemoryStore(), [secret]);
    await store.write([{ set: 'k', value: 'v', ttlSeconds: 60 }]);
    assert.equal(await store.deleteIfUnchanged('k', 'other'), false);
    assert.equal(await store.deleteIfUnchanged('k', 'v'), true);
    assert.equal(await store.get('k'), undefined);
    await store.close();
  });
});

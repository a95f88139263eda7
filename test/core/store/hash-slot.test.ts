/**
 * Hash tags and slots (`shared/core/store/hash-slot.ts`): the slot Redis Cluster computes, the tags
 * the core puts in its keys, the test store that refuses a cross-slot script, and `remove` with keys
 * of several slots (one script per slot), on the in-memory store and on a real `redis-server`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  groupBySlot,
  hashSlot,
  slotTag,
  tag,
  tagBeside,
} from '../../../shared/core/store/hash-slot.ts';
import { markerKey, NAMESPACE } from '../../../shared/core/store/redis-store.ts';
import { startRedisStore } from '../../helpers/redis.ts';
import { CrossSlotError, SlotCheckingStore } from '../slot-checking-store.ts';

// node-redis's own slot function, to check ours against (not exported from its entry point).
const calculateSlot = createRequire(import.meta.url)(
  '@redis/client/dist/lib/utils/calculate-slot.js',
).default as (key: string) => number;

test('the slot is the one Redis computes: CRC16 of the first non-empty {…}, else of the key', () => {
  // Redis Cluster's specification: CRC16 of "123456789" is 0x31C3.
  assert.equal(hashSlot('123456789'), 0x31c3 % 16384);
  assert.equal(hashSlot('{user1000}.following'), hashSlot('{user1000}.followers'));
  assert.equal(hashSlot('foo{}{bar}'), calculateSlot('foo{}{bar}'), 'an empty tag: the whole key');
  const samples = [
    'a{b',
    'a}b{',
    '{{a}}',
    'é{ü}ß',
    '😀{😀}',
    ...Array.from({ length: 2000 }, () => randomBytes(12).toString('latin1')),
  ];
  for (const key of samples) assert.equal(hashSlot(key), calculateSlot(key), key);
});

test('a tag keeps a plain value as it is, and a digest of any other; a key and its marker share a slot', () => {
  assert.equal(
    tag('s', '6b1b8b5e-1f2a-4c3d-9e8f-0a1b2c3d4e5f'),
    '{s:6b1b8b5e-1f2a-4c3d-9e8f-0a1b2c3d4e5f}',
  );
  assert.equal(tag('u', 'uid.utid'), '{u:uid.utid}');
  // A `}` would end the tag early, so that users `a}x` and `a}y` shared `{u:a}`: hashed instead.
  const odd = tag('u', 'a}x');
  assert.match(odd, /^\{u:#[\w-]{43}\}$/);
  assert.notEqual(hashSlot(`p:${odd}`), hashSlot(`p:${tag('u', 'a')}`));
  assert.notEqual(tag('u', 'a}x'), tag('u', 'a}y'));
  for (const value of ['', '{', 'x'.repeat(129), 'a b', 'ü'])
    assert.match(tag('x', value), /^\{x:#/);
  for (const key of ['app:msal:{u:uid.utid}', 'app:sid:{s:S}:user:{odd}', 'app:session:{x:k}']) {
    assert.equal(hashSlot(NAMESPACE + key), hashSlot(markerKey(key)), key);
  }
});

test('a tag beside another: every slot has one, short, and it tells nothing but the slot', () => {
  for (let slot = 0; slot < 16384; slot += 1) {
    const beside = slotTag(slot);
    assert.match(beside, /^\{@\d{1,6}\}$/);
    assert.equal(hashSlot(`p:${beside}:k`), slot);
    assert.equal(calculateSlot(`p:${beside}:k`), slot, 'as node-redis computes it');
  }
  for (const user of ['uid.utid', 'a}x', randomBytes(8).toString('hex')]) {
    assert.equal(hashSlot(`s:${tagBeside('u', user)}`), hashSlot(`m:${tag('u', user)}`), user);
  }
  assert.throws(() => slotTag(16384), RangeError);
  assert.throws(() => slotTag(-1), RangeError);
});

test('the test store refuses a script of several slots, and a key without a tag with its marker', async () => {
  const store = new SlotCheckingStore();
  await assert.rejects(
    store.write([
      { set: `a:${tag('u', 'alex')}`, value: 'v', ttlSeconds: 60 },
      { set: `a:${tag('u', 'adele')}`, value: 'v', ttlSeconds: 60 },
    ]),
    CrossSlotError,
  );
  await assert.rejects(
    store.write(
      [{ set: `a:${tag('x', 'k')}`, value: 'v', ttlSeconds: 60 }],
      [{ unlessRemoved: `a:${tag('s', 'S')}`, since: 0 }],
    ),
    CrossSlotError,
  );
  // Without a tag, `single-sign-out:3:k` and `single-sign-out:3:removed:k` hash apart.
  await assert.rejects(store.remove(['no-tag']), CrossSlotError);
  await assert.rejects(store.removeFromSet(`a:${tag('s', 'S')}`, 'm', ['other']), CrossSlotError);
  assert.equal(await store.get(`a:${tag('u', 'alex')}`), undefined, 'nothing written');
  await store.close();
});

test('remove with keys of several slots: one script per slot, every key gone with its marker', async () => {
  const store = new SlotCheckingStore();
  const keys = ['a', 'b', 'c'].map((id) => `app:session:${tag('x', id)}`);
  for (const key of keys) await store.write([{ set: key, value: 'v', ttlSeconds: 60 }]);
  const since = store.now();
  store.scripts.length = 0;
  await store.remove(keys);
  assert.equal(new Set(keys.map((key) => hashSlot(NAMESPACE + key))).size, 3);
  assert.deepEqual(
    store.scripts.map(({ script, keys }) => [script, keys.length]),
    [
      ['remove', 2],
      ['remove', 2],
      ['remove', 2],
    ],
  );
  for (const key of keys) {
    assert.equal(await store.get(key), undefined);
    const write = [{ set: key, value: 'late', ttlSeconds: 60 }];
    assert.equal(await store.write(write, [{ unlessRemoved: key, since }]), false, key);
  }
  assert.deepEqual(
    groupBySlot(['{a}1', '{b}1', '{a}2']).map((group) => group.join()),
    ['{a}1,{a}2', '{b}1'],
  );
  await store.close();
});

test('on Redis: remove with keys of several slots removes each, with a marker that refuses a write begun before', async (t) => {
  const store = await startRedisStore(t);
  if (!store) return;
  const keys = ['a', 'b', 'c', 'd'].map((id) => `app:session:${tag('x', id)}`);
  for (const key of keys) await store.write([{ set: key, value: 'v', ttlSeconds: 60 }]);
  const since = store.now();
  await sleep(3);
  await store.remove([...keys, keys[0]!]);
  for (const key of keys) {
    assert.equal(await store.get(key), undefined);
    const write = [{ set: key, value: 'late', ttlSeconds: 60 }];
    assert.equal(await store.write(write, [{ unlessRemoved: key, since }]), false, key);
  }
  assert.deepEqual(await store.stats('app:'), { entries: 0, removalMarkers: 4 });
});

/** The in-memory store's removal markers: what makes a sign-out win, and what it leaves behind. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore, REMOVAL_MARKER_SECONDS } from '../shared/store/key-value-store.ts';

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

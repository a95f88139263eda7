/** The in-memory store's removal markers: what makes a sign-out win, and what it leaves behind. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore, REMOVAL_MARKER_SECONDS } from '../shared/store/key-value-store.ts';

test('a write that began before a removal is refused; one that began after is not', async () => {
  const store = new MemoryStore();
  await store.set('k', 'before', 60);
  const began = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 2));
  await store.remove('k');
  assert.equal(
    await store.write([{ set: 'k', value: 'stale', ttlSeconds: 60 }], {
      unlessRemoved: ['k'],
      since: began,
    }),
    false,
  );
  assert.equal(await store.get('k'), undefined);
  await new Promise((resolve) => setTimeout(resolve, 2));
  assert.equal(
    await store.write([{ set: 'k', value: 'new', ttlSeconds: 60 }], {
      unlessRemoved: ['k'],
      since: Date.now(),
    }),
    true,
  );
  assert.equal(await store.get('k'), 'new');
  await store.close();
});

test('removal markers expire: after sign-outs, nothing is left for more than minutes', async () => {
  assert.ok(REMOVAL_MARKER_SECONDS <= 5 * 60, 'markers live minutes');
  const store = new MemoryStore(1); // a one-second marker, to see it go
  await store.set('k', 'v', 60);
  await store.remove('k');
  assert.deepEqual(store.size, { entries: 0, removalMarkers: 1 });
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  assert.deepEqual(store.size, { entries: 0, removalMarkers: 0 });
  await store.close();
});

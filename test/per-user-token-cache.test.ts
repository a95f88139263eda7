import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../shared/store/key-value-store.ts';
import { PerUserTokenCache } from '../shared/token-cache/per-user-token-cache.ts';

/** These tests drive partitions directly: no msal client is ever built. */
const newCache = () =>
  new PerUserTokenCache(new MemoryStore(), {
    keyPrefix: 'test:msal:',
    ttlSeconds: 60,
    msalClient: () => assert.fail('no msal client here'),
  });

const cacheOf = (homeAccountId: string) =>
  JSON.stringify({
    Account: {
      [homeAccountId]: { home_account_id: homeAccountId, username: `${homeAccountId}@example` },
    },
    RefreshToken: { [`${homeAccountId}-rt`]: { home_account_id: homeAccountId } },
  });

test('a request that opened the partition before a sign-out does not write the tokens back', async () => {
  const cache = newCache();
  const user = 'uid-1.utid';
  await cache.partition(user).save(cacheOf(user));
  assert.equal((await cache.summary()).refreshTokens, 1);

  const inFlight = cache.partition(user); // e.g. a refresh that started before the sign-out
  await inFlight.load();
  await new Promise((resolve) => setTimeout(resolve, 2));
  await cache.remove(user);
  await inFlight.save(cacheOf(user));
  assert.deepEqual((await cache.summary()).accounts, []);

  // A sign-in after the sign-out writes again.
  await new Promise((resolve) => setTimeout(resolve, 2));
  await cache.partition(undefined).save(cacheOf(user));
  assert.equal((await cache.summary()).refreshTokens, 1);
});

test('removing one user leaves a user whose id contains theirs (unlike msal 7 removeAccount)', async () => {
  const cache = newCache();
  await cache.partition('user1.tenant').save(cacheOf('user1.tenant'));
  await cache.partition('user10.tenant').save(cacheOf('user10.tenant'));
  await cache.remove('user1.tenant');
  assert.deepEqual(
    (await cache.summary()).accounts.map((account) => account.homeAccountId),
    ['user10.tenant'],
  );
});

test('a partition refuses to hold two users', async () => {
  const cache = newCache();
  const two = JSON.parse(cacheOf('a.t'));
  Object.assign(two.Account, JSON.parse(cacheOf('b.t')).Account);
  await assert.rejects(cache.partition(undefined).save(JSON.stringify(two)), /exactly one account/);
});

test("dropping refused tokens keeps fresher ones another browser wrote, and blocks nobody's writes", async () => {
  const cache = newCache();
  const user = 'uid-2.utid';
  await cache.partition(user).save(cacheOf(user));
  const dead = cache.partition(user); // a request that will find its refresh token refused
  await dead.load();
  const signingIn = cache.partition(undefined); // the same user signing in in another browser
  const fresh = JSON.stringify({
    ...JSON.parse(cacheOf(user)),
    IdToken: { [`${user}-id`]: { home_account_id: user } },
  });
  await signingIn.save(fresh);
  await dead.clear();
  assert.equal((await cache.summary()).idTokens, 1, 'the fresh sign-in survives');

  // Nothing newer: the refused tokens go. And no sign-out marker: a request opened before still writes.
  const opened = cache.partition(user);
  const stale = cache.partition(user);
  await stale.load();
  await stale.clear();
  assert.deepEqual((await cache.summary()).accounts, []);
  await opened.save(cacheOf(user));
  assert.equal((await cache.summary()).refreshTokens, 1);
});

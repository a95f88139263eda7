import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PerUserTokenCache } from '../../../shared/core/token-cache/per-user-token-cache.ts';
import { SlotCheckingStore } from '../slot-checking-store.ts';

/** These tests drive partitions directly: no msal client is ever built. */
const newCache = (store = new SlotCheckingStore(), warmUsers = 0) =>
  new PerUserTokenCache(store, {
    keyPrefix: 'test:msal:',
    app: 'test',
    ttlSeconds: 60,
    msalClient: () => assert.fail('no msal client here'),
    warmUsers,
  });

/** Keeps a partition as a sign-in does (the store's copy). */
const keep = (cache: PerUserTokenCache, serialized: string) =>
  cache.keepSignIn(serialized, { startedAt: Date.now() });
/** A request of the user: its lease, and the partition its msal client would load and save. */
const leaseOf = (cache: PerUserTokenCache, homeAccountId: string) =>
  cache.lease({ user: { homeAccountId } });
const open = async (cache: PerUserTokenCache, homeAccountId: string) => {
  const lease = await leaseOf(cache, homeAccountId);
  assert.ok(lease, `a partition for ${homeAccountId}`);
  return lease.partition;
};

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
  await keep(cache, cacheOf(user));
  assert.equal((await cache.summary()).refreshTokens, 1);

  const inFlight = await open(cache, user); // e.g. a refresh that started before the sign-out
  await new Promise((resolve) => setTimeout(resolve, 2));
  await cache.remove(user);
  await inFlight.save(cacheOf(user));
  assert.deepEqual((await cache.summary()).accounts, []);

  // A sign-in after the sign-out writes again.
  await new Promise((resolve) => setTimeout(resolve, 2));
  await keep(cache, cacheOf(user));
  assert.equal((await cache.summary()).refreshTokens, 1);
});

test('removing one user leaves a user whose id contains theirs (unlike msal 7 removeAccount)', async () => {
  const cache = newCache();
  await keep(cache, cacheOf('user1.tenant'));
  await keep(cache, cacheOf('user10.tenant'));
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
  await assert.rejects(keep(cache, JSON.stringify(two)), /exactly one account/);
});

test("dropping refused tokens keeps fresher ones another browser wrote, and blocks nobody's writes", async () => {
  const cache = newCache();
  const user = 'uid-2.utid';
  await keep(cache, cacheOf(user));
  const dead = await open(cache, user); // a request that will find its refresh token refused
  const fresh = JSON.stringify({
    ...JSON.parse(cacheOf(user)),
    IdToken: { [`${user}-id`]: { home_account_id: user } },
  });
  await keep(cache, fresh); // the same user signing in in another browser
  await dead.clear();
  assert.equal((await cache.summary()).idTokens, 1, 'the fresh sign-in survives');

  // Nothing newer: the refused tokens go. And no sign-out marker: a request opened before still writes.
  const opened = await open(cache, user);
  const stale = await open(cache, user);
  await stale.clear();
  assert.deepEqual((await cache.summary()).accounts, []);
  await opened.save(cacheOf(user));
  assert.equal((await cache.summary()).refreshTokens, 1);
});

/** What the first level remembers for the user, as the next request sees it. */
async function remembered(cache: PerUserTokenCache, user: string): Promise<string[]> {
  const lease = await leaseOf(cache, user);
  if (!lease) return [];
  const token = lease.tokens?.get('scope');
  lease.release();
  return token ? [token.accessToken] : [];
}

async function remember(cache: PerUserTokenCache, user: string, accessToken: string) {
  const lease = await leaseOf(cache, user);
  assert.ok(lease, `a partition for ${user}`);
  lease.tokens?.set('scope', {
    accessToken,
    usableUntil: Date.now() + 3_600_000,
    expiresOn: Date.now() + 3_900_000,
  });
  lease.release();
}

test('the first level gives a remembered token while the partition is unchanged, without a msal client', async () => {
  const store = new SlotCheckingStore();
  const cache = newCache(store, 10);
  const user = 'uid-1.utid';
  await keep(cache, cacheOf(user));
  await remember(cache, user, 'at-1');
  // newCache's msalClient fails the test if a lease's client is ever built.
  assert.deepEqual(await remembered(cache, user), ['at-1']);
  assert.deepEqual(await remembered(cache, user), ['at-1'], 'and again');

  // Another instance writes the partition (a refresh there): what was remembered here goes.
  const elsewhere = newCache(store);
  await keep(elsewhere, cacheOf(user).replace('-rt', '-rt2'));
  assert.deepEqual(await remembered(cache, user), []);

  // Removed (a sign-out, here or elsewhere): nothing to lease, nothing remembered.
  await remember(cache, user, 'at-2');
  await elsewhere.remove(user);
  assert.equal(await leaseOf(cache, user), undefined);
  await new Promise((resolve) => setTimeout(resolve, 2));
  await keep(elsewhere, cacheOf(user)); // signs in again
  assert.deepEqual(await remembered(cache, user), []);
  assert.equal((await cache.summary()).warmUsers, 0);
});

test('the first level remembers at most warmUsers users, the least recently used going first', async () => {
  const cache = newCache(new SlotCheckingStore(), 2);
  for (const user of ['a.t', 'b.t', 'c.t']) await keep(cache, cacheOf(user));
  await remember(cache, 'a.t', 'at-a');
  await remember(cache, 'b.t', 'at-b');
  assert.deepEqual(await remembered(cache, 'a.t'), ['at-a'], 'a used last, b is the oldest');
  await remember(cache, 'c.t', 'at-c');
  assert.equal((await cache.summary()).warmUsers, 2);
  assert.deepEqual(await remembered(cache, 'b.t'), []);
  assert.deepEqual(await remembered(cache, 'a.t'), ['at-a']);
  assert.deepEqual(await remembered(cache, 'c.t'), ['at-c']);
  // A user without a token to remember takes no place.
  assert.equal((await cache.summary()).warmUsers, 2);
});

/** A user with a token remembered ('at-1'), and two requests of theirs at once. */
async function twoRequestsAtOnce() {
  const cache = newCache(new SlotCheckingStore(), 10);
  const user = 'uid-1.utid';
  await keep(cache, cacheOf(user));
  await remember(cache, user, 'at-1');
  return { cache, user, first: await leaseOf(cache, user), second: await leaseOf(cache, user) };
}

test('requests of one user at once share what is remembered, until the partition is written', async () => {
  const { cache, user, first, second } = await twoRequestsAtOnce();
  assert.equal(first?.tokens?.get('scope')?.accessToken, 'at-1');
  assert.equal(second?.tokens?.get('scope')?.accessToken, 'at-1', 'the same token, at once');
  first?.release();
  second?.release();
  // A refresh writes the partition: what was remembered came from the one before.
  await keep(cache, cacheOf(user).replace('-rt', '-rt2'));
  assert.deepEqual(await remembered(cache, user), [], 'the partition changed: nothing remembered');
});

test('a token forgotten by one request is forgotten for the requests beside it', async () => {
  const { cache, user, first, second } = await twoRequestsAtOnce();
  first?.tokens?.delete('scope'); // the API refused it
  assert.equal(second?.tokens?.get('scope'), undefined);
  first?.release();
  second?.release();
  assert.deepEqual(await remembered(cache, user), []);
});

test("after one request's msal wrote the partition, a request still on the old one adds nothing", async () => {
  // The lease's partition stands for msal's: its plugin loads and saves it.
  const cache = newCache(new SlotCheckingStore(), 10);
  const user = 'uid-1.utid';
  await keep(cache, cacheOf(user));
  await remember(cache, user, 'at-old');
  const refreshing = await leaseOf(cache, user);
  const beside = await leaseOf(cache, user);
  assert.ok(refreshing && beside);
  const { partition } = refreshing;
  await partition.load();
  await partition.save(cacheOf(user).replace('-rt', '-rt2')); // msal refreshed
  assert.equal(beside.tokens?.get('scope'), undefined, 'the old partition is the past');
  refreshing.tokens?.set('scope', {
    accessToken: 'at-new',
    usableUntil: Date.now() + 3_600_000,
    expiresOn: Date.now() + 3_900_000,
  });
  // e.g. msal, over the partition the request loaded, gave it the token the API had refused.
  beside.tokens?.set('scope', {
    accessToken: 'at-stale',
    usableUntil: Date.now() + 3_600_000,
    expiresOn: Date.now() + 3_900_000,
  });
  beside.release();
  refreshing.release();
  assert.deepEqual(await remembered(cache, user), ['at-new']);
});

/**
 * `shared/core/token-cache/session-token-cache.ts`: msal's cache kept in the session object (java's
 * and python's originals), over real sign-ins (`test/core/harness.ts`). A lease reads and writes
 * the request's session object, nothing else; removing tokens touches only the session's own
 * user's; the summary is over every stored session.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionData } from '../../../shared/core/session/sessions.ts';
import type { SessionTokenCache } from '../../../shared/core/token-cache/session-token-cache.ts';
import { Browser } from '../../helpers/browser.ts';
import { type CoreApp, SCOPES, secretsIn, useCoreApps } from '../harness.ts';

const mount = useCoreApps();

/** An app with the cache in the session, and a browser signed in as the emulator's `user`-th user. */
async function signedIn(app: CoreApp, user = 0) {
  const browser = new Browser();
  await app.signIn(browser, { user: app.emulator.users[user]?.userPrincipalName });
  const key = (await app.sessionKeyOf(browser)) ?? assert.fail('signed in');
  const session = (await app.sessions.get(key)) ?? assert.fail('a session');
  return { key, session, user: session.user ?? assert.fail('a user') };
}

const cacheOf = (app: CoreApp) => app.tokenCache as SessionTokenCache;

test('a lease is over the session object: none without a session or its cache; msal’s writes go into that object, not the store', async () => {
  const app = await mount({ tokenCache: 'session' });
  const cache = cacheOf(app);
  const { key, session, user } = await signedIn(app);
  assert.equal(await cache.lease({ user }), undefined, 'no session');
  assert.equal(await cache.lease({ user, session: {} }), undefined, 'a session without tokens');

  const before = session.tokenCache;
  const lease = (await cache.lease({ user, session })) ?? assert.fail('a lease');
  const account = await lease.client.getTokenCache().getAccountByHomeId(user.homeAccountId);
  assert.ok(account, 'msal reads the account from the session');
  const refreshed = await lease.client.acquireTokenSilent({
    account,
    scopes: SCOPES,
    forceRefresh: true,
  });
  lease.release();
  assert.notEqual(session.tokenCache, before, 'msal wrote into the session object');
  assert.ok(secretsIn(session.tokenCache).includes(refreshed.accessToken));
  // Saved with the session, when the request saves it; the store still has the sign-in's.
  assert.equal((await app.sessions.get(key))?.tokenCache, before);

  // Tokens refused: the lease drops the session's cache.
  const dropping = (await cache.lease({ user, session })) ?? assert.fail('a lease');
  await dropping.clear();
  assert.equal(session.tokenCache, undefined);
});

test("remove takes the tokens of the session's own user only", async () => {
  const app = await mount({ tokenCache: 'session' });
  const cache = cacheOf(app);
  const { session, user } = await signedIn(app);
  const copy = (): SessionData => structuredClone(session);

  const someoneElse = copy();
  await cache.remove('someone-else.tenant', someoneElse);
  assert.equal(someoneElse.tokenCache, session.tokenCache);
  await cache.remove(user.homeAccountId); // no session given: nothing to reach
  assert.ok(session.tokenCache);
  const own = { ...copy(), accessToken: 'a copy kept beside the cache' };
  await cache.remove(user.homeAccountId, own);
  assert.equal(own.tokenCache, undefined);
  assert.equal(own.accessToken, undefined, 'the copy goes with the cache');
  assert.equal(own.user?.homeAccountId, user.homeAccountId, 'the session itself stays');
});

test('summary: the accounts and tokens of every stored session, never a token', async () => {
  const app = await mount({ tokenCache: 'session' });
  const cache = cacheOf(app);
  const adele = await signedIn(app, 0);
  const alex = await signedIn(app, 1);
  const summary = await cache.summary();
  assert.deepEqual(
    summary.accounts.map((account) => account.homeAccountId).sort(),
    [adele.user.homeAccountId, alex.user.homeAccountId].sort(),
  );
  assert.deepEqual([summary.accessTokens, summary.refreshTokens, summary.idTokens], [2, 2, 2]);
  const shown = JSON.stringify(summary);
  for (const secret of secretsIn(adele.session.tokenCache)) assert.ok(!shown.includes(secret));

  // A copy of an access token kept beside the cache (node) is one more of that user's tokens,
  // with the times its claims give.
  const claims = Buffer.from(JSON.stringify({ iat: 1_000, exp: 4_600, scp: 'User.Read' })).toString(
    'base64url',
  );
  await app.sessions.save(
    adele.key,
    { ...adele.session, accessToken: `eyJ.${claims}.a-kept-copy` },
    60,
    Date.now(),
  );
  const withCopy = await cache.summary();
  const adeles = withCopy.accounts.find((each) => each.homeAccountId === adele.user.homeAccountId);
  assert.equal(adeles?.accessTokens, 2);
  assert.deepEqual(adeles?.accessTokenTimes.at(-1), {
    scopes: 'User.Read (the copy kept in the session)',
    cachedAt: 1_000_000,
    expiresOn: 4_600_000,
  });
  assert.equal(withCopy.accessTokens, 3);
  assert.ok(!JSON.stringify(withCopy).includes('a-kept-copy'));

  await app.sessions.destroy(alex.key);
  assert.deepEqual(
    (await cache.summary()).accounts.map((account) => account.homeAccountId),
    [adele.user.homeAccountId],
  );
});

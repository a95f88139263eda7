/**
 * `shared/core/call-api.ts`: calling the emulator's Graph-like API for a signed-in user with a
 * token from their partition (real sign-ins, `test/core/harness.ts`). The cached access token is
 * used as long as it is good; a cache with nothing for the user means signing in again; an access
 * token the API refuses is renewed with the refresh token once, never more; a refresh token the
 * identity platform refuses is dropped.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import {
  acquireToken,
  callApi,
  callApiWithKeptToken,
  type SignInAgainWithClaims,
  type UsedToken,
} from '../../shared/core/call-api.ts';
import { GraphClient, GraphError } from '../../shared/core/graph-client.ts';
import { Browser } from '../helpers/browser.ts';
import { type CoreApp, eventsOf, SCOPES, secretsIn, serve, useCoreApps } from './harness.ts';

const mount = useCoreApps();
const ME = { scopes: SCOPES, path: '/v1.0/me' };

/** A signed-in user, the app, and `callApi` for it against `graphUrl` (the emulator's by default). */
async function signedIn(t: TestContext, graphUrl?: string) {
  const app = await mount();
  const browser = new Browser();
  await app.signIn(browser);
  const session = (await app.sessionOf(browser)) ?? assert.fail('signed in');
  const user = session.user ?? assert.fail('a user');
  const api = new GraphClient(graphUrl ?? app.emulator.graphUrl, 10_000);
  const call = callApi(api, app.provider.origin, { app: app.name });
  const events = eventsOf(t, app.name);
  const partitionKey = app.partitionKey(user.homeAccountId);
  const refreshesBefore = grants(app, 'refresh_token');
  return {
    app,
    user,
    events,
    partitionKey,
    me: () => call<{ userPrincipalName: string }>(app.tokenCache, { user, session }, ME),
    /** Refresh token grants since the sign-in (the emulator is the test file's). */
    refreshes: () => grants(app, 'refresh_token') - refreshesBefore,
    /** Replaces the secret of every token of `kind` in the user's partition (as the store holds it). */
    async spoil(kind: 'AccessToken' | 'RefreshToken') {
      const partition = JSON.parse((await app.store.get(partitionKey)) ?? '{}');
      for (const entry of Object.values<{ secret: string }>(partition[kind] ?? {})) {
        entry.secret = `spoiled-${kind}`;
      }
      await app.store.write([
        { set: partitionKey, value: JSON.stringify(partition), ttlSeconds: 600 },
      ]);
    },
  };
}

/** The API's answer, where `callApi` gave one (not "sign in again"). */
function answered<T>(result: { answer: T; token: UsedToken } | SignInAgainWithClaims | undefined): {
  answer: T;
  token: UsedToken;
} {
  if (!result || 'signInAgain' in result) return assert.fail('an answer');
  return result;
}

const grants = (app: CoreApp, grantType: string) =>
  app.emulator.tokenRequests.filter((request) => request.grantType === grantType).length;

test('the access token the sign-in cached is used, with no call to the identity platform', async (t) => {
  const { app, user, events, me, refreshes } = await signedIn(t);
  const result = answered(await me());
  assert.equal(result.answer.userPrincipalName, user.username);
  assert.equal(result.token.source, 'cached access token');
  assert.ok(
    secretsIn(await app.store.get(app.partitionKey(user.homeAccountId))).includes(
      result.token.accessToken,
    ),
  );
  assert.equal(refreshes(), 0);
  assert.deepEqual(
    events.map((event) => (event.type === 'api-called' ? [event.path, event.source] : event.type)),
    [['/v1.0/me', 'cached access token']],
  );
});

test('nothing in the cache for the user: sign in again (no-account), and the API is not called', async (t) => {
  const { app, user, events, me } = await signedIn(t);
  await app.tokenCache.remove(user.homeAccountId); // a sign-out elsewhere
  const calls = app.emulator.graphRequests.length;
  assert.equal(await me(), undefined);
  assert.equal(app.emulator.graphRequests.length, calls);
  assert.deepEqual(events.at(-1), {
    type: 'sign-in-again',
    app: app.name,
    user: { homeAccountId: user.homeAccountId, username: user.username, sid: user.sid },
    reason: 'no-account',
  });
});

test('an access token the API refuses (401) is renewed with the refresh token, once, and the call made again', async (t) => {
  const { app, events, me, refreshes, spoil, partitionKey } = await signedIn(t);
  await spoil('AccessToken'); // msal still holds it as valid; the API does not
  const calls = app.emulator.graphRequests.length;
  const result = answered(await me());
  assert.equal(result.token.source, 'refresh token redeemed');
  assert.deepEqual(
    app.emulator.graphRequests.slice(calls).map((request) => request.status),
    [401, 200],
  );
  assert.equal(refreshes(), 1);
  const kept = secretsIn(await app.store.get(partitionKey));
  assert.ok(kept.includes(result.token.accessToken), 'the new token kept in the partition');
  assert.ok(!kept.includes('spoiled-AccessToken'));
  assert.deepEqual(
    events.flatMap((event) => (event.type === 'api-called' ? [event.source] : [])),
    ['refresh token redeemed'],
  );
});

test('an API that refuses the renewed token too: one refresh only, and its refusal reaches the caller', async (t) => {
  let calls = 0;
  const refusing = await serve((_request, response) => {
    calls += 1;
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code: 'InvalidAuthenticationToken', message: 'no' } }));
  });
  t.after(refusing.close);
  const { me, refreshes } = await signedIn(t, refusing.url);
  await assert.rejects(me(), (error) => error instanceof GraphError && error.status === 401);
  assert.equal(calls, 2);
  assert.equal(refreshes(), 1);
});

test('a refresh token the identity platform refuses: sign in again (refused), the partition dropped', async (t) => {
  const { app, events, me, spoil, partitionKey } = await signedIn(t);
  await spoil('AccessToken');
  await spoil('RefreshToken');
  assert.equal(await me(), undefined);
  assert.equal(await app.store.get(partitionKey), undefined, 'tokens worth nothing are dropped');
  const last = events.at(-1);
  assert.equal(last?.type === 'sign-in-again' && last.reason, 'refused');
});

/** `acquireToken` and `callApiWithKeptToken`: a token to keep a copy of, then a call with the copy. */
function keptTokenCalls(signed: Awaited<ReturnType<typeof signedIn>>) {
  const { app, user } = signed;
  const acquire = acquireToken(app.provider.origin, { app: app.name });
  const withKept = callApiWithKeptToken(new GraphClient(app.emulator.graphUrl, 10_000), {
    app: app.name,
  });
  return {
    token: (forceRefresh = false) =>
      acquire(app.tokenCache, { user }, { scopes: SCOPES, forceRefresh }),
    me: (accessToken: string) =>
      withKept<{ userPrincipalName: string }>(user, accessToken, '/v1.0/me'),
  };
}

test('acquireToken: the cached access token, with no call to anyone; forced, a new one for the refresh token', async (t) => {
  const signed = await signedIn(t);
  const { token } = keptTokenCalls(signed);
  const graphCalls = signed.app.emulator.graphRequests.length;
  const cached = (await token()) ?? assert.fail('a token');
  assert.equal(cached.source, 'cached access token');
  assert.equal(signed.refreshes(), 0);
  assert.equal(signed.app.emulator.graphRequests.length, graphCalls, 'the API is not called');
  const renewed = (await token(true)) ?? assert.fail('a token');
  assert.equal(renewed.source, 'refresh token redeemed');
  assert.notEqual(renewed.accessToken, cached.accessToken);
  assert.equal(signed.refreshes(), 1);
  assert.deepEqual(
    signed.events.map((event) => (event.type === 'token-acquired' ? event.source : event.type)),
    ['cached access token', 'refresh token redeemed'],
    'each token taken is told, and no API call',
  );
  const told = JSON.stringify(signed.events);
  for (const token of [cached.accessToken, renewed.accessToken]) {
    assert.ok(!told.includes(token), 'an event names the token, never carries it');
  }
});

test('acquireToken: nothing in the cache, or a refused refresh token, is "sign in again", as for callApi', async (t) => {
  const signed = await signedIn(t);
  const { token } = keptTokenCalls(signed);
  await signed.spoil('AccessToken');
  await signed.spoil('RefreshToken');
  assert.equal(await token(true), undefined);
  assert.equal(await signed.app.store.get(signed.partitionKey), undefined, 'dropped');
  assert.equal(await token(), undefined);
  assert.deepEqual(
    signed.events.map((event) => event.type === 'sign-in-again' && event.reason),
    ['refused', 'no-account'],
  );
});

test('callApiWithKeptToken: the call with the copy is told as such; a copy the API refuses is its 401', async (t) => {
  const signed = await signedIn(t);
  const { token, me } = keptTokenCalls(signed);
  const copy = (await token()) ?? assert.fail('a token');
  assert.equal((await me(copy.accessToken)).userPrincipalName, signed.user.username);
  assert.deepEqual(
    signed.events.map((event) => (event.type === 'api-called' ? event.source : event.type)),
    ['token-acquired', 'access token kept in the session'],
  );
  await assert.rejects(
    me('not-a-token'),
    (error) => error instanceof GraphError && error.status === 401,
  );
  assert.equal(signed.events.length, 2, 'a refused call is not told as a call');
});

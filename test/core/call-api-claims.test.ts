/**
 * `shared/core/call-api.ts` and a claims challenge (Continuous Access Evaluation), with real
 * sign-ins against the emulator (`harness.ts`) and, until the emulator answers CAE tokens with
 * challenges of its own, a local API that answers `401` with Entra's challenge. The refused token
 * is dropped and msal asked again with the challenge's claims (merged with the app's `cp1`), once:
 * the call is made again with the new token; when the identity platform refuses the refresh token
 * (sessions revoked, account disabled, password reset), "sign in again", with the claims, which
 * the sign-in then carries. Never a second round, and never the claims or a token in an event.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { callApi, type SignInAgainWithClaims, type UsedToken } from '../../shared/core/call-api.ts';
import type { CoreEvent } from '../../shared/core/events.ts';
import { GraphClient, GraphError } from '../../shared/core/graph-client.ts';
import { Browser } from '../helpers/browser.ts';
import {
  answerOf,
  type CoreApp,
  type CoreAppOptions,
  eventsOf,
  PASSWORD,
  SCOPES,
  secretsIn,
  serve,
  useCoreApps,
} from './harness.ts';

const mount = useCoreApps();
const ME = { scopes: SCOPES, path: '/v1.0/me' };

/** Entra's example (claims-challenge.md). */
const NBF = { essential: true, value: '1604106651' };
const CLAIMS = JSON.stringify({ access_token: { nbf: NBF } });
const ENCODED = Buffer.from(CLAIMS).toString('base64');
const CHALLENGE = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${ENCODED}"`;

/**
 * An API that answers `401` with `challenge` to the next `refusals` calls (every call:
 * `Infinity`), then as Graph's `/me` does; the access token of each call, in order.
 */
async function challengingApi(t: TestContext, refusals: number, challenge = CHALLENGE) {
  const tokens: string[] = [];
  const state = { refusals };
  const api = await serve((request, response) => {
    tokens.push((request.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (state.refusals > 0) {
      state.refusals -= 1;
      response.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': challenge,
      });
      response.end(JSON.stringify({ error: { code: 'InvalidAuthenticationToken', message: '' } }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ userPrincipalName: 'the-user' }));
  });
  t.after(api.close);
  return {
    url: api.url,
    tokens,
    refuseNext(calls: number) {
      state.refusals = calls;
    },
  };
}

/** The `claims` of each token request msal sends from now on (parsed), by grant type. */
function claimsSent(t: TestContext, app: CoreApp) {
  const sent: Array<{ grantType: string; claims: Record<string, Record<string, unknown>> }> = [];
  const network = app.provider.networkClient;
  const original = network.sendPostRequestAsync;
  network.sendPostRequestAsync = <T>(url: string, options?: Parameters<typeof original>[1]) => {
    const form = new URLSearchParams(String(options?.body ?? ''));
    const claims = form.get('claims');
    sent.push({ grantType: form.get('grant_type') ?? '', claims: JSON.parse(claims ?? '{}') });
    return original.call(network, url, options) as ReturnType<typeof original<T>>;
  };
  t.after(() => {
    network.sendPostRequestAsync = original;
  });
  return sent;
}

/** A user signed in to an app (`cp1` unless said otherwise) that calls `graphUrl`. */
async function signedIn(t: TestContext, graphUrl: string, options: CoreAppOptions = {}) {
  const app = await mount({ clientCapabilities: ['cp1'], graphUrl, ...options });
  const sent = claimsSent(t, app);
  const browser = new Browser();
  await app.signIn(browser);
  const session = (await app.sessionOf(browser)) ?? assert.fail('signed in');
  const user = session.user ?? assert.fail('a user');
  const call = callApi(new GraphClient(graphUrl, 10_000), app.provider.origin, { app: app.name });
  const partitionKey = app.partitionKey(user.homeAccountId);
  return {
    app,
    browser,
    user,
    sent,
    partitionKey,
    events: eventsOf(t, app.name),
    me: () => call<{ userPrincipalName: string }>(app.tokenCache, { user, session }, ME),
    /** Replaces the refresh token's secret in the partition: the identity platform refuses it. */
    async spoilRefreshToken() {
      const partition = JSON.parse((await app.store.get(partitionKey)) ?? '{}');
      for (const entry of Object.values<{ secret: string }>(partition.RefreshToken ?? {})) {
        entry.secret = 'revoked';
      }
      await app.store.write([
        { set: partitionKey, value: JSON.stringify(partition), ttlSeconds: 600 },
      ]);
    },
  };
}

function answered<T>(result: { answer: T; token: UsedToken } | SignInAgainWithClaims | undefined): {
  answer: T;
  token: UsedToken;
} {
  if (!result || 'signInAgain' in result) return assert.fail('an answer');
  return result;
}

/** Neither a token nor the claims, encoded or not, in what the events say. */
function assertNothingSecretIn(events: CoreEvent[], tokens: string[]) {
  const told = JSON.stringify(events);
  for (const secret of [...tokens.filter(Boolean), ENCODED, '1604106651', 'nbf']) {
    assert.ok(!told.includes(secret), 'no token or claims in an event');
  }
}

const summary = (events: CoreEvent[]) =>
  events.map((event) =>
    event.type === 'claims-challenge'
      ? `claims-challenge: ${event.outcome}`
      : event.type === 'sign-in-again'
        ? `sign-in-again: ${event.reason}`
        : event.type === 'api-called'
          ? `api-called: ${event.source}`
          : event.type,
  );

test('a claims challenge: the refused token dropped, msal asked once with the claims and cp1, the call made again', async (t) => {
  const api = await challengingApi(t, 1);
  const { app, events, me, sent, partitionKey } = await signedIn(t, api.url);
  assert.deepEqual(
    sent.map(({ grantType, claims }) => [grantType, claims.access_token]),
    [['authorization_code', { xms_cc: { values: ['cp1'] } }]],
    'cp1 declared when the code is redeemed',
  );
  const result = answered(await me());
  assert.equal(result.answer.userPrincipalName, 'the-user');
  assert.equal(result.token.source, 'refresh token redeemed');
  assert.equal(api.tokens.length, 2, 'called twice: refused, then answered');
  const [refused, renewed] = api.tokens;
  assert.notEqual(refused, renewed);
  assert.equal(renewed, result.token.accessToken);
  assert.deepEqual(
    sent.slice(1).map(({ grantType, claims }) => [grantType, claims.access_token]),
    [['refresh_token', { nbf: NBF, xms_cc: { values: ['cp1'] } }]],
    "one refresh, with the challenge's claims merged with cp1",
  );
  const kept = secretsIn(await app.store.get(partitionKey), ['AccessToken']);
  assert.deepEqual(kept, [renewed], 'the refused token is gone from the partition');
  assert.deepEqual(summary(events), [
    'claims-challenge: renewed',
    'api-called: refresh token redeemed',
  ]);
  assertNothingSecretIn(events, api.tokens);

  // The next call uses the new token from the cache: no challenge, no refresh.
  assert.equal(answered(await me()).token.source, 'cached access token');
  assert.equal(sent.length, 2);
});

test('a second challenge for the renewed token: no second round; the refusal reaches the caller', async (t) => {
  const api = await challengingApi(t, Number.POSITIVE_INFINITY);
  const { events, me, sent } = await signedIn(t, api.url);
  await assert.rejects(
    me(),
    (error) => error instanceof GraphError && error.status === 401 && !!error.claimsChallenge,
  );
  assert.equal(api.tokens.length, 2, 'the API called twice, not more');
  assert.equal(sent.filter(({ grantType }) => grantType === 'refresh_token').length, 1);
  assert.deepEqual(summary(events), ['claims-challenge: renewed']);
  assertNothingSecretIn(events, api.tokens);
});

test('msal needs the user (the refresh token refused): sign in again with the claims, tokens dropped; the sign-in carries them', async (t) => {
  const api = await challengingApi(t, 1);
  const { app, browser, events, me, sent, partitionKey, spoilRefreshToken } = await signedIn(
    t,
    api.url,
  );
  await spoilRefreshToken(); // as after revoked sessions, a disabled account, a reset password
  const result = await me();
  assert.ok(result && 'signInAgain' in result, 'sign in again');
  assert.deepEqual(JSON.parse(result.signInAgain.claims), { access_token: { nbf: NBF } });
  assert.equal(api.tokens.length, 1, 'no second call without a token');
  assert.equal(await app.store.get(partitionKey), undefined, 'the partition dropped');
  assert.deepEqual(summary(events), ['claims-challenge: sign-in-again', 'sign-in-again: refused']);
  assertNothingSecretIn(events, api.tokens);
  assert.equal(sent.filter(({ grantType }) => grantType === 'refresh_token').length, 1);

  // Over HTTP, as an app does it: signed in again (a fresh partition), the API challenges once
  // more, the refresh token is refused, and the sign-in this leads to carries the claims.
  await app.signIn(browser);
  await spoilRefreshToken();
  api.refuseNext(1);
  const challenged = await browser.request(`${app.url}/me`);
  assert.equal(challenged.status, 401);
  assert.equal((await answerOf(challenged)).signInAgain, 'with claims');
  const start = await browser.request(`${app.url}/sign-in`);
  const authorize = new URL(start.headers.get('location') ?? '');
  const claims = JSON.parse(authorize.searchParams.get('claims') ?? '{}');
  assert.deepEqual(claims.access_token, { nbf: NBF, xms_cc: { values: ['cp1'] } });
  // The round trip ends in a sign-in (through SSO here), and the API answers again.
  await browser.signIn(authorize.href, app.emulator.users[0]?.userPrincipalName, PASSWORD);
  const after = await browser.request(`${app.url}/me`);
  assert.equal(after.status, 200);
  assert.equal((await answerOf(after)).source, 'cached access token');
  // Taken once: a later sign-in of the same session asks for cp1 only.
  const again = new URL(
    (await browser.request(`${app.url}/sign-in`)).headers.get('location') ?? '',
  );
  assert.deepEqual(JSON.parse(again.searchParams.get('claims') ?? '{}').access_token, {
    xms_cc: { values: ['cp1'] },
  });
});

test('a challenge this client cannot read is a plain 401: renewed once without claims, no challenge told', async (t) => {
  const unreadable = `Bearer error="insufficient_claims", claims="${Buffer.from('{oops').toString('base64')}"`;
  const api = await challengingApi(t, 1, unreadable);
  const { events, me, sent } = await signedIn(t, api.url);
  assert.equal(answered(await me()).token.source, 'refresh token redeemed');
  assert.deepEqual(
    sent.slice(1).map(({ claims }) => claims.access_token),
    [{ xms_cc: { values: ['cp1'] } }],
    'a forced refresh, with cp1 and no claims of the challenge',
  );
  assert.deepEqual(summary(events), ['api-called: refresh token redeemed']);
});

test('an app that declares no capability sends no xms_cc, and meets a challenge all the same', async (t) => {
  const api = await challengingApi(t, 1);
  const { events, me, sent } = await signedIn(t, api.url, { clientCapabilities: [] });
  assert.equal(sent[0]?.claims.access_token, undefined, 'no cp1 when the code is redeemed');
  assert.equal(answered(await me()).token.source, 'refresh token redeemed');
  assert.deepEqual(sent.slice(1)[0]?.claims.access_token, { nbf: NBF });
  assert.deepEqual(summary(events), [
    'claims-challenge: renewed',
    'api-called: refresh token redeemed',
  ]);
});

/**
 * aspnetcore and a claims challenge (Continuous Access Evaluation), over HTTP: the sample declares
 * `cp1`, and reaches the Graph-like API through a proxy that answers Entra's challenge on demand
 * (until the emulator issues CAE tokens and challenges them itself). A challenge msal can meet is
 * one refresh with the claims and the page works; one it cannot (sessions revoked at the emulator)
 * sends the user to sign in with the claims, and that sign-in brings the page back. A challenge
 * the sample cannot read is a plain 401; a second one is a 502, never a loop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from './helpers/browser.ts';
import { startBehindProxy, type TestEnvironment } from './helpers/environment.ts';
import type { FaultyProxy } from './helpers/faulty-proxy.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const { api: profilePath, signIn: signInPath } = SAMPLE_ROUTES.aspnetcore;

/** Entra's example (claims-challenge.md). */
const NBF = { essential: true, value: '1604106651' };
const ENCODED = Buffer.from(JSON.stringify({ access_token: { nbf: NBF } })).toString('base64');
const challenge = (claims = ENCODED) => ({
  status: 401,
  body: { error: { code: 'InvalidAuthenticationToken', message: 'Continuous access evaluation' } },
  headers: {
    'www-authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${claims}"`,
  },
});

describe('aspnetcore (cp1): a claims challenge from the API', () => {
  let env: TestEnvironment;
  let graph: FaultyProxy;
  let close: () => Promise<void>;
  before(async () => {
    ({ env, proxy: graph, close } = await startBehindProxy(['aspnetcore'], 'graph'));
  });
  after(() => close());

  const refreshes = () =>
    env.emulator.tokenRequests.filter((request) => request.grantType === 'refresh_token').length;
  const signedIn = async (index: number) => {
    const browser = new Browser();
    const user = env.emulator.users[index] ?? assert.fail('a demo user');
    await browser.signIn(env.sample.url + signInPath, user.userPrincipalName, env.password);
    return { browser, user };
  };

  test('met silently: one refresh with the claims, and the page works', async () => {
    const { browser } = await signedIn(0);
    const before = refreshes();
    graph.next(challenge());
    const page = await browser.get(env.sample.url + profilePath);
    assert.equal(page.status, 200);
    assert.equal(refreshes(), before + 1);
  });

  test('sessions revoked: sent to sign in with the claims and cp1; that sign-in brings the page back', async () => {
    const { browser, user } = await signedIn(1);
    const revoke = await fetch(
      `${env.emulator.identityUrl}/${env.emulator.tenantId}/users/${user.oid}/revokeSignInSessions`,
      { method: 'POST', headers: { Accept: 'application/json' } },
    );
    assert.equal(revoke.status, 200);
    graph.next(challenge());
    const refused = await browser.request(env.sample.url + profilePath);
    assert.equal(refused.status, 302);
    assert.match(refused.headers.get('location') ?? '', new RegExp(`^${signInPath}\\?`));
    const start = await browser.request(
      new URL(refused.headers.get('location') ?? '', env.sample.url).href,
    );
    const authorize = new URL(start.headers.get('location') ?? '');
    assert.match(authorize.pathname, /\/oauth2\/v2\.0\/authorize$/);
    assert.deepEqual(JSON.parse(authorize.searchParams.get('claims') ?? '{}').access_token, {
      nbf: NBF,
      xms_cc: { values: ['cp1'] },
    });
    // The claims are taken once: they were in the session, never in a URL of the app.
    assert.ok(!(refused.headers.get('location') ?? '').includes(ENCODED));
    const page = await browser.signIn(authorize.href, user.userPrincipalName, env.password);
    assert.equal(new URL(page.url).pathname, profilePath);
    assert.equal(page.status, 200);
  });

  test('a challenge it cannot read is a plain 401: renewed once, the page works', async () => {
    const { browser } = await signedIn(2);
    const before = refreshes();
    graph.next(challenge(Buffer.from('{not json').toString('base64')));
    const page = await browser.get(env.sample.url + profilePath);
    assert.equal(page.status, 200);
    assert.equal(refreshes(), before + 1);
  });

  test('challenged again with the renewed token: 502, one refresh, no loop', async () => {
    const { browser } = await signedIn(0);
    const before = refreshes();
    graph.next(challenge(), 2);
    const page = await browser.get(env.sample.url + profilePath);
    assert.equal(page.status, 502);
    assert.equal(refreshes(), before + 1);
  });
});

/** The Graph-like API: bearer tokens verified against the JWKS, scopes, Graph-shaped errors. */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { Browser } from '../helpers/browser.ts';
import {
  adele,
  authorizeUrl,
  emulator,
  json,
  redeemCode,
  redirectParameters,
  signedIn,
  signIn,
  useEmulator,
  WEB,
} from './helper.ts';

useEmulator();

describe('Graph-like API', () => {
  const graph = (path: string, token?: string) =>
    fetch(
      `${emulator().graphUrl}${path}`,
      token ? { headers: { Authorization: `Bearer ${token}` } } : {},
    );

  test('/me, /users and /me/messages answer with a token holding the scope', async () => {
    const browser = new Browser();
    const scope = 'openid offline_access User.Read User.ReadBasic.All Mail.Read';
    const code =
      redirectParameters(await signIn(browser, authorizeUrl(WEB, { scope }))).get('code') ?? '';
    const { access_token: token } = (await redeemCode(WEB, code)).body;

    const me = await json(await graph('/v1.0/me', token));
    assert.equal(me.id, adele().oid);
    assert.equal(me.displayName, 'Adele Vance');
    assert.match(me['@odata.context'], /\$metadata#users\/\$entity$/);
    const users = await json(await graph('/v1.0/users', token));
    assert.equal(users.value.length, emulator().users.length);
    assert.deepEqual(
      Object.keys(users.value[0]).filter((key) =>
        ['id', 'displayName', 'userPrincipalName', 'mail', 'jobTitle'].includes(key),
      ).length,
      5,
    );
    const messages = await json(await graph('/v1.0/me/messages', token));
    assert.ok(messages.value.length >= 2);
    assert.ok(
      messages.value[0].subject &&
        messages.value[0].from.emailAddress.address &&
        messages.value[0].receivedDateTime,
    );
    assert.deepEqual(emulator().graphRequests.at(-1), {
      path: '/v1.0/me/messages',
      status: 200,
      oid: adele().oid,
    });
  });

  test('no answer is stored: the mail, the errors, and the 421 to another Host', async () => {
    const scope = 'openid Mail.Read';
    const url = authorizeUrl(WEB, { scope });
    const code = redirectParameters(await signIn(new Browser(), url)).get('code') ?? '';
    const { access_token: token } = (await redeemCode(WEB, code)).body;
    const answers = [
      await graph('/v1.0/me/messages', token),
      await graph('/v1.0/me'),
      await graph('/v1.0/nowhere', token),
    ];
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 401, 404],
    );
    for (const answer of answers) {
      await answer.body?.cancel();
      assert.equal(answer.headers.get('cache-control'), 'no-store', answer.url);
    }
    // fetch cannot choose the Host header; a rebound page's request names its own site.
    const { port } = new URL(emulator().graphUrl);
    const misdirected = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.get({ port, path: '/v1.0/me', headers: { Host: 'evil.example' } });
      request.on('response', resolve).on('error', reject);
    });
    misdirected.resume();
    assert.equal(misdirected.statusCode, 421);
    assert.equal(misdirected.headers['cache-control'], 'no-store');
  });

  test('no token or a forged one is 401 InvalidAuthenticationToken', async () => {
    const missing = await graph('/v1.0/me');
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer /);
    const body = await json(missing);
    assert.equal(body.error.code, 'InvalidAuthenticationToken');
    assert.ok(body.error.innerError['request-id'] && body.error.innerError.date);

    const { privateKey } = await generateKeyPair('RS256');
    const { tokens } = await signedIn();
    const claims = decodeJwt(tokens.access_token);
    // Same claims, same kid, another key: only the signature gives it away.
    const { kid } = decodeProtectedHeader(tokens.access_token);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(privateKey);
    const rejected = await graph('/v1.0/me', forged);
    assert.equal(rejected.status, 401);
    assert.equal((await json(rejected)).error.code, 'InvalidAuthenticationToken');
  });

  test('a token without the scope is 403; an unknown path is 404', async () => {
    const { tokens } = await signedIn();
    const denied = await graph('/v1.0/me/messages', tokens.access_token);
    assert.equal(denied.status, 403);
    const body = await json(denied);
    assert.equal(body.error.code, 'Authorization_RequestDenied');
    assert.equal(body.error.message, 'Insufficient privileges to complete the operation.');
    assert.equal((await graph('/v1.0/users', tokens.access_token)).status, 403);
    assert.equal((await graph('/v1.0/groups', tokens.access_token)).status, 404);
  });

  test('paths are case-insensitive, as in Graph, and every spelling is authenticated', async () => {
    const { tokens } = await signedIn();
    for (const path of ['/V1.0/ME', '/v1.0/Me', '/V1.0/GROUPS']) {
      const anonymous = await graph(path);
      assert.equal(anonymous.status, 401, path);
      assert.equal((await json(anonymous)).error.code, 'InvalidAuthenticationToken');
    }
    const me = await graph('/V1.0/ME', tokens.access_token);
    assert.equal(me.status, 200);
    assert.equal((await json(me)).id, adele().oid);
    assert.equal((await graph('/V1.0/GROUPS', tokens.access_token)).status, 404);
  });

  test('it remembers the last 1,000 requests, not every one', async () => {
    for (let request = 0; request < 1_050; request += 1) await graph('/v1.0/me', 'not-a-token');
    assert.equal(emulator().graphRequests.length, 1_000);
  });
});

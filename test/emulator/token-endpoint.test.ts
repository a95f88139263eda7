/** The token endpoint: authorization codes, refresh tokens, client authentication. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { CryptoProvider } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { Browser } from '../helpers/browser.ts';
import {
  assertEntraError,
  authorizeUrl,
  emulator,
  OTHER,
  redeemCode,
  redirectParameters,
  signedIn,
  signIn,
  tokenRequest,
  useEmulator,
  WEB,
} from './helper.ts';

useEmulator();

describe('token endpoint', () => {
  test('a code is single use: the second redemption is AADSTS54005', async () => {
    const redirect = redirectParameters(await signIn(new Browser(), authorizeUrl(WEB)));
    const code = redirect.get('code') ?? '';
    const first = await redeemCode(WEB, code);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    const second = await redeemCode(WEB, code);
    assert.equal(second.status, 400);
    assert.equal(second.headers.get('cache-control'), 'no-store');
    assertEntraError(second.body, 'invalid_grant', 54005);
    assert.deepEqual(Object.keys(second.body).sort(), [
      'correlation_id',
      'error',
      'error_codes',
      'error_description',
      'timestamp',
      'trace_id',
    ]);
  });

  test('codes are bound to their client, their redirect URI, and their PKCE challenge', async () => {
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const browser = new Browser();
    const url = authorizeUrl(WEB, { code_challenge: challenge, code_challenge_method: 'S256' });
    const code = redirectParameters(await signIn(browser, url)).get('code') ?? '';
    assertEntraError((await redeemCode(OTHER, code)).body, 'invalid_grant', 70000);
    assertEntraError(
      (await redeemCode(WEB, code, { redirect_uri: WEB.redirectUris[1] ?? '' })).body,
      'invalid_grant',
      50011,
    );
    assertEntraError((await redeemCode(WEB, code)).body, 'invalid_grant', 501481);
    assertEntraError(
      (await redeemCode(WEB, code, { code_verifier: `${verifier}x` })).body,
      'invalid_grant',
      501481,
    );
    assert.equal((await redeemCode(WEB, code, { code_verifier: verifier })).status, 200);
    assertEntraError((await redeemCode(WEB, 'no-such-code')).body, 'invalid_grant', 70008);
  });

  test('client authentication: unknown client, wrong secret, HTTP Basic', async () => {
    const code =
      redirectParameters(await signIn(new Browser(), authorizeUrl(WEB))).get('code') ?? '';
    const unknown = await redeemCode(WEB, code, { client_id: randomUUID() });
    assert.equal(unknown.status, 400);
    assertEntraError(unknown.body, 'unauthorized_client', 700016);
    const wrong = await redeemCode(WEB, code, { client_secret: 'nope' });
    assert.equal(wrong.status, 401);
    assertEntraError(wrong.body, 'invalid_client', 7000215);
    const basic = `Basic ${Buffer.from(`${WEB.clientId}:${WEB.clientSecret}`).toString('base64')}`;
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: WEB.redirectUris[0] ?? '',
    };
    assert.equal((await tokenRequest(form, emulator(), { Authorization: basic })).status, 200);
    const grant = await tokenRequest({
      grant_type: 'password',
      client_id: WEB.clientId,
      client_secret: WEB.clientSecret,
    });
    assertEntraError(grant.body, 'unsupported_grant_type', 70003);
  });

  test('refresh_token grant: new tokens with id_token and client_info, rotation keeps the old token valid', async () => {
    const { tokens } = await signedIn();
    const refresh = (refresh_token: string, app = WEB) =>
      tokenRequest({
        grant_type: 'refresh_token',
        refresh_token,
        client_id: app.clientId,
        client_secret: app.clientSecret,
        scope: 'openid profile offline_access Mail.Read',
      });
    const first = await refresh(tokens.refresh_token);
    assert.equal(first.status, 200);
    assert.equal(first.body.scope, 'Mail.Read openid profile');
    assert.ok(first.body.id_token && first.body.client_info && first.body.access_token);
    assert.notEqual(first.body.refresh_token, tokens.refresh_token);
    assert.equal(decodeJwt(first.body.id_token).sid, decodeJwt(tokens.id_token).sid);
    assert.equal((await refresh(tokens.refresh_token)).status, 200);
    assertEntraError((await refresh(tokens.refresh_token, OTHER)).body, 'invalid_grant', 70000);
    assertEntraError((await refresh('garbage')).body, 'invalid_grant', 9002313);
  });

  test('a code or refresh token buys no permission beyond the registration: invalid_grant, AADSTS65001, consent_required', async () => {
    // OTHER lists no permissions: User.Read alone, as a new registration in Entra.
    const { tokens } = await signedIn(OTHER);
    const refresh = (scope: string) =>
      tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: OTHER.clientId,
        client_secret: OTHER.clientSecret,
        scope,
      });
    const escalated = await refresh('openid profile offline_access Mail.Read');
    assert.equal(escalated.status, 400);
    assertEntraError(escalated.body, 'invalid_grant', 65001);
    assert.equal(escalated.body.suberror, 'consent_required');
    assert.match(
      escalated.body.error_description,
      /^AADSTS65001: The user or administrator has not consented to use the application with ID '[0-9a-f-]{36}' named 'Other app'\. Send an interactive authorization request for this user and resource\./,
    );
    assert.equal(Object.keys(escalated.body).at(-1), 'suberror');
    // Its `.default` is what it lists; what it lists it gets.
    const all = await refresh('openid offline_access https://graph.microsoft.com/.default');
    assert.equal(all.status, 200);
    assert.equal(decodeJwt(all.body.access_token).scp, 'User.Read');

    const code =
      redirectParameters(await signIn(new Browser(), authorizeUrl(OTHER))).get('code') ?? '';
    const wider = await redeemCode(OTHER, code, { scope: 'openid User.ReadBasic.All' });
    assertEntraError(wider.body, 'invalid_grant', 65001);
    assert.equal(wider.body.suberror, 'consent_required');
  });

  test('a code buys no OpenID Connect scope its sign-in did not ask for: no refresh token without offline_access', async () => {
    const scope = 'openid User.Read';
    const code =
      redirectParameters(await signIn(new Browser(), authorizeUrl(WEB, { scope }))).get('code') ??
      '';
    const redeemed = await redeemCode(WEB, code, {
      scope: 'openid profile email offline_access User.Read',
    });
    assert.equal(redeemed.status, 200);
    assert.equal(redeemed.body.refresh_token, undefined);
    assert.equal(redeemed.body.scope, 'User.Read openid');
    assert.equal(decodeJwt(redeemed.body.id_token).email, undefined);
  });

  test('the token endpoint records what it saw, without secrets', async () => {
    const before = emulator().tokenRequests.length;
    await signedIn();
    assert.deepEqual(emulator().tokenRequests.slice(before), [
      { grantType: 'authorization_code', clientId: WEB.clientId, ok: true },
    ]);
  });
});

/**
 * Continuous Access Evaluation: a client that declares the capability `cp1` (msal-node's
 * `clientCapabilities`) gets long-lived access tokens with `xms_cc`, which the Graph-like API
 * refuses with Graph's claims challenge once the user has a critical event newer than the token.
 * Ordinary tokens are not evaluated.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { type AccountInfo, CryptoProvider, InteractionRequiredAuthError } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { Browser } from '../helpers/browser.ts';
import {
  adele,
  assertEntraError,
  authorizeUrl,
  emulator,
  endpoint,
  json,
  msalClient,
  redeemCode,
  redirectParameters,
  signIn,
  tokenRequest,
  useEmulator,
  WEB,
  withEmulator,
} from './helper.ts';

useEmulator();

/**
 * What msal-node sends for `clientCapabilities: ['CP1']` (msal-common's `buildMergedClaims`), its
 * default id token claims included.
 */
const MSAL_CP1_CLAIMS = JSON.stringify({
  id_token: {
    signin_state: { essential: false },
    login_hint: { essential: false },
    tenant_region_sub_scope: { essential: false },
  },
  access_token: { xms_cc: { values: ['CP1'] } },
});

const graph = (token: string, e = emulator(), path = '/v1.0/me') =>
  fetch(`${e.graphUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });

const refresh = (refreshToken: string, extra: Record<string, string> = {}, e = emulator()) =>
  tokenRequest(
    {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: WEB.clientId,
      client_secret: WEB.clientSecret,
      ...extra,
    },
    e,
  );

const admin = (user: string, action: string, e = emulator()) =>
  fetch(endpoint(`/users/${encodeURIComponent(user)}/${action}`, e), {
    method: 'POST',
    headers: { Accept: 'application/json' },
  });

/** Adele signed in to WEB; the code redeemed with `claims` when given. */
async function signedInWith(claims?: string, e = emulator()) {
  const browser = new Browser();
  const code =
    redirectParameters(
      await signIn(browser, authorizeUrl(WEB, {}, e), undefined, undefined, e),
    ).get('code') ?? '';
  const tokens = await redeemCode(WEB, code, claims ? { claims } : {}, e);
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return tokens.body;
}

/** The challenge's `claims`, decoded. */
function challengeOf(response: Response): { header: string; claims: string } {
  const header = response.headers.get('www-authenticate') ?? '';
  const claims = /claims="([^"]+)"/.exec(header)?.[1] ?? '';
  return { header, claims: Buffer.from(claims, 'base64').toString('utf8') };
}

describe('CAE tokens', () => {
  test("a token request with msal's xms_cc cp1 claims gets a CAE token: xms_cc, 24 hours", async () => {
    const tokens = await signedInWith(MSAL_CP1_CLAIMS);
    assert.equal(tokens.expires_in, 86400);
    const access = decodeJwt(tokens.access_token);
    assert.deepEqual(access.xms_cc, ['cp1']);
    assert.equal(Number(access.exp) - Number(access.iat), 86400);

    // The refresh grant too, with the capability in any case and other claims merged in.
    const claims = JSON.stringify({
      access_token: { nbf: { essential: true, value: '1700000000' }, xms_cc: { values: ['cp1'] } },
    });
    const refreshed = await refresh(tokens.refresh_token, { claims });
    assert.equal(refreshed.status, 200);
    assert.deepEqual(decodeJwt(refreshed.body.access_token).xms_cc, ['cp1']);
    assert.equal(refreshed.body.expires_in, 86400);
  });

  test('other clients get ordinary tokens: no xms_cc, the ordinary lifetime', async () => {
    const tokens = await signedInWith();
    assert.equal(tokens.expires_in, 3600);
    assert.equal(decodeJwt(tokens.access_token).xms_cc, undefined);
    // Claims without the capability (msal's defaults alone, another capability) change nothing.
    for (const claims of [
      JSON.stringify({ id_token: { signin_state: { essential: true } } }),
      JSON.stringify({ access_token: { xms_cc: { values: ['cp2'] } } }),
    ]) {
      const refreshed = await refresh(tokens.refresh_token, { claims });
      assert.equal(refreshed.status, 200);
      assert.equal(decodeJwt(refreshed.body.access_token).xms_cc, undefined);
      assert.equal(refreshed.body.expires_in, 3600);
    }
  });

  test('the lifetimes are options', async () => {
    await withEmulator(
      { accessTokenLifetimeSeconds: 600, caeAccessTokenLifetimeSeconds: 7200 },
      async (e) => {
        assert.equal((await signedInWith(undefined, e)).expires_in, 600);
        const cae = await signedInWith(MSAL_CP1_CLAIMS, e);
        assert.equal(cae.expires_in, 7200);
        const access = decodeJwt(cae.access_token);
        assert.equal(Number(access.exp) - Number(access.nbf), 7200);
      },
    );
  });

  test('a malformed or oversized claims parameter: 400 invalid_request, and the code stays usable', async () => {
    const browser = new Browser();
    const code = redirectParameters(await signIn(browser, authorizeUrl(WEB))).get('code') ?? '';
    const bad = [
      'not json',
      '["cp1"]',
      'null',
      '"cp1"',
      JSON.stringify({ access_token: 'cp1' }),
      JSON.stringify({ access_token: { xms_cc: { values: 'cp1' } } }),
      JSON.stringify({ access_token: { nbf: { essential: true, value: 'yesterday' } } }),
      JSON.stringify({ access_token: { xms_cc: { values: ['cp1'] } }, pad: 'x'.repeat(9000) }),
    ];
    for (const claims of bad) {
      const refused = await redeemCode(WEB, code, { claims });
      assert.equal(refused.status, 400, claims.slice(0, 40));
      assertEntraError(refused.body, 'invalid_request', 9002313);
      assert.match(refused.body.error_description, /'claims' parameter/);
    }
    assert.equal((await redeemCode(WEB, code, { claims: MSAL_CP1_CLAIMS })).status, 200);
  });
});

describe('the Graph-like API evaluates CAE tokens', () => {
  test("after a revocation: a CAE token gets Graph's claims challenge, an ordinary one works until it expires", async () => {
    const cae = await signedInWith(MSAL_CP1_CLAIMS);
    const ordinary = await signedInWith();
    assert.equal((await graph(cae.access_token)).status, 200);
    assert.equal((await admin(adele().oid, 'revokeSignInSessions')).status, 200);

    const refused = await graph(cae.access_token);
    assert.equal(refused.status, 401);
    const body = await json(refused);
    assert.equal(body.error.code, 'InvalidAuthenticationToken');
    assert.equal(
      body.error.message,
      'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
    );
    const { header, claims } = challengeOf(refused);
    const nbf = JSON.parse(claims).access_token.nbf;
    assert.equal(
      header,
      `Bearer realm="", authorization_uri="${emulator().identityUrl}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", errorDescription="${body.error.message}", error="insufficient_claims", claims="${Buffer.from(claims).toString('base64')}"`,
    );
    assert.equal(claims, `{"access_token":{"nbf":{"essential":true, "value":"${nbf.value}"}}}`);
    assert.ok(Math.abs(Number(nbf.value) - Date.now() / 1000) < 5, 'the revocation time');

    // Not evaluated: the ordinary token works until its exp.
    assert.equal((await graph(ordinary.access_token)).status, 200);
    // The challenge answered with the refresh token: refused, the user must sign in again.
    const again = await refresh(cae.refresh_token, {
      claims: JSON.stringify({ access_token: { nbf: { essential: true, value: nbf.value } } }),
    });
    assertEntraError(again.body, 'invalid_grant', 50173);
    // A new sign-in, in the same second as the revocation or later, gets a token the API takes.
    const fresh = await signedInWith(MSAL_CP1_CLAIMS);
    assert.ok(Number(decodeJwt(fresh.access_token).iat) >= Number(nbf.value));
    assert.equal((await graph(fresh.access_token)).status, 200);

    const told = emulator().events.after(0, 0, new AbortController().signal);
    const challenge = (await told).findLast((event) => event.kind === 'cae-challenge');
    assert.ok(challenge, 'the timeline tells the challenge');
    // With the session the token came from, as the sign-in's events name it.
    const caeSessions = (await told)
      .filter((event) => event.kind === 'tokens-issued' && /a CAE access token/.test(event.text))
      .flatMap((event) => event.sessions ?? []);
    assert.equal(challenge.sessions?.length, 1);
    assert.ok(caeSessions.includes(challenge.sessions?.[0] ?? ''));
    assert.match(
      challenge.text,
      /^Graph-like API: Web app's CAE access token for AdeleV@\S+ was issued before the user's sessions were revoked \(\d\d:\d\d:\d\d UTC\): refused \(401, insufficient_claims\)/,
    );
    for (const token of [cae.access_token, cae.refresh_token]) {
      assert.ok(!challenge.text.includes(token));
    }
  });

  test('a disabled account: CAE tokens challenged, refresh tokens refused; enabled again, the refresh token answers the challenge', async () => {
    await withEmulator({}, async (e) => {
      const user = e.users[0]?.oid ?? '';
      const cae = await signedInWith(MSAL_CP1_CLAIMS, e);
      assert.equal((await admin(user, 'disable', e)).status, 200);
      const refused = await graph(cae.access_token, e);
      assert.equal(refused.status, 401);
      const { claims } = challengeOf(refused);
      const refreshed = await refresh(cae.refresh_token, { claims: MSAL_CP1_CLAIMS }, e);
      assertEntraError(refreshed.body, 'invalid_grant', 50057);
      assert.match(
        refreshed.body.error_description,
        /^AADSTS50057: The user account is disabled\./,
      );

      assert.equal((await admin(user, 'enable', e)).status, 200);
      // msal merges the challenge's claims with its capability.
      const merged = JSON.parse(claims);
      merged.access_token.xms_cc = { values: ['CP1'] };
      const answered = await refresh(cae.refresh_token, { claims: JSON.stringify(merged) }, e);
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      assert.equal((await graph(answered.body.access_token, e)).status, 200);
      // The token from before the event stays refused.
      assert.equal((await graph(cae.access_token, e)).status, 401);
    });
  });

  test('a password reset challenges CAE tokens from before it', async () => {
    await withEmulator({}, async (e) => {
      const cae = await signedInWith(MSAL_CP1_CLAIMS, e);
      assert.equal((await admin(e.users[0]?.oid ?? '', 'resetPassword', e)).status, 200);
      const refused = await graph(cae.access_token, e);
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /error="insufficient_claims"/);
    });
  });

  test('the propagation delay: a CAE token works until the event has reached the API', async () => {
    await withEmulator({ criticalEventDelaySeconds: 1 }, async (e) => {
      const cae = await signedInWith(MSAL_CP1_CLAIMS, e);
      assert.equal((await admin(e.users[0]?.oid ?? '', 'revokeSignInSessions', e)).status, 200);
      assert.equal((await graph(cae.access_token, e)).status, 200, 'not yet');
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      assert.equal((await graph(cae.access_token, e)).status, 401);
    });
  });
});

describe('msal-node with clientCapabilities', () => {
  test('gets a CAE token served from its cache; after a revocation the challenge claims lead to interaction', async () => {
    await withEmulator({}, async (e) => {
      const msal = await msalClient(e, WEB, ['CP1']);
      const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
      const nonce = randomUUID();
      const redirectUri = WEB.redirectUris[0] ?? '';
      const url = await msal.getAuthCodeUrl({
        scopes: ['User.Read'],
        redirectUri,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
        nonce,
      });
      const redirect = redirectParameters(
        await signIn(new Browser(), url, undefined, undefined, e),
      );
      const result = await msal.acquireTokenByCode({
        code: redirect.get('code') ?? '',
        scopes: ['User.Read'],
        redirectUri,
        codeVerifier: verifier,
        nonce,
      });
      assert.deepEqual(decodeJwt(result.accessToken).xms_cc, ['cp1']);
      const account = result.account as AccountInfo;
      const silent = await msal.acquireTokenSilent({ account, scopes: ['User.Read'] });
      assert.equal(silent.fromCache, true);

      assert.equal((await admin(account.localAccountId, 'revokeSignInSessions', e)).status, 200);
      const refused = await graph(silent.accessToken, e);
      assert.equal(refused.status, 401);
      const { claims } = challengeOf(refused);
      // msal skips its cache for a request with claims and redeems the refresh token, which is
      // revoked: the user must sign in (msal raises invalid_grant as a ServerError, not as an
      // InteractionRequiredAuthError: the app decides).
      const before = e.tokenRequests.length;
      await assert.rejects(
        msal.acquireTokenSilent({ account, scopes: ['User.Read'], claims }),
        (error: unknown) =>
          !(error instanceof InteractionRequiredAuthError) &&
          (error as { errorCode?: string }).errorCode === 'invalid_grant' &&
          String((error as Error).message).includes('AADSTS50173: '),
      );
      assert.deepEqual(e.tokenRequests.slice(before), [
        { grantType: 'refresh_token', clientId: WEB.clientId, ok: false },
      ]);
    });
  });
});

/** msal-node itself against the emulator: what the samples rely on. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { type AccountInfo, CryptoProvider, InteractionRequiredAuthError } from '@azure/msal-node';
import { type RunningEmulator, startEmulator } from '../../emulator/index.ts';
import { Browser } from '../helpers/browser.ts';
import {
  adele,
  emulator,
  emulatorOptions,
  msalClient,
  OTHER,
  redirectParameters,
  signIn,
  TENANT_ID,
  useEmulator,
  WEB,
} from './helper.ts';

useEmulator();

describe('msal-node against the emulator', () => {
  /** getAuthCodeUrl with PKCE and a nonce, the form, then acquireTokenByCode. */
  async function msalSignIn(e: RunningEmulator, app = WEB) {
    const msal = await msalClient(e, app);
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const nonce = randomUUID();
    const redirectUri = app.redirectUris[0] ?? '';
    const url = await msal.getAuthCodeUrl({
      scopes: ['User.Read'],
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      nonce,
      state: 'msal-state',
    });
    const redirect = redirectParameters(await signIn(new Browser(), url, undefined, undefined, e));
    assert.equal(redirect.get('state'), 'msal-state');
    const result = await msal.acquireTokenByCode({
      code: redirect.get('code') ?? '',
      scopes: ['User.Read'],
      redirectUri,
      codeVerifier: verifier,
      nonce,
    });
    return { msal, result, account: result.account as AccountInfo };
  }

  test('signs in end to end; acquireTokenSilent is then served from the cache', async () => {
    const { msal, result, account } = await msalSignIn(emulator());
    assert.equal(account.homeAccountId, `${adele().oid}.${TENANT_ID}`);
    assert.equal(account.localAccountId, adele().oid);
    assert.equal(account.username, adele().userPrincipalName);
    assert.deepEqual(result.scopes, ['User.Read', 'openid', 'profile']);

    const before = emulator().tokenRequests.length;
    const silent = await msal.acquireTokenSilent({ account, scopes: ['User.Read'] });
    assert.equal(silent.fromCache, true);
    assert.equal(silent.accessToken, result.accessToken);
    assert.equal(emulator().tokenRequests.length, before, 'no call to the token endpoint');

    const me = await fetch(`${emulator().graphUrl}/v1.0/me`, {
      headers: { Authorization: `Bearer ${silent.accessToken}` },
    });
    assert.equal(me.status, 200);
  });

  test('a permission beyond the registration: msal raises InteractionRequiredAuthError, subError consent_required', async () => {
    // OTHER lists no permissions: User.Read alone.
    const { msal, account } = await msalSignIn(emulator(), OTHER);
    await assert.rejects(
      msal.acquireTokenSilent({ account, scopes: ['Mail.Read'] }),
      (error: unknown) =>
        error instanceof InteractionRequiredAuthError &&
        error.errorCode === 'invalid_grant' &&
        error.subError === 'consent_required' &&
        error.errorMessage.startsWith('AADSTS65001: '),
    );
  });

  test("with access tokens shorter than msal's 5-minute margin, every silent call refreshes", async () => {
    const shortLived = await startEmulator(emulatorOptions({ accessTokenLifetimeSeconds: 60 }));
    try {
      const { msal, account } = await msalSignIn(shortLived);
      const cached = JSON.parse(msal.getTokenCache().serialize()).AccessToken;
      assert.equal(
        Object.keys(cached).length,
        1,
        'msal caches the short-lived access token anyway',
      );
      for (let call = 1; call <= 2; call++) {
        const silent = await msal.acquireTokenSilent({ account, scopes: ['User.Read'] });
        assert.equal(silent.fromCache, false);
        assert.deepEqual(
          shortLived.tokenRequests.map((request) => request.grantType),
          ['authorization_code', ...Array(call).fill('refresh_token')],
        );
      }
      assert.ok(shortLived.tokenRequests.every((request) => request.ok));
    } finally {
      await shortLived.close();
    }
  });
});

/** The OpenID Connect metadata: discovery document, tenants, signing keys. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertEntraError, emulator, endpoint, json, TENANT_ID, useEmulator } from './helper.ts';

useEmulator();

describe('metadata', () => {
  test('the discovery document looks like Entra v2.0 for the tenant', async () => {
    const response = await fetch(endpoint('/v2.0/.well-known/openid-configuration'));
    assert.equal(response.status, 200);
    const doc = await json(response);
    assert.equal(doc.issuer, `${emulator().identityUrl}/${TENANT_ID}/v2.0`);
    assert.equal(doc.issuer, emulator().issuer);
    assert.equal(doc.authorization_endpoint, endpoint('/oauth2/v2.0/authorize'));
    assert.equal(doc.token_endpoint, endpoint('/oauth2/v2.0/token'));
    assert.equal(doc.end_session_endpoint, endpoint('/oauth2/v2.0/logout'));
    assert.equal(doc.jwks_uri, endpoint('/discovery/v2.0/keys'));
    assert.deepEqual(doc.response_modes_supported, ['query', 'fragment', 'form_post']);
    assert.deepEqual(doc.subject_types_supported, ['pairwise']);
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256']);
    assert.equal(doc.frontchannel_logout_supported, true);
    assert.equal(doc.http_logout_supported, true);
    assert.ok(!Object.keys(doc).some((key) => key.startsWith('backchannel')));
    assert.match(emulator().identityUrl, /^http:\/\/localhost:\d+$/);
  });

  test('another tenant is AADSTS90002', async () => {
    const response = await fetch(
      `${emulator().identityUrl}/common/v2.0/.well-known/openid-configuration`,
    );
    assert.equal(response.status, 400);
    assertEntraError(await json(response), 'invalid_tenant', 90002);
  });

  test('the JWKS publishes one RS256 signing key', async () => {
    const { keys } = await json(await fetch(endpoint('/discovery/v2.0/keys')));
    assert.equal(keys.length, 1);
    assert.equal(keys[0].kty, 'RSA');
    assert.equal(keys[0].use, 'sig');
    assert.equal(keys[0].alg, 'RS256');
    assert.ok(keys[0].kid);
    assert.equal(keys[0].d, undefined);
  });
});

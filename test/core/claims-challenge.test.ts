/**
 * `shared/core/claims-challenge.ts`: a claims challenge (Continuous Access Evaluation) read from a
 * `WWW-Authenticate` header, in Entra's shape and RFC 9110's grammar; a header a client cannot
 * read (malformed, oversized, claims that are not base64 of a JSON object of objects) is no
 * challenge, and the 401 carrying it stays a plain 401 (`GraphClient`, over real HTTP).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  claimsChallengeOf,
  MAX_CHALLENGE_HEADER_LENGTH,
  MAX_CLAIMS_LENGTH,
} from '../../shared/core/claims-challenge.ts';
import { GraphClient, GraphError } from '../../shared/core/graph-client.ts';
import { serve } from './harness.ts';

/** Entra's example (claims-challenge.md): nbf, essential, as a string. */
const ENTRA_CLAIMS = '{"access_token":{"nbf":{"essential":true, "value":"1604106651"}}}';
const base64 = (text: string) => Buffer.from(text).toString('base64');

/** A challenge in Entra's shape, with `claims` as given. */
const entraChallenge = (claims: string) =>
  `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${claims}"`;

test("Entra's challenge: the claims, decoded, as the JSON msal takes", () => {
  const claims = claimsChallengeOf(entraChallenge(base64(ENTRA_CLAIMS)));
  assert.deepEqual(JSON.parse(claims ?? 'null'), JSON.parse(ENTRA_CLAIMS));
});

test('the grammar of RFC 9110: any case, any spacing, other challenges around it, escapes, URL-safe base64', () => {
  const encoded = base64(ENTRA_CLAIMS);
  const expected = JSON.stringify(JSON.parse(ENTRA_CLAIMS));
  for (const header of [
    `bearer ERROR="insufficient_claims",claims="${encoded}"`,
    `Basic realm="x", Bearer realm="a, b=\\"c\\"" , error=insufficient_claims, claims="${encoded}"`,
    `Bearer realm="one", error="invalid_token", Bearer error="insufficient_claims", claims="${encoded}"`,
    `Negotiate, Bearer error="insufficient_claims", claims="${encoded}", PoP nonce="n"`,
    `Bearer error="insufficient_claims", claims="${Buffer.from(ENTRA_CLAIMS).toString('base64url')}"`,
  ]) {
    assert.equal(claimsChallengeOf(header), expected, header);
  }
});

test('not a claims challenge: no header, another error, no claims', () => {
  for (const header of [
    undefined,
    null,
    '',
    'Bearer realm=""',
    `Bearer error="invalid_token", claims="${base64(ENTRA_CLAIMS)}"`,
    'Bearer error="insufficient_claims"',
    `Basic error="insufficient_claims", claims="${base64(ENTRA_CLAIMS)}"`,
  ]) {
    assert.equal(claimsChallengeOf(header), undefined, String(header));
  }
});

test('malformed: a header or claims this client cannot read is no challenge (never a throw)', () => {
  const good = base64(ENTRA_CLAIMS);
  for (const header of [
    `Bearer error="insufficient_claims", claims="${good}`, // unterminated
    `Bearer error="insufficient_claims" claims="${good}"`, // no comma
    `Bearer error="insufficient_claims", claims=${good}`, // base64 padding unquoted
    `Bearer error="insufficient_claims", claims="${good}", claims="${good}"`, // twice
    `Bearer error="insufficient_claims", claims="${good}" junk`,
    `Bearer error=, claims="${good}"`,
    `Bearer abc== , error="insufficient_claims", claims="${good}"`, // token68
    '"Bearer"',
    'Bearer error="insufficient_claims", claims="not base64!"',
    `Bearer error="insufficient_claims", claims="${base64('not json')}"`,
    `Bearer error="insufficient_claims", claims="${base64('[]')}"`,
    `Bearer error="insufficient_claims", claims="${base64('null')}"`,
    `Bearer error="insufficient_claims", claims="${base64('{}')}"`,
    `Bearer error="insufficient_claims", claims="${base64('{"access_token":"nbf"}')}"`,
    `Bearer error="insufficient_claims", claims="${base64('{"access_token":[1]}')}"`,
    `Bearer error="insufficient_claims", claims=""`,
  ]) {
    assert.equal(claimsChallengeOf(header), undefined, header);
  }
});

test('oversized: a header or claims past the limits is no challenge', () => {
  const padding = 'x'.repeat(MAX_CHALLENGE_HEADER_LENGTH);
  assert.equal(
    claimsChallengeOf(`${entraChallenge(base64(ENTRA_CLAIMS))}, Basic realm="${padding}"`),
    undefined,
  );
  const big = JSON.stringify({ access_token: { nbf: { value: 'x'.repeat(MAX_CLAIMS_LENGTH) } } });
  assert.equal(claimsChallengeOf(entraChallenge(base64(big))), undefined);
  const fits = JSON.stringify({ access_token: { nbf: { value: 'x'.repeat(1000) } } });
  assert.equal(claimsChallengeOf(entraChallenge(base64(fits))), fits);
});

test('GraphClient: a 401 with a challenge is a GraphError carrying its claims; one it cannot read, a plain 401', async (t) => {
  let header = entraChallenge(base64(ENTRA_CLAIMS));
  let status = 401;
  const api = await serve((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', 'www-authenticate': header });
    response.end(JSON.stringify({ error: { code: 'InvalidAuthenticationToken', message: 'no' } }));
  });
  t.after(api.close);
  const graph = new GraphClient(api.url, 5_000);
  const refusal = async () => {
    try {
      await graph.get('/v1.0/me', 'a-token');
    } catch (error) {
      if (error instanceof GraphError) return error;
      throw error;
    }
    return assert.fail('refused');
  };
  const challenged = await refusal();
  assert.equal(challenged.status, 401);
  assert.equal(challenged.code, 'InvalidAuthenticationToken');
  assert.deepEqual(JSON.parse(challenged.claimsChallenge ?? 'null'), JSON.parse(ENTRA_CLAIMS));

  header = `Bearer error="insufficient_claims", claims="${base64('{not json')}"`;
  const plain = await refusal();
  assert.equal(plain.status, 401);
  assert.equal(plain.claimsChallenge, undefined);

  // Only a 401 is a challenge: a 403 with the same header is a refusal, no more.
  header = entraChallenge(base64(ENTRA_CLAIMS));
  status = 403;
  assert.equal((await refusal()).claimsChallenge, undefined);
});

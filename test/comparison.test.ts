import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { formatMatrix, type Matrix, type Outcome, runComparison } from './comparison/scenarios.ts';

/**
 * The behaviour matrix of the documentation page, measured: aspnetcore forgets the user on every
 * sign-out; aspnet, java and python forget them only on a sign-out started in themselves — today.
 * In a 2019 browser, python's logout URL got its session cookie and forgot the user too. Only an
 * administrator revoking the user's sessions stops the apps that kept a refresh token, and not
 * before their cached access token expires.
 */
const forgot: Outcome = {
  signedIn: false,
  tokensLeft: 0,
  canCallApi: false,
  tokensLeftAfterApiCall: 0,
  refreshTokenRedeemed: false,
};
const kept: Outcome = {
  signedIn: true,
  tokensLeft: 3,
  canCallApi: true,
  tokensLeftAfterApiCall: 3,
  refreshTokenRedeemed: true,
};

describe('comparison of the four samples', () => {
  let matrix: Matrix;
  before(async () => {
    matrix = await runComparison();
    console.log(formatMatrix(matrix));
  });

  test('after a local sign-out, no sample keeps the user signed in or any of their tokens', () => {
    for (const [name, outcome] of Object.entries(matrix.local))
      assert.deepEqual(outcome, forgot, name);
  });

  for (const scenario of ['another-app', 'browser'] as const) {
    test(`after a global sign-out (${scenario}) in today's browser, only aspnetcore forgets the user`, () => {
      assert.deepEqual(matrix[scenario].aspnetcore, forgot);
      // The risk the docs show: the identity platform's sign-out did not revoke the refresh token.
      for (const name of ['aspnet', 'java', 'python'] as const) {
        assert.deepEqual(matrix[scenario][name], kept, name);
      }
    });
  }

  for (const scenario of ['another-app-2019', 'browser-2019'] as const) {
    test(`in a 2019 browser (${scenario}), python's logout URL got the cookie: python forgot the user too`, () => {
      assert.deepEqual(matrix[scenario].aspnetcore, forgot, 'aspnetcore finds the sid either way');
      assert.deepEqual(matrix[scenario].python, forgot, 'python: session.clear() with the cookie');
      assert.deepEqual(matrix[scenario].aspnet, kept, 'aspnet registered no logout URL');
      assert.deepEqual(matrix[scenario].java, kept, "java's logout URL is served by no route");
    });
  }

  test('revoking the sessions stops the refresh token; a cached access token works until it expires', () => {
    assert.deepEqual(matrix.revoked.aspnetcore, forgot);
    assert.deepEqual(matrix['revoked-cached'].aspnetcore, forgot);
    for (const name of ['aspnet', 'java', 'python'] as const) {
      assert.deepEqual(
        matrix.revoked[name],
        // The refused refresh token: the app drops the user's tokens and asks for a sign-in.
        { ...kept, canCallApi: false, tokensLeftAfterApiCall: 0, refreshTokenRedeemed: false },
        name,
      );
      assert.deepEqual(
        matrix['revoked-cached'][name],
        { ...kept, refreshTokenRedeemed: false },
        name,
      );
    }
  });
});

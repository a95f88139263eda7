import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { formatMatrix, type Matrix, runComparison } from './comparison/scenarios.ts';

/**
 * The behaviour matrix of the documentation page, measured: aspnetcore forgets the user on every
 * sign-out; aspnet, java and python forget them only on a sign-out started in themselves.
 */
describe('comparison of the four samples', () => {
  let matrix: Matrix;
  before(async () => {
    matrix = await runComparison();
    console.log(formatMatrix(matrix));
  });

  test('after a local sign-out, no sample keeps the user signed in or any of their tokens', () => {
    for (const [name, outcome] of Object.entries(matrix.local)) {
      assert.deepEqual(
        outcome,
        { signedIn: false, tokensLeft: 0, canCallApi: false, refreshTokenRedeemed: false },
        name,
      );
    }
  });

  for (const kind of ['another-app', 'browser'] as const) {
    test(`after a global sign-out (${kind}), only aspnetcore forgets the user`, () => {
      assert.deepEqual(matrix[kind].aspnetcore, {
        signedIn: false,
        tokensLeft: 0,
        canCallApi: false,
        refreshTokenRedeemed: false,
      });
      for (const name of ['aspnet', 'java', 'python'] as const) {
        const outcome = matrix[kind][name];
        assert.equal(outcome.signedIn, true, `${name} session`);
        assert.ok(
          outcome.tokensLeft >= 3,
          `${name} keeps the user's access, refresh and id tokens`,
        );
        assert.equal(outcome.canCallApi, true, `${name} still calls the API`);
        // The risk the docs show: the identity platform's sign-out did not revoke the refresh token.
        assert.equal(outcome.refreshTokenRedeemed, true, `${name} refresh token still redeems`);
      }
    });
  }
});

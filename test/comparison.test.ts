import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  formatMatrix,
  type Matrix,
  type Outcome,
  runComparison,
  type Scenario,
} from './comparison/scenarios.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';

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

/** The one-instance comparison, measured once for both suites. */
let oneInstance: Promise<Matrix> | undefined;
const measureOneInstance = () => {
  oneInstance ??= runComparison().then((matrix) => {
    console.log(formatMatrix(matrix));
    return matrix;
  });
  return oneInstance;
};

describe('comparison of the four samples', () => {
  let measured: Matrix;
  before(async () => {
    measured = await measureOneInstance();
  });
  const matrix = new Proxy({} as Required<Matrix>, {
    get: (_, scenario: Scenario) => measured[scenario] ?? assert.fail(`${scenario} not measured`),
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

/**
 * Two instances of each sample over one Redis, every scenario: the user works through instance 2,
 * the sign-out lands on instance 1. Sessions are shared, so every sample that keeps its tokens in
 * Redis (in a partition or in the session) behaves as with one instance, and so does aspnet on a
 * global sign-out. aspnet's cache is in each process: its local sign-out on instance 1 ends the
 * session, but the user's tokens stay in instance 2's memory.
 */
describe('comparison with two instances of each sample over Redis', () => {
  let redis: TestRedis | undefined;
  let one: Matrix = {};
  let two: Matrix = {};
  before(async () => {
    redis = await startRedis({ skip() {} });
    if (!redis) return;
    const own = redis;
    two = await runComparison({ instances: 2, redisUrl: own.url, flush: () => own.flush() });
    console.log(formatMatrix(two));
    one = await measureOneInstance();
  });
  after(() => redis?.close());

  test('as with one instance, but for what aspnet keeps in the other process after a local sign-out', (t) => {
    if (!redis) return t.skip('redis-server is not installed (see the message above)');
    assert.deepEqual(two.local?.aspnet, { ...forgot, tokensLeft: 3, tokensLeftAfterApiCall: 3 });
    assert.deepEqual(one.local?.aspnet, forgot);
    const { local, ...rest } = two;
    assert.deepEqual({ ...local, aspnet: one.local?.aspnet }, one.local);
    for (const [scenario, outcomes] of Object.entries(rest) as Array<[Scenario, unknown]>) {
      assert.deepEqual(outcomes, one[scenario], scenario);
    }
    assert.equal(Object.keys(two).length, Object.keys(one).length, 'every scenario');
  });
});

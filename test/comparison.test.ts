import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { identityWebToday } from './comparison/identity-web-today/app.ts';
import { eras, table, terminalTable } from './comparison/matrix.ts';
import {
  type Column,
  columns,
  type Matrix,
  type Outcome,
  runComparison,
  type Scenario,
  scenarioNames,
  specOf,
  tokensLeft,
} from './comparison/scenarios.ts';
import { Browser } from './helpers/browser.ts';
import { ssoSid, startSamples } from './helpers/environment.ts';
import { startRedis } from './helpers/redis.ts';

/**
 * The comparison of docs/comparison.md, measured and asserted cell by cell: aspnetcore forgets the
 * user on every sign-out; the other samples only on a sign-out started in themselves — today. In
 * a 2019 browser, python's logout URL got its session cookie and forgot the user too. The ASP.NET
 * Core tab's code today (identity-web-today) removes the user's tokens on its own sign-out only: on
 * a global one, its /signout-oidc signs the session out if the cookie comes (2019), and leaves the
 * tokens. Only an administrator revoking the user's sessions stops the apps that kept a refresh
 * token, and not before their cached access token expires. An administrator's critical event
 * (sessions revoked, account disabled, password reset) stops at once only the client that declares
 * cp1 (aspnetcore: Continuous Access Evaluation); the others call on until their token's `exp`.
 */

/**
 * The tokens node keeps for the user: msal's three, and the copy of the access token it keeps in
 * the session beside msal's cache (`req.session.accessToken`, as Microsoft's Node sample).
 */
const NODE_TOKENS = 4;
/**
 * What a refused refresh token leaves of them: the core drops the cache's three (worth nothing
 * now), not the session's copy, which still answers at node's profile page until it expires.
 */
const NODE_TOKENS_BESIDE_MSAL = NODE_TOKENS - 3;

/** The app forgot the user: signed out, no token, must sign them in again. */
const forgot: Outcome = {
  signedIn: false,
  tokensLeft: 0,
  canCallApi: false,
  tokensLeftAfterApiCall: 0,
  refreshTokenRedeemed: false,
};
/** The app kept the user signed in with their tokens, and calls the API with the refresh token. */
const kept = (tokens = 3): Outcome => ({
  signedIn: true,
  tokensLeft: tokens,
  canCallApi: true,
  tokensLeftAfterApiCall: tokens,
  refreshTokenRedeemed: true,
});
/** After the revocation: the refresh token refused, the app drops the tokens and asks for a sign-in. */
const refused = (tokens = 3, left = 0): Outcome => ({
  ...kept(tokens),
  canCallApi: false,
  tokensLeftAfterApiCall: left,
  refreshTokenRedeemed: false,
});
/** After the revocation, with an access token of an hour: the cached one still works. */
const cached = (tokens = 3): Outcome => ({ ...kept(tokens), refreshTokenRedeemed: false });
/**
 * No sign-out, an administrator acted (a critical event), access tokens of an hour: an ordinary
 * client's cached token works on, the API does not evaluate it; 60 minutes to go, by its `exp`.
 */
const ordinary = (tokens = 3): Outcome => ({ ...cached(tokens), apiCallableForMinutes: 60 });
/**
 * The same for a CAE-capable client (cp1, a token of 24 hours): the API challenges it, msal cannot
 * meet the challenge (refresh token refused), the tokens are dropped, the user sent to sign in.
 */
const challenged: Outcome = refused();
/** The session ended, the tokens left in the cache, out of any session's reach. */
const stranded: Outcome = { ...forgot, tokensLeft: 3, tokensLeftAfterApiCall: 3 };

/** A row of the matrix: one outcome per column, in the columns' order. */
const row = (...outcomes: Outcome[]) =>
  Object.fromEntries(columns.map((column, index) => [column, outcomes[index]])) as Record<
    Column,
    Outcome
  >;

/** A critical event with the user signed in everywhere: only the CAE client (aspnetcore) stops. */
const administratorActs = row(
  challenged,
  ordinary(),
  ordinary(),
  ordinary(NODE_TOKENS),
  ordinary(),
  ordinary(),
);

// Columns: aspnetcore, aspnet, java, node, python, identity-web-today.
const oneInstance: Record<Scenario, Record<Column, Outcome>> = {
  local: row(forgot, forgot, forgot, forgot, forgot, forgot),
  'another-app': row(forgot, kept(), kept(), kept(NODE_TOKENS), kept(), kept()),
  browser: row(forgot, kept(), kept(), kept(NODE_TOKENS), kept(), kept()),
  revoked: row(
    forgot,
    refused(),
    refused(),
    { ...refused(NODE_TOKENS, NODE_TOKENS_BESIDE_MSAL), canCallApi: true },
    refused(),
    refused(),
  ),
  'revoked-cached': row(forgot, cached(), cached(), cached(NODE_TOKENS), cached(), cached()),
  'cae-revoked': administratorActs,
  'cae-disabled': administratorActs,
  'cae-reset': administratorActs,
  'another-app-2019': row(forgot, kept(), kept(), kept(NODE_TOKENS), forgot, stranded),
  'browser-2019': row(forgot, kept(), kept(), kept(NODE_TOKENS), forgot, stranded),
};

/** Every cell of `scenarios`, as `expected` says. */
function assertCells(measured: Matrix, expected: Matrix, scenarios: readonly Scenario[]) {
  for (const scenario of scenarios) {
    for (const column of columns) {
      assert.deepEqual(
        measured[scenario]?.[column],
        expected[scenario]?.[column],
        `${column}, after: ${specOf(scenario).label}`,
      );
    }
  }
}

const print = (matrix: Matrix) =>
  console.log(eras.map(({ rows }) => terminalTable(table(matrix, rows))).join('\n\n'));

describe('the comparison: five samples and the ASP.NET Core tab today', () => {
  let measured: Matrix;
  before(async () => {
    measured = await runComparison();
    print(measured);
  });

  test('after a local sign-out, no app keeps the user signed in or any of their tokens', () => {
    assertCells(measured, oneInstance, ['local']);
  });

  test("after a global sign-out in today's browser, only aspnetcore forgets the user; node and identity-web-today keep the session and the tokens", () => {
    assertCells(measured, oneInstance, ['another-app', 'browser']);
  });

  test('in a 2019 browser, python forgot the user; identity-web-today signed the session out and kept the tokens', () => {
    assertCells(measured, oneInstance, ['another-app-2019', 'browser-2019']);
  });

  test('revoking the sessions stops the refresh token; a cached access token works until it expires', () => {
    assertCells(measured, oneInstance, ['revoked', 'revoked-cached']);
  });

  test('an administrator acts on a signed-in user: aspnetcore (cp1) is challenged at once; the ordinary clients call the API for the hour their token has left', () => {
    assertCells(measured, oneInstance, ['cae-revoked', 'cae-disabled', 'cae-reset']);
  });

  test('every scenario is asserted', () => {
    assert.deepEqual(Object.keys(measured).sort(), [...scenarioNames].sort());
  });
});

/**
 * Two instances of each app over one Redis, every scenario: the user works through instance 2,
 * the sign-out lands on instance 1. Sessions are shared, so every app that keeps its tokens in
 * Redis (in a partition or in the session) behaves as with one instance, and so does aspnet on a
 * global sign-out. aspnet's cache is in each process: its local sign-out on instance 1 ends the
 * session, but the user's tokens stay in instance 2's memory.
 */
describe('the comparison with two instances of each app over Redis', () => {
  let measured: Matrix | undefined;
  before(async () => {
    const redis = await startRedis({ skip() {} });
    if (!redis) return;
    measured = await runComparison({
      instances: 2,
      redisUrl: redis.url,
      flush: () => redis.flush(),
    }).finally(() => redis.close());
    print(measured);
  });

  test('as with one instance, but for the tokens aspnet keeps in the other process after a local sign-out', (t) => {
    if (!measured) return t.skip('redis-server is not installed (see the message above)');
    const twoInstances = {
      ...oneInstance,
      local: { ...oneInstance.local, aspnet: stranded },
    };
    assertCells(measured, twoInstances, scenarioNames);
  });
});

/**
 * What the 2019 cells of identity-web-today rest on, request by request: ASP.NET Core's
 * RemoteSignOut signs out the session of the request's cookie, and only if its `sid` is the one
 * named; the tokens stay.
 */
test("identity-web-today's /signout-oidc: only the cookie's own session, if of that sid; never a token", async () => {
  const env = await startSamples([], { apps: [identityWebToday] });
  try {
    const app = env.instances[identityWebToday.registration.name]![0]!;
    const user = env.emulator.users[0]!;
    const browser = new Browser('2019');
    await browser.signIn(app.url + app.routes.links.signIn, user.userPrincipalName, env.password);
    await browser.get(app.url + app.routes.links.api.href);
    const sid = await ssoSid(browser, env.emulator);
    const signedIn = async () =>
      (await browser.get(`${app.url}/`)).html.includes(`id="signed-in-user">`);
    const frontChannel = `${app.url}${identityWebToday.registration.frontChannelLogoutPath}`;

    // Another sid, with the cookie; the right sid, without it: nobody is signed out.
    assert.equal((await browser.request(`${frontChannel}?sid=${crypto.randomUUID()}`)).status, 200);
    assert.equal((await fetch(`${frontChannel}?sid=${sid}`)).status, 200);
    assert.ok(await signedIn());

    // The right sid, with the cookie: that session ends; the user's tokens stay in the cache.
    assert.equal((await browser.request(`${frontChannel}?sid=${sid}`)).status, 200);
    assert.equal(await signedIn(), false);
    assert.equal(await tokensLeft(app, user.userPrincipalName), 3);
  } finally {
    await env.close();
  }
});

/**
 * A service a sample depends on stops answering while a user is signed in: the sample says which
 * one, at which address, keeps the page consistent with the session (still signed in, no "Sign
 * in" link), and works again as soon as the service is back. When what comes back no longer
 * accepts the cached tokens, the sample renews them once, or drops them and asks for a sign-in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser, parseForm } from './helpers/browser.ts';
import {
  cacheSummary,
  startBehindProxy,
  startEnvironment,
  type TestEnvironment,
} from './helpers/environment.ts';
import type { FaultyProxy } from './helpers/faulty-proxy.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const { api: profilePath, signIn: signInPath } = SAMPLE_ROUTES.aspnetcore;

/** What the error page says, and what its header shows. */
function errorPage(html: string) {
  return {
    title: /<h1 id="error-title">([^<]*)<\/h1>/.exec(html)?.[1],
    message: /<p id="error-message">([^<]*)<\/p>/.exec(html)?.[1]?.replaceAll('&#39;', "'"),
    signedInAs: /id="signed-in-user">([^<]*)</.exec(html)?.[1],
    signInLink: html.includes(`href="${signInPath}"`),
    tryAgain: /<a id="try-again" href="([^"]*)">/.exec(html)?.[1],
  };
}

describe('the Graph-like API fails, then comes back', () => {
  let env: TestEnvironment;
  let graph: FaultyProxy;
  let close: () => Promise<void>;
  let browser: Browser;
  let user: string;
  before(async () => {
    // The sample reaches the Graph-like API through a proxy that makes it fail on demand; calls
    // time out after one second.
    ({
      env,
      proxy: graph,
      close,
    } = await startBehindProxy(['aspnetcore'], 'graph', {
      env: { OUTBOUND_TIMEOUT_SECONDS: '1' },
    }));
    browser = new Browser();
    user = env.emulator.users[0]!.userPrincipalName;
    await browser.signIn(env.sample.url + signInPath, user, env.password);
    assert.equal((await browser.get(env.sample.url + profilePath)).status, 200);
  });
  after(() => close());

  /**
   * The profile page while the API fails: 503, what happened, the user still signed in; then,
   * the API back (`restore`), the page works again.
   */
  async function unavailable(reason: string, restore = async () => {}) {
    const down = await browser.get(env.sample.url + profilePath);
    assert.equal(down.status, 503);
    assert.equal(down.headers.get('cache-control'), 'no-store');
    assert.deepEqual(errorPage(down.html), {
      title: 'The API is not available',
      message: `This page needs the API at ${graph.url}, which ${reason}. Nothing was lost: try again in a moment.`,
      signedInAs: user,
      signInLink: false,
      tryAgain: profilePath,
    });
    await restore();
    const back = await browser.get(env.sample.url + profilePath);
    assert.equal(back.status, 200);
    assert.match(back.html, new RegExp(`id="signed-in-user">${user}<`));
  }

  test('refusing connections: 503 naming the API, the user still signed in; then it works again', async () => {
    await graph.stop();
    const asJson = await browser.request(env.sample.url + profilePath, {
      headers: { Accept: 'application/json' },
    });
    assert.equal(asJson.status, 503);
    assert.equal(((await asJson.json()) as { error: string }).error, 'The API is not available');
    await unavailable('refused the connection (is it running?)', () => graph.start());
  });

  test('closing the connection without an answer', async () => {
    graph.next('reset');
    await unavailable('closed the connection before answering');
  });

  test('slower than the timeout: the page answers within it, and says so', async () => {
    graph.next('hang');
    const started = Date.now();
    await unavailable('did not answer in time');
    assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
  });

  test('busy (429) or failing (503): not available, try again later', async () => {
    graph.next({ status: 503, body: { error: { code: 'serviceNotAvailable' } } });
    await unavailable('answered 503');
    graph.next({ status: 429, body: { error: { code: 'TooManyRequests' } } });
    await unavailable('answered 429');
  });
});

describe('the identity platform stops answering while a token must be refreshed', () => {
  let env: TestEnvironment;
  before(async () => {
    // Access tokens inside msal's 5-minute margin: every API call needs the token endpoint.
    env = await startEnvironment('python', { emulator: { accessTokenLifetimeSeconds: 60 } });
  });
  after(() => env.close());

  test('503 naming the identity platform and its address, the user still signed in', async () => {
    const browser = new Browser();
    const user = env.emulator.users[1]!.userPrincipalName;
    await browser.signIn(env.sample.url + SAMPLE_ROUTES.python.signIn, user, env.password);
    assert.equal((await browser.get(env.sample.url + SAMPLE_ROUTES.python.api)).status, 200);

    await env.emulator.close();
    const down = await browser.get(env.sample.url + SAMPLE_ROUTES.python.api);
    assert.equal(down.status, 503);
    const page = errorPage(down.html);
    assert.equal(page.title, 'The identity platform is not available');
    assert.match(
      page.message ?? '',
      new RegExp(
        `needs the identity platform at ${env.emulator.identityUrl}, which refused the connection \\(is it running\\?\\)`,
      ),
    );
    assert.equal(page.signedInAs, user);
    assert.equal(page.tryAgain, SAMPLE_ROUTES.python.api);
    const home = await browser.get(`${env.sample.url}/`);
    assert.match(home.html, new RegExp(`id="signed-in-user">${user}<`), 'still signed in');
  });
});

describe('the API refuses an access token the cache still holds as valid', () => {
  let env: TestEnvironment;
  let graph: FaultyProxy;
  let close: () => Promise<void>;
  // Graph's answer to a token signed with a key it no longer trusts.
  const invalidToken = {
    status: 401,
    body: {
      error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' },
    },
  };
  before(async () => {
    ({ env, proxy: graph, close } = await startBehindProxy(['aspnetcore'], 'graph'));
  });
  after(() => close());

  const refreshes = () =>
    env.emulator.tokenRequests.filter((request) => request.grantType === 'refresh_token').length;

  test('gets a new access token with the refresh token, once, and the page works', async () => {
    const browser = new Browser();
    await browser.signIn(
      env.sample.url + signInPath,
      env.emulator.users[0]!.userPrincipalName,
      env.password,
    );
    const before = refreshes();
    graph.next(invalidToken);
    const page = await browser.get(env.sample.url + profilePath);
    assert.equal(page.status, 200);
    assert.equal(refreshes(), before + 1, 'one refresh, after the 401');
  });

  test('a second refusal, with the new token too, is the API failing: 502, and no loop', async () => {
    const browser = new Browser();
    await browser.signIn(
      env.sample.url + signInPath,
      env.emulator.users[1]!.userPrincipalName,
      env.password,
    );
    const before = refreshes();
    graph.next(invalidToken, 2);
    const page = await browser.get(env.sample.url + profilePath);
    assert.equal(page.status, 502);
    assert.equal(errorPage(page.html).title, 'The API call failed');
    assert.equal(refreshes(), before + 1);
  });
});

describe('node: the API fails, or refuses the copy of the access token kept in the session', () => {
  const node = SAMPLE_ROUTES.node;
  let env: TestEnvironment;
  let graph: FaultyProxy;
  let close: () => Promise<void>;
  before(async () => {
    ({
      env,
      proxy: graph,
      close,
    } = await startBehindProxy(['node'], 'graph', {
      env: { OUTBOUND_TIMEOUT_SECONDS: '1' },
    }));
  });
  after(() => close());

  const refreshes = () =>
    env.emulator.tokenRequests.filter((request) => request.grantType === 'refresh_token').length;
  async function signedIn(user: number) {
    const browser = new Browser();
    const name = env.emulator.users[user]!.userPrincipalName;
    await browser.signIn(env.sample.url + node.signIn, name, env.password);
    assert.equal((await browser.get(env.sample.url + node.acquireToken)).status, 200);
    return browser;
  }
  const invalidToken = { status: 401, body: { error: { code: 'InvalidAuthenticationToken' } } };

  test('a refused copy is renewed with the refresh token, once, and the page works', async () => {
    const browser = await signedIn(0);
    const before = refreshes();
    graph.next(invalidToken);
    const page = await browser.get(env.sample.url + node.api);
    assert.equal(page.status, 200);
    assert.equal(refreshes(), before + 1, 'one refresh, after the 401');
  });

  test('refused again, with the new copy too: 502, and no loop', async () => {
    const browser = await signedIn(1);
    const before = refreshes();
    graph.next(invalidToken, 2);
    const page = await browser.get(env.sample.url + node.api);
    assert.equal(page.status, 502);
    assert.equal(errorPage(page.html).title, 'The API call failed');
    assert.equal(refreshes(), before + 1);
  });

  test('an API that does not answer: 503 naming it, the user still signed in', async () => {
    const browser = await signedIn(2);
    graph.next('hang');
    const page = await browser.get(env.sample.url + node.api);
    assert.equal(page.status, 503);
    assert.equal(errorPage(page.html).title, 'The API is not available');
    assert.match(errorPage(page.html).message ?? '', new RegExp(`the API at ${graph.url}`));
    assert.equal(errorPage(page.html).signedInAs, env.emulator.users[2]!.userPrincipalName);
    assert.equal((await browser.get(env.sample.url + node.api)).status, 200);
  });
});

describe('the identity platform restarted: the tokens in the cache are worth nothing', () => {
  let env: TestEnvironment;
  before(async () => {
    env = await startEnvironment('aspnetcore');
  });
  after(() => env.close());

  test('the sample drops them and sends the user to sign in again, which works', async () => {
    const browser = new Browser();
    const user = env.emulator.users[2]!.userPrincipalName;
    await browser.signIn(env.sample.url + signInPath, user, env.password);
    assert.equal((await browser.get(env.sample.url + profilePath)).status, 200);

    // A new signing key (Graph: 401 for the cached access token) and no refresh token it knows
    // (invalid_grant for the cached one).
    await env.restartEmulator();
    const challenged = await browser.request(env.sample.url + profilePath);
    assert.equal(challenged.status, 302);
    assert.equal(
      challenged.headers.get('location'),
      `${signInPath}?redirectUri=${encodeURIComponent(profilePath)}`,
    );
    assert.deepEqual((await cacheSummary(env.sample.url)).accounts, [], 'the dead tokens are gone');
    const failed = env.emulator.tokenRequests.filter((request) => !request.ok);
    assert.deepEqual(
      failed.map((request) => request.grantType),
      ['refresh_token'],
    );

    const profile = await browser.signIn(
      `${env.sample.url}${signInPath}?redirectUri=${encodeURIComponent(profilePath)}`,
      user,
      env.password,
    );
    assert.equal(profile.status, 200);
    assert.match(profile.html, /Your profile/);
  });
});

describe('the identity platform hangs or fails while the sample redeems a code or refreshes a token', () => {
  let env: TestEnvironment;
  let identity: FaultyProxy;
  let close: () => Promise<void>;
  before(async () => {
    // Apps reach the emulator through a proxy that makes it fail on demand; access tokens inside
    // msal's 5-minute margin, so every API call needs the token endpoint; calls time out after
    // one second.
    ({
      env,
      proxy: identity,
      close,
    } = await startBehindProxy(['java'], 'identity', {
      env: { OUTBOUND_TIMEOUT_SECONDS: '1' },
      emulator: { accessTokenLifetimeSeconds: 60 },
    }));
  });
  after(() => close());

  const usersPath = SAMPLE_ROUTES.java.api;

  test('a token endpoint that hangs during sign-in: a 503 within the timeout, not a hang', async () => {
    const browser = new Browser();
    browser.autoSubmitForms = false;
    const formPost = await browser.signIn(
      env.sample.url + SAMPLE_ROUTES.java.signIn,
      env.emulator.users[0]!.userPrincipalName,
      env.password,
    );
    const form = parseForm(formPost.html, formPost.url);
    identity.next('hang');
    const started = Date.now();
    const page = await browser.post(form.action, form.fields);
    assert.equal(page.status, 503);
    assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
    assert.equal(errorPage(page.html).title, 'The identity platform is not available');
    assert.match(errorPage(page.html).message ?? '', /which did not answer in time/);
    assert.equal(errorPage(page.html).tryAgain, undefined, 'a sign-in response cannot be retried');
  });

  test('a token endpoint that hangs, or answers 503, during a refresh: 503, then it works again', async () => {
    const browser = new Browser();
    const user = env.emulator.users[1]!.userPrincipalName;
    await browser.signIn(env.sample.url + SAMPLE_ROUTES.java.signIn, user, env.password);
    assert.equal((await browser.get(env.sample.url + usersPath)).status, 200);

    for (const [fault, reason] of [
      ['hang', 'did not answer in time'],
      [{ status: 503, body: { error: 'temporarily_unavailable' } }, 'answered 503'],
    ] as const) {
      identity.next(fault);
      const down = await browser.get(env.sample.url + usersPath);
      assert.equal(down.status, 503);
      const page = errorPage(down.html);
      assert.equal(page.title, 'The identity platform is not available');
      assert.equal(
        page.message,
        `This page needs the identity platform at ${identity.url}, which ${reason}. Nothing was lost: try again in a moment.`,
      );
      assert.equal(page.signedInAs, user);
      assert.equal((await browser.get(env.sample.url + usersPath)).status, 200);
    }
  });
});

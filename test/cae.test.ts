/**
 * Continuous Access Evaluation end to end, over HTTP against the real emulator: one browser signed
 * in to `aspnetcore`, which declares `cp1` (CAE tokens of 24 hours), and to `aspnet`, which
 * declares nothing (ordinary tokens of an hour). After each critical event an administrator causes
 * (sessions revoked, account disabled, password reset), the Graph-like API challenges
 * aspnetcore's token at once (or once the propagation delay has passed): aspnetcore sends the user
 * to sign in with the challenge's claims, and that sign-in brings its page back, or, for a
 * disabled account, ends on a page that says so. aspnet goes on calling the API with its cached
 * token, whose `exp` (read from its cache inspector, not waited for) is still most of an hour
 * away. A challenge for an account the sample no longer knows is a sign-in again, never a 500;
 * one msal meets (an account disabled and enabled again: its refresh token works) is one refresh.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DemoUser } from '../emulator/types.ts';
import { Browser, parseForm } from './helpers/browser.ts';
import {
  cacheSummary,
  startBehindProxy,
  startSamples,
  type TestEnvironment,
} from './helpers/environment.ts';
import type { FaultyProxy } from './helpers/faulty-proxy.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const core = SAMPLE_ROUTES.aspnetcore;
const ordinary = SAMPLE_ROUTES.aspnet;

type Action = 'revokeSignInSessions' | 'disable' | 'enable' | 'resetPassword';

/** The administrator's action, as the emulator's page does it (a program on this machine). */
async function act(env: TestEnvironment, user: DemoUser, action: Action): Promise<number> {
  const response = await fetch(
    `${env.emulator.identityUrl}/${env.emulator.tenantId}/users/${user.oid}/${action}`,
    { method: 'POST', headers: { Accept: 'application/json' } },
  );
  assert.equal(response.status, 200, action);
  assert.equal(((await response.json()) as { value: unknown }).value, true);
  return Date.now();
}

const urlOf = (env: TestEnvironment, name: 'aspnetcore' | 'aspnet') =>
  env.samples[name]?.url ?? assert.fail(`${name} runs`);

/** The user's data on the app's API page: 200, a table. */
async function assertApiAnswers(browser: Browser, url: string, what: string) {
  const page = await browser.get(url);
  assert.equal(page.status, 200, `${what}: ${page.url}`);
  assert.equal(new URL(page.url).origin, new URL(url).origin, `${what}: stays on the app`);
  assert.match(page.html, /<table>/, what);
}

/** One browser signed in to both apps (aspnet through the SSO session), both APIs called. */
async function signedInToBoth(env: TestEnvironment, user: DemoUser, password = env.password) {
  const browser = new Browser();
  const first = await browser.signIn(
    urlOf(env, 'aspnetcore') + core.signIn,
    user.userPrincipalName,
    password,
  );
  assert.match(first.html, new RegExp(`id="signed-in-user">${user.userPrincipalName}<`));
  const second = await browser.signIn(urlOf(env, 'aspnet') + ordinary.signIn);
  assert.match(second.html, new RegExp(`id="signed-in-user">${user.userPrincipalName}<`));
  await assertApiAnswers(browser, urlOf(env, 'aspnetcore') + core.api, 'aspnetcore before');
  await assertApiAnswers(browser, urlOf(env, 'aspnet') + ordinary.api, 'aspnet before');
  return browser;
}

/**
 * aspnetcore's API page after the event: a redirect to its sign-in, which goes to the authorize
 * endpoint with the challenge's claims and cp1; its tokens for the user dropped. The authorize URL.
 */
async function challenged(env: TestEnvironment, browser: Browser, user: DemoUser, event: number) {
  const app = urlOf(env, 'aspnetcore');
  const refused = await browser.request(app + core.api);
  assert.equal(refused.status, 302, 'aspnetcore: sent to sign in again, not an error');
  const signIn = new URL(refused.headers.get('location') ?? '', app);
  assert.equal(signIn.pathname, core.signIn);
  const start = await browser.request(signIn.href);
  assert.equal(start.status, 302);
  const authorize = new URL(start.headers.get('location') ?? '');
  assert.equal(authorize.origin, new URL(env.emulator.identityUrl).origin);
  assert.match(authorize.pathname, /\/oauth2\/v2\.0\/authorize$/);
  const claims = JSON.parse(authorize.searchParams.get('claims') ?? '{}').access_token;
  assert.deepEqual(claims?.xms_cc, { values: ['cp1'] });
  // The challenge asks for a token issued no earlier than the event (in whole seconds).
  assert.equal(claims?.nbf?.essential, true);
  assert.ok(Number(claims?.nbf?.value) * 1000 >= event - 1000, JSON.stringify(claims));
  const account = (await cacheSummary(app)).accounts.find(
    (each) => each.username === user.userPrincipalName,
  );
  assert.equal((account?.accessTokens ?? 0) + (account?.refreshTokens ?? 0), 0, 'tokens dropped');
  return authorize.href;
}

/** aspnet's API page still answers, with a cached token whose `exp` is most of an hour away. */
async function ordinaryCallsOn(env: TestEnvironment, browser: Browser, user: DemoUser) {
  const app = urlOf(env, 'aspnet');
  const redeemed = env.emulator.tokenRequests.length;
  await assertApiAnswers(browser, app + ordinary.api, 'aspnet after the event');
  const account = (await cacheSummary(app)).accounts.find(
    (each) => each.username === user.userPrincipalName,
  );
  const expiries = account?.accessTokenTimes.map((times) => times.expiresOn) ?? [];
  assert.ok(expiries.length > 0, 'aspnet holds an access token');
  // An hour from when it was issued, seconds ago (msal keeps whole seconds: a second more, at most).
  const minutesLeft = (Math.max(...expiries) - Date.now()) / 60_000;
  assert.ok(minutesLeft > 55 && minutesLeft < 60 + 2 / 60, `${minutesLeft} minutes left`);
  // Served from the cache: no token request (the refresh token is refused by now, but unused).
  const clientId = env.samples.aspnet?.settings.sample.clientId ?? assert.fail('aspnet runs');
  const requests = env.emulator.tokenRequests.slice(redeemed);
  assert.deepEqual(
    requests.filter((request) => request.clientId === clientId),
    [],
  );
}

describe('CAE over HTTP: aspnetcore (cp1) stops at a critical event, aspnet (ordinary) calls on until exp', () => {
  let env: TestEnvironment;
  before(async () => {
    // The emulator's lifetimes: ordinary tokens of an hour, CAE tokens of 24 h; no delay.
    env = await startSamples(['aspnetcore', 'aspnet']);
  });
  after(() => env.close());

  const userAt = (index: number) => env.emulator.users[index] ?? assert.fail('a demo user');

  test('sessions revoked: aspnetcore sends the user to sign in with the claims, and is back on its page', async () => {
    const user = userAt(0);
    const browser = await signedInToBoth(env, user);
    const event = await act(env, user, 'revokeSignInSessions');
    const authorize = await challenged(env, browser, user, event);
    await ordinaryCallsOn(env, browser, user);
    // The SSO session ended with the revocation: the form, then the page.
    const page = await browser.signIn(authorize, user.userPrincipalName, env.password);
    assert.equal(page.status, 200);
    assert.equal(new URL(page.url).pathname, core.api);
    assert.match(page.html, /<table>/);
  });

  test('password reset: the old password refused, the new one (from the emulator page) brings aspnetcore back', async () => {
    const user = userAt(1);
    const browser = await signedInToBoth(env, user);
    const event = await act(env, user, 'resetPassword');
    // The JSON answer says nothing of the password; the emulator's page shows it.
    const admin = await new Browser().get(`${env.emulator.identityUrl}/`);
    const password =
      new RegExp(`id="password-${user.oid}">([^<]+)<`).exec(admin.html)?.[1] ??
      assert.fail('the new password on the emulator page');
    assert.notEqual(password, env.password);
    const authorize = await challenged(env, browser, user, event);
    await ordinaryCallsOn(env, browser, user);

    const form = await browser.get(authorize);
    assert.match(form.html, /name="passwd"/);
    const old = await browser.submitSignInForm(form, user.userPrincipalName, env.password);
    assert.match(old.html, /AADSTS50126/);
    const page = await browser.submitSignInForm(old, user.userPrincipalName, password);
    assert.equal(page.status, 200);
    assert.equal(new URL(page.url).pathname, core.api);
    assert.match(page.html, /<table>/);
  });

  test('account disabled: the sign-in with the claims ends on a page that says so; a code from before, on the app’s clear page', async () => {
    const user = userAt(2);
    const browser = await signedInToBoth(env, user);
    // Another browser's sign-in, its code issued before the account is disabled, not yet redeemed.
    const late = new Browser();
    late.autoSubmitForms = false;
    const form = await late.get(urlOf(env, 'aspnetcore') + core.signIn);
    const parsed = parseForm(form.html, form.url, (html) => html.includes('name="passwd"'));
    const button = Object.values(parsed.buttons)[0] ?? {};
    const answer = await late.requestForm(parsed.action, {
      ...parsed.fields,
      ...button,
      login: user.userPrincipalName,
      passwd: env.password,
    });

    const event = await act(env, user, 'disable');
    const authorize = await challenged(env, browser, user, event);
    await ordinaryCallsOn(env, browser, user);

    // The SSO session no longer signs a disabled account in: the form, which says why.
    const signInForm = await browser.get(authorize);
    assert.equal(signInForm.status, 200);
    const refused = await browser.submitSignInForm(
      signInForm,
      user.userPrincipalName,
      env.password,
    );
    assert.equal(refused.status, 200);
    assert.equal(new URL(refused.url).origin, new URL(env.emulator.identityUrl).origin);
    assert.match(refused.html, /AADSTS50057: The user account is disabled\./);
    // No loop: aspnetcore's page still sends the user to sign in, once, not a 500.
    const again = await browser.request(urlOf(env, 'aspnetcore') + core.api);
    assert.equal(again.status, 302);

    // The code issued before: the app's page says the account is disabled (a 400, not a 500).
    let landed: { status: number; html: string };
    const location = answer.headers.get('location');
    if (answer.status >= 300 && answer.status < 400 && location) {
      landed = await late.get(new URL(location, parsed.action).href);
    } else {
      const html = await answer.text();
      const post = parseForm(html, parsed.action);
      landed = await late.post(post.action, post.fields);
    }
    assert.equal(landed.status, 400);
    assert.match(landed.html, /Your account is disabled/);
  });
});

test('with a propagation delay of 2 s: aspnetcore calls the API within it, and is challenged after it', async () => {
  const env = await startSamples(['aspnetcore', 'aspnet'], {
    emulator: { criticalEventDelaySeconds: 2 },
  });
  try {
    const user = env.emulator.users[0] ?? assert.fail('a demo user');
    const browser = await signedInToBoth(env, user);
    const event = await act(env, user, 'revokeSignInSessions');
    await assertApiAnswers(browser, urlOf(env, 'aspnetcore') + core.api, 'within the delay');
    assert.ok(Date.now() - event < 2000, 'measured within the delay');
    await sleep(Math.max(0, event + 2100 - Date.now()));
    await challenged(env, browser, user, event);
    await ordinaryCallsOn(env, browser, user);
  } finally {
    await env.close();
  }
});

describe('CAE over HTTP, the API reached through a proxy that can hold a call', () => {
  let env: TestEnvironment;
  let proxy: FaultyProxy;
  let close: () => Promise<void>;
  before(async () => {
    ({ env, proxy, close } = await startBehindProxy(['aspnetcore'], 'graph'));
  });
  after(() => close());

  const userAt = (index: number) => env.emulator.users[index] ?? assert.fail('a demo user');
  const signedIn = async (user: DemoUser) => {
    const browser = new Browser();
    await browser.signIn(env.sample.url + core.signIn, user.userPrincipalName, env.password);
    await assertApiAnswers(browser, env.sample.url + core.api, 'before');
    return browser;
  };
  const tokensOf = async (user: DemoUser) => {
    const account = (await cacheSummary(env.sample.url)).accounts.find(
      (each) => each.username === user.userPrincipalName,
    );
    return (account?.accessTokens ?? 0) + (account?.refreshTokens ?? 0);
  };
  const refreshes = () =>
    env.emulator.tokenRequests.filter((request) => request.grantType === 'refresh_token');

  test('an account disabled and enabled again: its CAE token from before is challenged, msal meets the challenge with the refresh token, the page works', async () => {
    const user = userAt(1);
    const browser = await signedIn(user);
    await act(env, user, 'disable');
    await act(env, user, 'enable');
    const before = refreshes().length;
    await assertApiAnswers(browser, env.sample.url + core.api, 'after');
    assert.deepEqual(
      refreshes()
        .slice(before)
        .map((request) => request.ok),
      [true],
      'one refresh, with the claims',
    );
    const told = await env.emulator.events.after(0, 0, new AbortController().signal);
    assert.ok(told.some((event) => event.kind === 'cae-challenge'));
    // The new token is after the event: no second challenge.
    await assertApiAnswers(browser, env.sample.url + core.api, 'again');
    assert.equal(refreshes().length, before + 1);
  });

  test('a challenge for an account the sample no longer knows (signed out while the call was in flight), msal refused: sign in again, no 500, nothing left', async () => {
    const user = userAt(0);
    const app = env.sample.url;
    const browser = await signedIn(user);
    await act(env, user, 'revokeSignInSessions');
    // The API call is held at the proxy while the user signs out in another tab: the session and
    // the user's partition are gone when the real API's challenge comes back.
    const held = proxy.holdNext();
    const call = browser.request(app + core.api);
    await held.arrived;
    const signOut = await browser.request(app + core.signOut);
    assert.equal(signOut.status, 302);
    held.release();
    const answer = await call;
    assert.equal(answer.status, 302, 'sign in again, not an error');
    assert.equal(new URL(answer.headers.get('location') ?? '', app).pathname, core.signIn);
    assert.equal(await tokensOf(user), 0, 'nothing left');
    // The next sign-in works.
    const page = await browser.signIn(app + core.signIn, user.userPrincipalName, env.password);
    assert.match(page.html, new RegExp(`id="signed-in-user">${user.userPrincipalName}<`));
    await assertApiAnswers(browser, app + core.api, 'after');
  });

  test('the same, the challenge met with the refresh token after the sign-out: the call begun before it ends, and writes nothing back', async () => {
    const user = userAt(2);
    const app = env.sample.url;
    const browser = await signedIn(user);
    // Its CAE token stays refused, its refresh token works again.
    await act(env, user, 'disable');
    await act(env, user, 'enable');
    const before = refreshes().length;
    const held = proxy.holdNext();
    const call = browser.request(app + core.api);
    await held.arrived;
    assert.equal((await browser.request(app + core.signOut)).status, 302);
    held.release();
    const answer = await call;
    // Begun before the sign-out, it ends as it began: the user's data, once.
    assert.equal(answer.status, 200);
    assert.deepEqual(
      refreshes()
        .slice(before)
        .map((request) => request.ok),
      [true],
    );
    assert.equal(await tokensOf(user), 0, 'the renewed tokens are not written back');
    const home = await browser.get(`${app}/`);
    assert.doesNotMatch(home.html, /id="signed-in-user">/);
  });
});

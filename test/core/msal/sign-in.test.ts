/**
 * `shared/core/msal/sign-in.ts`: `OpenIdSignIn` in an app of the core alone (`test/core/harness.ts`)
 * against a real emulator. A sign-in completes with its state, nonce and PKCE; the user is in a new
 * session, indexed under their `sid`; their tokens are kept once that session is saved, never
 * before. A response this browser did not start, or an id token not for this app by this identity
 * platform, signs nobody in and keeps nothing. (Over HTTP in every sample: `test/sign-in.test.ts`.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import type { CoreEvent } from '../../../shared/core/events.ts';
import { Browser } from '../../helpers/browser.ts';
import { answerOf, type CoreApp, eventsOf, PASSWORD, secretsIn, useCoreApps } from '../harness.ts';

const mount = useCoreApps();

/** What the app holds after a test: sessions, and the accounts of its token cache. */
async function holds(app: CoreApp) {
  const { sessions } = await app.sessions.census();
  const { accounts } = await app.tokenCache.summary();
  return { sessions, accounts: accounts.length };
}

const signedInAs = async (app: CoreApp, browser: Browser) =>
  (await answerOf(await browser.request(`${app.url}/`))).user;

test('a complete sign-in: the user in a new session, indexed under their sid; their tokens in their partition, written after the session', async (t) => {
  const app = await mount();
  const events = eventsOf(t, app.name);
  const browser = new Browser();
  const page = await app.signIn(browser, { responseMode: 'form_post', returnTo: '/?from=home' });
  assert.equal(page.status, 200);
  assert.equal(page.url, `${app.url}/?from=home`, 'back where the sign-in was asked for');

  const adele = app.emulator.users[0]!;
  const session = await app.sessionOf(browser);
  const user = session?.user;
  assert.equal(user?.username, adele.userPrincipalName);
  assert.equal(user?.sid, await app.ssoSid(browser), "the identity platform session's sid");
  assert.equal(user?.issuer, app.emulator.issuer);
  assert.ok(user?.loginHint, 'login_hint kept, for logout_hint');
  assert.deepEqual(await app.sessions.usersOf(user.sid), [user.homeAccountId]);
  assert.equal(session?.tokenCache, undefined, 'no tokens in the session: they are in a partition');

  // The partition holds this user's tokens, and was written after the session (and its sid index).
  const partitionKey = app.partitionKey(user.homeAccountId);
  const partition = await app.store.get(partitionKey);
  assert.equal(secretsIn(partition).length, 3, 'an access, a refresh and an id token');
  // The session's key ends with its id's random part (`Sessions.newId`).
  const [random] = ((await app.sessionKeyOf(browser)) ?? '').split('@');
  const sessionKey = app.store.written.find(
    (key) => key.startsWith(`${app.name}:session:`) && key.endsWith(`:${random}`),
  );
  const order = app.store.written.filter((key) => key === sessionKey || key === partitionKey);
  // (koa-session's own commit at the end of the request writes the same session once more.)
  assert.deepEqual(order.slice(0, 2), [sessionKey, partitionKey]);

  assert.deepEqual(
    events.map((event) => event.type),
    ['sign-in-started', 'signed-in'],
  );
  assert.deepEqual(events[1], {
    type: 'signed-in',
    app: app.name,
    user: { homeAccountId: user.homeAccountId, username: user.username, sid: user.sid },
    tokensKeptIn: 'a partition',
  } satisfies CoreEvent);
});

test('with the cache in the session, the tokens are saved in the new session itself, in the same write', async (t) => {
  const app = await mount({ tokenCache: 'session' });
  const events = eventsOf(t, app.name);
  const browser = new Browser();
  await app.signIn(browser);
  const session = await app.sessionOf(browser);
  assert.equal(secretsIn(session?.tokenCache).length, 3);
  assert.ok(
    app.store.written.every((key) => !key.includes(':msal:')),
    'no partition of its own',
  );
  assert.equal(events.find((event) => event.type === 'signed-in')?.app, app.name);
  assert.deepEqual(
    events.flatMap((event) => (event.type === 'signed-in' ? [event.tokensKeptIn] : [])),
    ['the session'],
  );
});

test('the authorize request carries state, nonce and an S256 PKCE challenge; the id token the nonce', async () => {
  const app = await mount();
  const browser = new Browser();
  const start = await browser.request(`${app.url}/sign-in`);
  const authorize = new URL(start.headers.get('location') ?? '');
  const asked = Object.fromEntries(authorize.searchParams);
  assert.equal(authorize.origin, app.provider.origin);
  assert.match(asked.state ?? '', /^[\w-]{43}$/);
  assert.match(asked.nonce ?? '', /^[\w-]{43}$/);
  assert.match(asked.code_challenge ?? '', /^[\w-]{43}$/);
  assert.equal(asked.code_challenge_method, 'S256');
  // The transaction travels with the browser, sealed: neither state nor nonce in clear.
  const cookies = await browser.jar.getCookieString(`${app.url}/signin-oidc`);
  for (const secret of [asked.state, asked.nonce]) assert.ok(!cookies.includes(secret ?? '?'));

  await browser.signIn(authorize.href, app.emulator.users[0]!.userPrincipalName, PASSWORD);
  const user = (await app.sessionOf(browser))?.user;
  const partition = await app.store.get(app.partitionKey(user?.homeAccountId));
  const [idToken] = secretsIn(partition, ['IdToken']);
  assert.equal(decodeJwt(idToken ?? '').nonce, asked.nonce);
});

test('a response with a wrong or no state, or replayed, is refused: nobody signed in, nothing kept; the sign-in in progress still completes', async (t) => {
  const app = await mount();
  const events = eventsOf(t, app.name);
  const browser = new Browser();
  const answer = await app.signInUntilAnswer(browser);
  assert.ok(answer.searchParams.get('code'));

  for (const state of ['wrong-state', undefined]) {
    const tampered = new URL(answer);
    if (state) tampered.searchParams.set('state', state);
    else tampered.searchParams.delete('state');
    const refused = await browser.request(tampered.href);
    assert.equal(refused.status, 400);
    assert.equal((await answerOf(refused)).error, 'SignInError');
  }
  assert.deepEqual(await holds(app), { sessions: 0, accounts: 0 });
  assert.equal(await signedInAs(app, browser), null);

  // The true answer still completes the sign-in in progress: a wrong one did not consume it.
  const accepted = await browser.request(answer.href);
  assert.equal(accepted.status, 302);
  assert.equal(await signedInAs(app, browser), app.emulator.users[0]!.userPrincipalName);
  // Replayed: its transaction served once.
  assert.equal((await browser.request(answer.href)).status, 400);
  assert.deepEqual(await holds(app), { sessions: 1, accounts: 1 });

  const failures = events.flatMap((event) =>
    event.type === 'sign-in-failed' ? [event.reason] : [],
  );
  assert.equal(failures.length, 3);
  assert.match(failures[0] ?? '', /its state is wrong/);
  assert.match(failures[2] ?? '', /already used/);
});

test("a code redeemed with another sign-in's PKCE verifier is refused (an injected code)", async () => {
  const app = await mount();
  // The victim starts a sign-in; the attacker gets a code of their own and sends it to the victim's
  // browser with the victim's state: the code is bound to the attacker's challenge.
  const victim = new Browser();
  const started = await victim.request(`${app.url}/sign-in`);
  const victimState = new URL(started.headers.get('location') ?? '').searchParams.get('state');
  const attackers = await app.signInUntilAnswer(new Browser(), {
    user: app.emulator.users[1]!.userPrincipalName,
  });
  const injected = new URL(attackers);
  injected.searchParams.set('state', victimState ?? '');
  const refused = await victim.request(injected.href);
  assert.equal(refused.status, 400);
  assert.match((await answerOf(refused)).message ?? '', /refused to redeem the authorization code/);
  assert.deepEqual(await holds(app), { sessions: 0, accounts: 0 });
});

test('an id token for another app, or from another issuer than discovery said, is refused; nothing is kept', async (t) => {
  const variants = {
    'another audience': { settings: { clientId: '00000000-0000-4000-8000-00000000beef' } },
    'another issuer': {
      provider: (discovered: CoreApp['provider']) => ({
        ...discovered,
        configuration: { ...discovered.configuration, issuer: 'https://elsewhere.example/v2.0' },
      }),
    },
  };
  for (const [what, options] of Object.entries(variants)) {
    const app = await mount(options);
    const events = eventsOf(t, app.name);
    const browser = new Browser();
    const answer = await app.signInUntilAnswer(browser);
    const refused = await browser.request(answer.href);
    assert.equal(refused.status, 400, what);
    assert.match((await answerOf(refused)).message ?? '', /not issued for this app/, what);
    assert.deepEqual(await holds(app), { sessions: 0, accounts: 0 }, what);
    assert.deepEqual(
      events.map((event) => event.type),
      ['sign-in-started', 'sign-in-failed'],
      what,
    );
  }
});

test('the return path is local: another origin becomes /, a local path is kept', async (t) => {
  const app = await mount();
  const events = eventsOf(t, app.name);
  const cases = [
    ['//evil.example', '/'],
    ['https://evil.example/', '/'],
    ['/profile?tab=mail', '/profile?tab=mail'],
  ];
  for (const [returnTo, expected] of cases) {
    const browser = new Browser();
    const answer = await app.signInUntilAnswer(browser, { returnTo, prompt: 'login' });
    const completed = await browser.request(answer.href);
    assert.equal(completed.status, 302);
    assert.equal(completed.headers.get('location'), expected, returnTo);
  }
  const started = events.filter((event) => event.type === 'sign-in-started');
  assert.deepEqual(started[0], {
    type: 'sign-in-started',
    app: app.name,
    responseMode: 'query',
    prompt: 'login',
  } satisfies CoreEvent);
});

test('a disabled account (AADSTS50057): the sign-in failure says so plainly; nothing kept', async (t) => {
  const app = await mount();
  const events = eventsOf(t, app.name);
  const browser = new Browser();
  const answer = await app.signInUntilAnswer(browser);
  const refusal = new URL(answer);
  refusal.searchParams.delete('code');
  refusal.searchParams.set('error', 'access_denied');
  refusal.searchParams.set(
    'error_description',
    'AADSTS50057: The user account is disabled. Trace ID: 1 Correlation ID: 2',
  );
  const refused = await browser.request(refusal.href);
  assert.equal(refused.status, 400);
  const body = await answerOf(refused);
  assert.equal(body.error, 'SignInError');
  assert.match(body.message ?? '', /Your account is disabled/);
  assert.deepEqual(await holds(app), { sessions: 0, accounts: 0 });
  const failed = events.find((event) => event.type === 'sign-in-failed');
  assert.match(failed?.type === 'sign-in-failed' ? failed.reason : '', /account is disabled/);
});

/**
 * A sign-out wins over every request in flight for the same session, in every sample; signing
 * in again while signed in keeps the user signed in; and once users have signed out, nothing of
 * theirs is left: no session, no `sid` record, no token.
 *
 * The races are made deterministic by holding a real request at a real proxy in front of the
 * Graph-like API (after the sample has refreshed the token in it) while the sign-out happens.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Koa from 'koa';
import type { SampleName } from '../samples/index.ts';
import { sessionMiddleware } from '../shared/core/session/session-middleware.ts';
import { Sessions } from '../shared/core/session/sessions.ts';
import { MemoryStore } from '../shared/core/store/key-value-store.ts';
import { Browser, parseForm } from './helpers/browser.ts';
import {
  cacheSummary,
  ssoSid,
  startBehindProxy,
  type TestEnvironment,
} from './helpers/environment.ts';
import type { FaultyProxy } from './helpers/faulty-proxy.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const routes = SAMPLE_ROUTES;
const names = Object.keys(routes) as SampleName[];

let env: TestEnvironment;
let graph: FaultyProxy;
let close: () => Promise<void>;
before(async () => {
  // Access tokens inside msal's 5-minute margin: every API call refreshes, and the samples that
  // keep the cache in the session change the session in it.
  ({
    env,
    proxy: graph,
    close,
  } = await startBehindProxy(names, 'graph', {
    emulator: { accessTokenLifetimeSeconds: 60 },
  }));
});
after(() => close());

const url = (name: SampleName, path: string) => env.samples[name]!.url + path;
const isSignedIn = async (browser: Browser, name: SampleName) =>
  /id="signed-in-user"/.test((await browser.get(url(name, '/'))).html);

/** A new browser signed in to `name` (through the SSO session of `sso`, if given). */
async function signedIn(name: SampleName, userIndex: number, sso?: Browser): Promise<Browser> {
  const browser = sso ?? new Browser();
  const user = env.emulator.users[userIndex]!.userPrincipalName;
  await browser.signIn(url(name, routes[name].signIn), ...(sso ? [] : [user, env.password]));
  assert.ok(await isSignedIn(browser, name), `${name}: signed in`);
  return browser;
}

describe('signing in again while signed in', () => {
  for (const name of names) {
    test(`${name}: keeps the user signed in, with one session and their tokens`, async () => {
      const browser = await signedIn(name, 0);
      assert.equal((await browser.get(url(name, routes[name].api))).status, 200);
      // The sign-in route again (java's shows its page to a signed-in user: start a new sign-in
      // there by asking for the account picker anyway, as a person would by signing in again).
      await browser.signIn(url(name, routes[name].signIn));
      assert.ok(await isSignedIn(browser, name), 'still signed in');
      assert.equal((await browser.get(url(name, routes[name].api))).status, 200);
      const summary = await cacheSummary(env.samples[name]!.url);
      assert.equal(summary.sessions, 1);
      assert.equal(summary.refreshTokens, 1);
      await browser.get(url(name, routes[name].signOut));
    });
  }

  test('python: a request in flight when the user signed in again does not put the old session cookie back', async () => {
    const browser = await signedIn('python', 0);
    const held = graph.holdNext();
    const inFlight = browser.request(url('python', routes.python.api));
    await held.arrived;
    await browser.signIn(url('python', routes.python.signIn)); // a new session, a new key
    held.release();
    const answer = await inFlight;
    assert.equal(answer.status, 200);
    // The old session was ended by the new sign-in: the request saved nothing, and set no cookie.
    assert.doesNotMatch(answer.headers.getSetCookie().join('\n'), /python\.session=/);
    assert.ok(await isSignedIn(browser, 'python'), 'the browser keeps the new session');
    assert.equal((await cacheSummary(env.samples.python!.url)).sessions, 1);
    await browser.get(url('python', routes.python.signOut));
  });

  test('aspnetcore: another browser of the same user signed out; this one signs in again and is signed in', async () => {
    const first = await signedIn('aspnetcore', 1);
    const second = await signedIn('aspnetcore', 1);
    // The partition is the user's: signing out in the second browser empties it for the first.
    await second.get(url('aspnetcore', routes.aspnetcore.signOut));
    assert.ok(await isSignedIn(first, 'aspnetcore'), 'the first browser is still signed in');
    // Its API page needs a token: it sends the first browser through sign-in (SSO), which works.
    const api = await first.get(url('aspnetcore', routes.aspnetcore.api));
    assert.equal(api.status, 200);
    assert.match(api.html, /Your profile/);
    assert.ok(await isSignedIn(first, 'aspnetcore'));
    await first.get(url('aspnetcore', routes.aspnetcore.signOut));
  });
});

describe('a sign-out during a request in flight for the same session', () => {
  for (const name of ['java', 'node', 'python'] as const) {
    test(`${name}: the request in flight does not save the session, or its cache, back`, async () => {
      const browser = await signedIn(name, 2);
      const cookies = await browser.jar.getCookieString(env.samples[name]!.url);

      // The API call refreshes the token into the session, then waits at the proxy...
      const held = graph.holdNext();
      const inFlight = browser.request(url(name, routes[name].api));
      await held.arrived;
      // ...while the user signs out, in another tab of the same browser.
      await browser.request(url(name, routes[name].signOut));
      held.release();
      assert.equal((await inFlight).status, 200, 'the request in flight completes');

      // The old cookie signs nobody in, and the cache holds nothing of the user.
      const replay = await fetch(url(name, '/'), {
        headers: { cookie: cookies },
        redirect: 'manual',
      });
      assert.doesNotMatch(await replay.text(), /id="signed-in-user"/);
      const summary = await cacheSummary(env.samples[name]!.url);
      assert.deepEqual([summary.accounts, summary.sessions, summary.sids], [[], 0, 0]);
    });
  }
});

describe('with the identity platform behind a proxy: a refresh in flight, a sign-in that fails', () => {
  let own: TestEnvironment;
  let identity: FaultyProxy;
  let closeOwn: () => Promise<void>;
  before(async () => {
    // Here the identity platform is behind the proxy: the refresh itself is held.
    ({
      env: own,
      proxy: identity,
      close: closeOwn,
    } = await startBehindProxy(['aspnetcore', 'python'], 'identity', {
      emulator: { accessTokenLifetimeSeconds: 60 },
    }));
  });
  after(() => closeOwn());

  test('aspnetcore: a front-channel sign-out during a token refresh: the tokens are not written back, the session does not come back', async () => {
    const sample = own.sample.url;
    const browser = new Browser();
    await browser.signIn(
      sample + routes.aspnetcore.signIn,
      own.emulator.users[0]!.userPrincipalName,
      own.password,
    );
    const sid = await ssoSid(browser, own.emulator);

    // The API call opens the user's partition and asks for a new access token, which waits...
    const held = identity.holdNext();
    const inFlight = browser.request(sample + routes.aspnetcore.api);
    await held.arrived;
    // ...while the user signs out elsewhere: the identity platform loads the front-channel URL.
    assert.equal(
      (await fetch(`${sample}${routes.aspnetcore.frontChannel}?sid=${sid}`)).status,
      200,
    );
    held.release();
    assert.equal((await inFlight).status, 200, 'the request in flight completes');

    assert.equal(/id="signed-in-user"/.test((await browser.get(`${sample}/`)).html), false);
    const summary = await cacheSummary(sample);
    assert.deepEqual([summary.accounts, summary.sessions, summary.sids], [[], 0, 0]);
  });

  for (const name of ['aspnetcore', 'python'] as const) {
    test(`${name}: signing in again when the code cannot be redeemed leaves the user signed in, with their tokens`, async () => {
      const sample = own.samples[name]!.url;
      const user = own.emulator.users[1]!.userPrincipalName;
      const browser = new Browser();
      await browser.signIn(sample + routes[name].signIn, user, own.password);
      assert.equal((await browser.get(sample + routes[name].api)).status, 200);

      // Sign in again: the identity platform's token endpoint is down when the code comes back.
      let callback: { url: string; init: RequestInit };
      if (name === 'python') {
        // Query mode: follow the link and the identity platform's redirect, up to the callback.
        const start = await browser.request(sample + routes.python.loginStart);
        const authorize = await browser.request(start.headers.get('location')!);
        callback = {
          url: new URL(authorize.headers.get('location')!, sample).href,
          init: { method: 'GET' },
        };
      } else {
        browser.autoSubmitForms = false;
        const formPost = await browser.signIn(sample + routes[name].signIn);
        browser.autoSubmitForms = true;
        const form = parseForm(formPost.html, formPost.url);
        callback = {
          url: form.action,
          init: {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(form.fields).toString(),
          },
        };
      }
      identity.next({ status: 503, body: { error: 'temporarily_unavailable' } });
      const failed = await browser.navigate(callback.url, callback.init);
      assert.equal(failed.status, 503);
      assert.match(failed.html, new RegExp(`id="signed-in-user">${user}<`));

      // Nothing was lost: still signed in, and the API still works with the cached tokens.
      assert.match(
        (await browser.get(`${sample}/`)).html,
        new RegExp(`id="signed-in-user">${user}<`),
      );
      assert.equal((await browser.get(sample + routes[name].api)).status, 200);
      await browser.get(sample + routes[name].signOut);
    });
  }

  test('aspnetcore: signing in again, completing after the identity platform ended the sid, starts no session and keeps no token', async () => {
    const sample = own.samples.aspnetcore!.url;
    const browser = new Browser();
    await browser.signIn(
      sample + routes.aspnetcore.signIn,
      own.emulator.users[2]!.userPrincipalName,
      own.password,
    );
    // Signing in again (SSO, the same sid): the code is issued...
    browser.autoSubmitForms = false;
    const formPost = await browser.signIn(sample + routes.aspnetcore.signIn);
    browser.autoSubmitForms = true;
    const form = parseForm(formPost.html, formPost.url);
    // ...then the user signs out everywhere, and the identity platform loads the sample's
    // front-channel URL for that sid...
    assert.equal(
      (await fetch(`${sample}${routes.aspnetcore.frontChannel}?sid=${form.fields.session_state}`))
        .status,
      200,
    );
    // ...and only then does the sign-in response arrive: too late, that sid is over.
    const page = await browser.post(form.action, form.fields);
    assert.equal(page.status, 400);
    assert.match(
      page.html,
      /signed out of the identity platform while this sign-in was completing/,
    );
    assert.doesNotMatch((await browser.get(`${sample}/`)).html, /id="signed-in-user"/);
    // Nothing of the refused sign-in is kept: its code was redeemed, but its tokens never reached
    // the user's partition, where no sign-out could have found them.
    const summary = await cacheSummary(sample);
    assert.deepEqual(
      [summary.sessions, summary.sids, summary.accounts.length, summary.refreshTokens],
      [0, 0, 0, 0],
    );
  });
});

test('koa-session renewing a session on its way out does not bring an ended session back', async () => {
  // A session past half its lifetime is saved again at the end of any request (koa-session's
  // `renew`). The session here is made to look old (its stored expiry one hour away, of eight);
  // its sid is ended while a request for it runs.
  const sessions = new Sessions(new MemoryStore(), 'renew:', 'renew');
  const app = new Koa();
  app.keys = ['a-test-key-of-at-least-thirty-two-chars'];
  let entered = () => {};
  let release = () => {};
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  app.use(sessionMiddleware(app, { cookieName: 'renew', sessions, secure: false }));
  app.use(async (ctx) => {
    if (ctx.path === '/sign-in') {
      ctx.session!.user = {
        homeAccountId: 'uid.utid',
        name: 'N',
        username: 'n@example',
        sid: 'sid-1',
        issuer: 'https://issuer.example',
      };
    } else if (ctx.path === '/slow') {
      entered();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    }
    ctx.body = ctx.session?.user ? 'signed in' : 'anonymous';
  });
  const server = createServer(app.callback()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = new Browser();
    await browser.get(`${base}/sign-in`);
    const key = (await browser.jar.getCookies(base)).find(
      (cookie) => cookie.key === 'renew',
    )?.value;
    const stored = await sessions.get(key ?? '');
    assert.ok(key && stored, 'signed in');
    await sessions.save(
      key,
      { ...stored, _expire: Date.now() + 3_600_000 } as typeof stored,
      28_800,
      Date.now(),
    );

    const slow = browser.get(`${base}/slow`);
    await inside;
    await sessions.endBySid('sid-1');
    release();
    assert.equal((await slow).html, 'signed in', 'the request began signed in');
    const { sessions: left, sids } = await sessions.census();
    assert.deepEqual({ left, sids }, { left: 0, sids: 0 }, 'and renewed nothing back');
    assert.equal((await browser.get(`${base}/`)).html, 'anonymous');
  } finally {
    server.close();
  }
});

describe('what sign-outs leave behind', () => {
  test('after 20 users sign in and out of every sample, no session, sid or token is left', async () => {
    const users = env.emulator.users;
    for (let round = 0; round < 20; round += 1) {
      const browser = new Browser();
      const user = users[round % users.length]!.userPrincipalName;
      for (const [index, name] of names.entries()) {
        await browser.signIn(
          url(name, routes[name].signIn),
          ...(index === 0 ? [user, env.password] : []),
        );
        assert.equal((await browser.get(url(name, routes[name].api))).status, 200);
      }
      // Half sign out locally in every sample; the other half sign out in python first, which
      // tells aspnetcore (front-channel); the others then sign out locally too.
      const pythonFirst = ['python', ...names.filter((name) => name !== 'python')] as const;
      for (const name of round % 2 === 0 ? names : pythonFirst) {
        await browser.get(url(name, routes[name].signOut));
      }
    }
    for (const name of names) {
      const summary = await cacheSummary(env.samples[name]!.url);
      assert.deepEqual(
        {
          accounts: summary.accounts.length,
          tokens: summary.refreshTokens,
          sessions: summary.sessions,
          sids: summary.sids,
        },
        { accounts: 0, tokens: 0, sessions: 0, sids: 0 },
        name,
      );
    }
  });

  test('a sign-out by someone who was never signed in leaves nothing, not even a marker', async () => {
    for (const name of names) {
      const before = (await cacheSummary(env.samples[name]!.url)).removalMarkers;
      for (let visit = 0; visit < 50; visit += 1) {
        const response = await fetch(url(name, routes[name].signOut), { redirect: 'manual' });
        assert.equal(response.status, 302);
      }
      assert.equal((await cacheSummary(env.samples[name]!.url)).removalMarkers, before, name);
    }
  });

  test("python's login page, shown to anonymous visitors, keeps nothing on the server", async () => {
    for (let visit = 0; visit < 50; visit += 1) {
      const page = await fetch(url('python', '/'), { redirect: 'follow' });
      assert.match(await page.text(), /id="sign-in-link"/);
    }
    assert.equal((await cacheSummary(env.samples.python!.url)).sessions, 0);
  });
});

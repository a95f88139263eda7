/**
 * `shared/core/session/session-middleware.ts` in a Koa app of its own: the cookie holds only a
 * signed key; a session ended while a request of it runs is not saved again by that request, nor
 * its cookie set again; the request knows until when its session lives; and on the front-channel
 * logout path alone, a store that does not answer reads as no session.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Koa from 'koa';
import { ServiceUnavailableError } from '../../../shared/core/errors.ts';
import { Sessions } from '../../../shared/core/session/sessions.ts';
import { Browser } from '../../helpers/browser.ts';
import { answerOf, serve, sessionKoa, sessionUser } from '../harness.ts';
import { SlotCheckingStore } from '../slot-checking-store.ts';

const SID = 'sid-1';
const COOKIE = 'app.session';

/** A store that can stop answering (Redis down), or fail otherwise. */
class UnreliableStore extends SlotCheckingStore {
  failure: Error | undefined;

  override async get(key: string): Promise<string | undefined> {
    if (this.failure) throw this.failure;
    return super.get(key);
  }
}

/**
 * An app with the session middleware and four routes: `/sign-in-as?user=` puts a user of `sid-1`
 * in the session; `/` says who is signed in; `/slow` changes the session, then waits for the test
 * (`release()`) before it answers; `/fc` is the front-channel logout path.
 */
async function sessionApp(t: { after(fn: () => Promise<void>): void }, maxAgeMs?: number) {
  const store = new UnreliableStore();
  const sessions = new Sessions(store, 'app:', 'app');
  const { koa, requests } = sessionKoa({
    keys: ['a-cookie-signing-key-of-32-chars!!'],
    cookieName: COOKIE,
    sessions,
    frontChannelLogoutPath: '/fc',
    ...(maxAgeMs ? { maxAgeMs } : {}),
  });
  let entered = deferred();
  let gate = deferred();
  let slowRequests = 0;
  koa.use(async (ctx: Koa.Context) => {
    const session = ctx.session;
    if (ctx.path === '/sign-in-as' && session) {
      session.user = sessionUser(String(ctx.query.user), SID);
    } else if (ctx.path === '/slow' && session) {
      slowRequests += 1;
      session.tokenCache = `changed by slow request ${slowRequests}`;
      entered.resolve();
      await gate.promise;
    }
    ctx.body = { user: ctx.session?.user?.username ?? null };
  });
  const server = await serve(koa.callback());
  t.after(server.close);
  return {
    url: server.url,
    store,
    sessions,
    requests,
    /** The last request's facts, as the session middleware left them. */
    last: () => requests.at(-1) ?? assert.fail('no request yet'),
    /** Starts `/slow`, and resolves once it runs (its session read and changed). */
    async startSlow(browser: Browser) {
      entered = deferred();
      gate = deferred();
      const answer = browser.request(`${server.url}/slow`);
      await entered.promise;
      return {
        release: () => {
          gate.resolve();
          return answer;
        },
      };
    },
  };
}

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const sessionCookies = (response: Response) =>
  response.headers.getSetCookie().filter((cookie) => cookie.startsWith(`${COOKIE}=`));

test('the cookie holds only a random key, signed, httpOnly, SameSite=Lax; a key without its signature is no session', async (t) => {
  const app = await sessionApp(t);
  const browser = new Browser();
  const signedIn = await browser.request(`${app.url}/sign-in-as?user=adele`);
  const [cookie, ...more] = sessionCookies(signedIn);
  assert.deepEqual(more, []);
  const key = /^app\.session=([^;]*)/.exec(cookie ?? '')?.[1] ?? '';
  assert.match(key, /^[\w-]{43}$/, '32 random bytes, and nothing else');
  assert.match(cookie ?? '', /; httponly/i);
  assert.match(cookie ?? '', /; samesite=lax/i);
  assert.ok(
    signedIn.headers.getSetCookie().some((each) => each.startsWith(`${COOKIE}.sig=`)),
    'signed',
  );
  assert.equal(
    (await app.sessions.get(key))?.user?.username,
    'adele@example',
    'the data is stored',
  );

  // Bob's key with Adele's signature: not read at all.
  const bob = new Browser();
  await bob.request(`${app.url}/sign-in-as?user=bob`);
  const [bobsKey] = (await bob.jar.getCookies(app.url)).filter((c) => c.key === COOKIE);
  const adelesSignature = (await browser.jar.getCookies(app.url)).find(
    (c) => c.key === `${COOKIE}.sig`,
  );
  const forged = await fetch(`${app.url}/`, {
    headers: { cookie: `${COOKIE}=${bobsKey?.value}; ${COOKIE}.sig=${adelesSignature?.value}` },
  });
  assert.equal((await answerOf(forged)).user, null);
  assert.equal((await answerOf(await bob.request(`${app.url}/`))).user, 'bob@example');
});

test('a session ended while a request of it runs is not saved by that request, nor its cookie set again', async (t) => {
  const app = await sessionApp(t);
  const endings = {
    'sessions.destroy (its own sign-out)': (key: string) => app.sessions.destroy(key),
    'sessions.endBySid (a sign-out by sid)': () => app.sessions.endBySid(SID),
  };
  for (const [how, end] of Object.entries(endings)) {
    const browser = new Browser();
    await browser.request(`${app.url}/sign-in-as?user=adele`);
    const key = (await browser.jar.getCookies(app.url)).find((c) => c.key === COOKIE)?.value ?? '';

    // Nothing ends it: the changed session is saved, its cookie set again.
    const saved = await (await app.startSlow(browser)).release();
    assert.equal(sessionCookies(saved).length, 1, how);
    assert.equal(app.last().saveRefused, false, how);
    assert.match((await app.sessions.get(key))?.tokenCache ?? '', /changed by slow request/, how);

    const running = await app.startSlow(browser);
    await end(key);
    const answer = await running.release();
    assert.equal(answer.status, 200, how);
    assert.deepEqual(sessionCookies(answer), [], `${how}: no cookie set`);
    assert.equal(app.last().saveRefused, true, how);
    assert.equal(await app.sessions.get(key), undefined, `${how}: not saved again`);
    assert.equal((await answerOf(await browser.request(`${app.url}/`))).user, null, how);
  }
});

test('sessionExpiresAt: until when the session lives, as this request saved it, or as it was read', async (t) => {
  const maxAgeMs = 60_000;
  const app = await sessionApp(t, maxAgeMs);
  const browser = new Browser();
  const before = Date.now();
  await browser.request(`${app.url}/sign-in-as?user=adele`);
  const after = Date.now();
  const saved = app.last().expiresAt ?? assert.fail('saved: an expiry');
  assert.ok(saved >= before + maxAgeMs && saved <= after + maxAgeMs, 'the middleware’s maxAgeMs');

  // A request that changes nothing saves nothing: its session lives as it was read.
  await browser.request(`${app.url}/`);
  assert.equal(app.last().expiresAt, saved);
  // Without a session, nothing.
  await new Browser().request(`${app.url}/`);
  assert.equal(app.last().expiresAt, undefined);
});

test('a store that does not answer reads as no session on the front-channel logout path only; elsewhere, and any other failure, fails', async (t) => {
  const app = await sessionApp(t);
  const browser = new Browser();
  await browser.request(`${app.url}/sign-in-as?user=adele`);
  app.store.failure = new ServiceUnavailableError('Redis', 'redis://test', 'did not answer', {
    internal: true,
  });
  const frontChannel = await browser.request(`${app.url}/fc`);
  assert.equal(frontChannel.status, 200);
  assert.equal((await answerOf(frontChannel)).user, null);
  const elsewhere = await browser.request(`${app.url}/`);
  assert.equal(elsewhere.status, 503);
  assert.equal((await answerOf(elsewhere)).error, 'ServiceUnavailableError');

  app.store.failure = new Error('a bug of the store');
  assert.equal((await browser.request(`${app.url}/fc`)).status, 500);
  app.store.failure = undefined;
  assert.equal((await answerOf(await browser.request(`${app.url}/`))).user, 'adele@example');
});

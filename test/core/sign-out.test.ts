/**
 * `shared/core/sign-out.ts`. `removeEverythingOf(sid)`, over the in-memory store and a real
 * `redis-server`: the tokens of every user recorded under the `sid`, then its sessions, and nothing
 * of anyone else; stopped half-way, run again, it finishes; afterwards no session of the `sid` is
 * saved again. (A sign-in completing while it runs: `session/sessions.test.ts`.) And
 * `frontChannelLogout` in a Koa app of its own: what it answers, whatever it is asked, and which
 * cookie session it ends.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type Koa from 'koa';
import { ServiceUnavailableError } from '../../shared/core/errors.ts';
import { queryParams } from '../../shared/core/read-form.ts';
import { PendingSignOuts } from '../../shared/core/session/pending-sign-outs.ts';
import { type SessionData, Sessions } from '../../shared/core/session/sessions.ts';
import { frontChannelLogout, removeEverythingOf } from '../../shared/core/sign-out.ts';
import type { KeyValueStore } from '../../shared/core/store/key-value-store.ts';
import { PerUserTokenCache } from '../../shared/core/token-cache/per-user-token-cache.ts';
import { Browser } from '../helpers/browser.ts';
import { startRedisStore } from '../helpers/redis.ts';
import { answerOf, eventsOf, ISSUER, serve, sessionKoa, sessionUser, tokensOf } from './harness.ts';
import { SlotCheckingStore } from './slot-checking-store.ts';

const SID = 'sid-ended';
const OTHER_SID = 'sid-other';

/** An app's sessions and per-user token cache over `store` (no msal client is ever built). */
function reach(store: KeyValueStore, app = 'signout') {
  const sessions = new Sessions(store, `${app}:`, app);
  const tokenCache = new PerUserTokenCache(store, {
    keyPrefix: `${app}:msal:`,
    ttlSeconds: 600,
    boundToSessions: true,
    msalClient: () => assert.fail('no msal client here'),
    app,
  });
  /** `user` signed in through `sid`: their session saved, then their tokens kept. */
  const signIn = async (sessionKey: string, user: string, sid: string) => {
    const data: SessionData = { user: sessionUser(user, sid) };
    assert.ok(await sessions.save(sessionKey, data, 600, sessions.now()));
    assert.ok(await tokenCache.keepSignIn(tokensOf(user), { startedAt: Date.now() }));
  };
  const accounts = async () =>
    (await tokenCache.summary()).accounts.map((account) => account.homeAccountId).sort();
  return { sessions, tokenCache, signIn, accounts };
}

const stores: Record<string, (t: TestContext) => Promise<KeyValueStore | undefined>> = {
  memory: async () => new SlotCheckingStore(),
  Redis: startRedisStore,
};

for (const [name, open] of Object.entries(stores)) {
  test(`on ${name}: everything of the sid goes, tokens first, every user recorded under it; nothing of another sid`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const app = `signout-${name}`;
    const { sessions, tokenCache, signIn, accounts } = reach(store, app);
    const events = eventsOf(t, app);
    await signIn('adele-1', 'adele', SID);
    await signIn('adele-2', 'adele', SID); // her second browser
    await signIn('alex-1', 'alex', SID); // a sid claimed with a replayed session_state
    await signIn('bob-1', 'bob', OTHER_SID);

    await removeEverythingOf(SID, { tokenCache, sessions });
    assert.deepEqual(await accounts(), ['bob']);
    for (const key of ['adele-1', 'adele-2', 'alex-1']) {
      assert.equal(await sessions.get(key), undefined, key);
    }
    assert.ok(await sessions.get('bob-1'));
    assert.deepEqual(await sessions.usersOf(SID), []);
    assert.deepEqual(
      events.map((event) => event.type),
      ['tokens-removed', 'tokens-removed', 'sessions-ended'],
    );
    const ended = events.at(-1);
    assert.ok(ended?.type === 'sessions-ended');
    assert.deepEqual(
      [ended.sid, ended.sessions, [...ended.users].sort()],
      [SID, 3, ['adele', 'alex']],
    );
  });

  test(`on ${name}: afterwards no session of the sid is saved, even by a request begun later; a user's own sign-out blocks only what began before it`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const { sessions, tokenCache, signIn } = reach(store, `signout-later-${name}`);
    await signIn('adele-1', 'adele', SID);
    await signIn('alex-1', 'alex', OTHER_SID);
    const begunBefore = sessions.now();
    await removeEverythingOf(SID, { tokenCache, sessions });
    await sessions.endBySid(OTHER_SID, { onlyUser: 'alex' }); // Alex signs out himself
    const adele = { user: sessionUser('adele', SID) };
    const alex = { user: sessionUser('alex', OTHER_SID) };
    assert.equal(await sessions.save('adele-1', adele, 600, begunBefore), false);
    assert.equal(await sessions.save('alex-1', alex, 600, begunBefore), false);
    // Requests that begin a second later (a sign-in completing with a code issued before).
    const later = sessions.now() + 1_000;
    assert.equal(await sessions.save('adele-2', adele, 600, later), false, 'the sid is over');
    assert.equal(await sessions.save('alex-2', alex, 600, later), true, 'Alex signs in again');
  });
}

/** A store whose removals of a `sid`'s records fail, while `failing` (Redis gone mid-way). */
class FailingStore extends SlotCheckingStore {
  failing = true;

  override async remove(keys: readonly string[], markerSeconds?: number): Promise<void> {
    if (this.failing && keys.some((key) => key.includes(':sid:'))) {
      throw new ServiceUnavailableError('Redis', 'redis://test', 'did not answer', {
        internal: true,
      });
    }
    return super.remove(keys, markerSeconds);
  }
}

test('stopped half-way, the sessions that lead to the tokens are left, and running it again finishes', async () => {
  const store = new FailingStore();
  const { sessions, tokenCache, signIn, accounts } = reach(store);
  await signIn('adele-1', 'adele', SID);
  await assert.rejects(removeEverythingOf(SID, { tokenCache, sessions }), ServiceUnavailableError);
  assert.deepEqual(await accounts(), [], 'the tokens went first');
  assert.deepEqual(await sessions.usersOf(SID), ['adele'], 'the session still leads to her');
  store.failing = false;
  await removeEverythingOf(SID, { tokenCache, sessions });
  assert.equal(await sessions.get('adele-1'), undefined);
  assert.deepEqual(await sessions.usersOf(SID), []);
});

/**
 * The front-channel logout URL (`/fc`) in an app of the core: `/sign-in-as?user=&sid=` signs a
 * browser in (a session and its tokens), `/` says who is signed in.
 */
async function frontChannelApp(t: TestContext) {
  const store = new SlotCheckingStore();
  const { sessions, tokenCache, accounts } = reach(store);
  const pendingSignOuts = new PendingSignOuts(
    (sid) => removeEverythingOf(sid, { tokenCache, sessions }),
    'test',
  );
  t.after(() => pendingSignOuts.close());
  const handler = frontChannelLogout({
    identityPlatform: { issuer: ISSUER, origin: 'https://identity.example' },
    pendingSignOuts,
    answer: 'front-channel sign-out received.',
  });
  const { koa } = sessionKoa({
    keys: ['a-cookie-signing-key-of-32-chars!!'],
    cookieName: 'app.session',
    sessions,
    frontChannelLogoutPath: '/fc',
  });
  koa.use(async (ctx: Koa.Context) => {
    const query: Record<string, string | undefined> = queryParams(ctx);
    if (ctx.path === '/fc') return handler(ctx, query);
    if (ctx.path === '/sign-in-as' && ctx.session) {
      const user = query.user ?? '';
      ctx.session.user = sessionUser(user, query.sid ?? '');
      await tokenCache.keepSignIn(tokensOf(user), { startedAt: Date.now() });
    }
    ctx.body = { user: ctx.session?.user?.homeAccountId ?? null };
  });
  const server = await serve(koa.callback());
  t.after(server.close);
  const browserOf = async (user: string, sid: string) => {
    const browser = new Browser();
    await browser.request(`${server.url}/sign-in-as?user=${user}&sid=${sid}`);
    return browser;
  };
  const signedIn = async (browser: Browser) =>
    (await answerOf(await browser.request(`${server.url}/`))).user;
  return { url: server.url, sessions, accounts, browserOf, signedIn };
}

test('front-channel: 400 without a sid; another issuer is answered 200 and changes nothing; never cached, framed by the identity platform only', async (t) => {
  const app = await frontChannelApp(t);
  const adele = await app.browserOf('adele', SID);
  const bob = await app.browserOf('bob', OTHER_SID);

  assert.equal((await fetch(`${app.url}/fc`)).status, 400);
  const foreign = await fetch(
    `${app.url}/fc?sid=${SID}&iss=${encodeURIComponent('https://other.example/v2.0')}`,
  );
  assert.equal(foreign.status, 200);
  assert.equal(await foreign.text(), 'front-channel sign-out received.');
  assert.equal(await app.signedIn(adele), 'adele');

  for (const [sid, iss] of [
    [SID, undefined],
    [OTHER_SID, ISSUER],
  ] as const) {
    const query = new URLSearchParams({ sid, ...(iss ? { iss } : {}) });
    const answer = await fetch(`${app.url}/fc?${query}`);
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), 'front-channel sign-out received.', 'the same answer');
    assert.match(answer.headers.get('cache-control') ?? '', /no-store/);
    assert.equal(
      answer.headers.get('content-security-policy'),
      'frame-ancestors https://identity.example',
    );
    assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
  }
  assert.equal(await app.signedIn(adele), null);
  assert.equal(await app.signedIn(bob), null);
  assert.deepEqual(await app.accounts(), []);
});

// The app's cookie comes along with the request (a 2019 browser sent it into the identity
// platform's iframe; today's do not).
test("front-channel with the app's cookie: a session of another sid is kept, one of this sid ended", async (t) => {
  const app = await frontChannelApp(t);
  const adele = await app.browserOf('adele', SID);
  const cleared = (response: Response) =>
    response.headers
      .getSetCookie()
      .some((cookie) => /^app\.session=;.*expires=Thu, 01 Jan 1970/i.test(cookie));

  const other = await adele.request(`${app.url}/fc?sid=${OTHER_SID}`);
  assert.equal(other.status, 200);
  assert.equal(cleared(other), false);
  assert.equal(await app.signedIn(adele), 'adele');
  assert.deepEqual(await app.accounts(), ['adele']);

  const same = await adele.request(`${app.url}/fc?sid=${SID}`);
  assert.equal(same.status, 200);
  assert.equal(cleared(same), true, "the browser's cookie is cleared too");
  assert.equal(await app.signedIn(adele), null);
  assert.deepEqual(await app.accounts(), []);
});

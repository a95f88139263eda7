/**
 * `shared/core/session/start-session.ts`: a sign-in replaces whoever was signed in in the browser.
 * When that was another user (an account switch), their session here ends, and with it the way a
 * sign-out would find their tokens through this browser: a per-user cache bound to sessions removes
 * their partition (`sessionReplaced`); one that is not (aspnet's, as its original) keeps it. Whether
 * the answer brought the session cookie (a same-site GET) or not (a cross-site form_post: the
 * session the sign-in started from is ended instead).
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { hashSlot } from '../../../shared/core/store/hash-slot.ts';
import { Browser } from '../../helpers/browser.ts';
import { type CoreAppOptions, eventsOf, useCoreApps } from '../harness.ts';

const mount = useCoreApps();

/** Adele signs in, then Alex in the same browser; what is left of Adele's here. */
async function accountSwitch(
  t: TestContext,
  options: CoreAppOptions & { responseMode: 'query' | 'form_post' },
) {
  const { responseMode, ...appOptions } = options;
  const app = await mount(appOptions);
  const events = eventsOf(t, app.name);
  const [adele, alex] = app.emulator.users;
  const browser = new Browser();
  await app.signIn(browser, { responseMode });
  const adelesKey = (await app.sessionKeyOf(browser)) ?? assert.fail('signed in');
  const adeles = (await app.sessions.get(adelesKey))?.user ?? assert.fail('signed in');
  assert.equal(adeles.username, adele?.userPrincipalName);

  await app.signIn(browser, { responseMode, prompt: 'login', user: alex?.userPrincipalName });
  const alexs = (await app.sessionOf(browser))?.user;
  assert.equal(alexs?.username, alex?.userPrincipalName, 'Alex is signed in');
  assert.equal(await app.sessions.get(adelesKey), undefined, "Adele's session here ended");
  assert.deepEqual(await app.sessions.usersOf(adeles.sid), []);
  const partitionOf = (homeAccountId = '') => app.store.get(app.partitionKey(homeAccountId));
  assert.ok(await partitionOf(alexs?.homeAccountId), "Alex's tokens kept");
  return {
    adelesPartition: await partitionOf(adeles.homeAccountId),
    removed: events.flatMap((event) =>
      event.type === 'tokens-removed' ? [event.homeAccountId] : [],
    ),
    adele: adeles.homeAccountId,
  };
}

test("an account switch, the answer bringing the session cookie: bound to sessions, the other user's partition goes", async (t) => {
  const left = await accountSwitch(t, { responseMode: 'query' });
  assert.equal(left.adelesPartition, undefined);
  assert.deepEqual(left.removed, [left.adele]);
});

test("an account switch over a cross-site form_post, without the session cookie: the session it started from ends, the other user's partition with it", async (t) => {
  const left = await accountSwitch(t, { responseMode: 'form_post', crossSite: true });
  assert.equal(left.adelesPartition, undefined);
  assert.deepEqual(left.removed, [left.adele]);
});

test("not bound to sessions (aspnet's cache), the other user's partition stays", async (t) => {
  const left = await accountSwitch(t, { responseMode: 'query', boundToSessions: false });
  assert.ok(left.adelesPartition);
  assert.deepEqual(left.removed, []);
});

test('the same user signing in again keeps her partition (written anew), in a new session', async (t) => {
  const app = await mount();
  const events = eventsOf(t, app.name);
  const browser = new Browser();
  await app.signIn(browser);
  const first = await app.sessionKeyOf(browser);
  await app.signIn(browser, { prompt: 'login' });
  const second = await app.sessionKeyOf(browser);
  assert.notEqual(second, first, 'a new key (no session fixation)');
  assert.equal(await app.sessions.get(first ?? ''), undefined);
  const user = (await app.sessionOf(browser))?.user;
  assert.ok(await app.store.get(app.partitionKey(user?.homeAccountId)));
  assert.deepEqual(
    events.filter((event) => event.type === 'tokens-removed'),
    [],
  );
});

test("the signed-in session's id names the hash slot of the user's partition, not the user: the session is stored in that slot", async (t) => {
  const app = await mount();
  const browser = new Browser();
  await app.signIn(browser);
  const id = (await app.sessionKeyOf(browser)) ?? assert.fail('signed in');
  const user = (await app.sessionOf(browser))?.user ?? assert.fail('signed in');
  assert.match(id, /^[\w-]{43}@\d{1,6}$/);
  assert.ok(!id.includes(user.homeAccountId.split('.')[0] ?? '?'), 'no trace of the user');
  const random = id.split('@')[0] ?? '';
  const stored = [...new Set(app.store.written.filter((key) => key.endsWith(random)))];
  assert.equal(stored.length, 1, 'the session, under one key');
  assert.equal(hashSlot(stored[0] ?? ''), hashSlot(app.partitionKey(user.homeAccountId)));
  t.diagnostic(`${stored[0]} beside ${app.partitionKey(user.homeAccountId)}`);
});

/**
 * `shared/core/events.ts`: what the core did, on one `node:diagnostics_channel` channel. A listener
 * hears each event as it is emitted, and no more once it stops; with nobody listening, the channel
 * has no subscriber, so an event costs one check. And what the events of a whole sign-in, API call
 * and sign-out say identifies people and sessions, never a token, a code or a session key.
 */
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { test } from 'node:test';
import { CHANNEL, type CoreEvent, emit, onCoreEvent } from '../../shared/core/events.ts';
import { Browser } from '../helpers/browser.ts';
import { answerOf, FRONT_CHANNEL_PATH, secretsIn, useCoreApps } from './harness.ts';

const mount = useCoreApps();

const event = (sid: string): CoreEvent => ({
  type: 'sign-out-pending',
  app: 'events-test',
  sid,
  state: 'waiting',
});

test('a listener hears every event as it is emitted, until it stops; then nobody is subscribed', () => {
  const channel = diagnosticsChannel.channel(CHANNEL);
  assert.equal(channel.hasSubscribers, false, 'nobody listens: emit publishes nothing');
  const first: CoreEvent[] = [];
  const second: CoreEvent[] = [];
  const stopFirst = onCoreEvent((each) => first.push(each));
  const stopSecond = onCoreEvent((each) => second.push(each));
  emit(event('a'));
  assert.deepEqual(first, [event('a')], 'synchronously, before emit returns');
  stopFirst();
  emit(event('b'));
  assert.deepEqual(first, [event('a')], 'a stopped listener hears nothing more');
  assert.deepEqual(second, [event('a'), event('b')]);
  stopSecond();
  stopSecond(); // stopping twice is harmless
  assert.equal(channel.hasSubscribers, false);

  // Whoever subscribes to the channel by its name (a tracer, say) hears the same events.
  const heard: unknown[] = [];
  const byName = (message: unknown) => heard.push(message);
  diagnosticsChannel.subscribe(CHANNEL, byName);
  emit(event('c'));
  diagnosticsChannel.unsubscribe(CHANNEL, byName);
  assert.deepEqual(heard, [event('c')]);
});

test('a listener that throws is logged, and neither the core nor the other listeners notice', async (t) => {
  const logged = t.mock.method(console, 'error', () => {});
  const heard: string[] = [];
  const stopFaulty = onCoreEvent(() => {
    throw new Error('a bug of the listener');
  });
  const stopOther = onCoreEvent((event) => heard.push(event.type));
  try {
    emit({ type: 'tokens-removed', app: 'events-test', homeAccountId: 'h.t' });
    assert.deepEqual(heard, ['tokens-removed'], 'the next listener heard it');
    assert.equal(logged.mock.callCount(), 1);
    assert.match(
      String(logged.mock.calls[0]?.arguments[0]),
      /A listener of msal-koa-sign-out:core failed/,
    );
    // diagnostics_channel would have rethrown it on the next tick, as an uncaught exception.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    stopFaulty();
    stopOther();
  }
});

test('the events of a sign-in, an API call and a front-channel sign-out carry no token, code or session key', async (t) => {
  const app = await mount();
  const events: CoreEvent[] = [];
  t.after(onCoreEvent((each) => events.push(each)));

  const browser = new Browser();
  const answer = await app.signInUntilAnswer(browser);
  assert.equal((await browser.request(answer.href)).status, 302);
  const me = await browser.request(`${app.url}/me`);
  assert.equal((await answerOf(me)).source, 'cached access token');
  const user = (await app.sessionOf(browser))?.user ?? assert.fail('signed in');
  const partition = await app.store.get(app.partitionKey(user.homeAccountId));
  const cookies = await browser.jar.getCookies(app.url);
  const secrets = [
    ...secretsIn(partition),
    answer.searchParams.get('code'),
    answer.searchParams.get('state'),
    ...cookies.map((cookie) => cookie.value),
  ].filter((secret): secret is string => Boolean(secret));
  assert.ok(
    secrets.length >= 6,
    'three tokens, the code, the state, the session key, its signature',
  );

  const signOut = await fetch(
    `${app.url}${FRONT_CHANNEL_PATH}?sid=${encodeURIComponent(user.sid)}`,
  );
  assert.equal(signOut.status, 200);
  assert.deepEqual(
    events.filter((each) => each.app === app.name).map((each) => each.type),
    ['sign-in-started', 'signed-in', 'api-called', 'tokens-removed', 'sessions-ended'],
  );
  const told = JSON.stringify(events);
  for (const secret of secrets) assert.ok(!told.includes(secret), 'a secret in the events');
  assert.ok(told.includes(user.sid) && told.includes(user.homeAccountId), 'who, and which session');
});

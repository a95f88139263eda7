/**
 * A sign-out survives what the store can lose, on a real `redis-server` of the test's own:
 * - Redis restarted: with an append-only file written at every command, a crash undoes no
 *   sign-out; with snapshots only, it does (what the start-up warning is about);
 * - Redis down when the front-channel sign-out arrives: the sign-out is kept and carried out as
 *   soon as Redis answers, and meanwhile the signed-out session is served no token;
 * - no token outlives the records that lead a sign-out to it (a partition refreshed late in a
 *   session's life lives no longer than the session).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { EncryptedStore } from '../shared/core/store/encrypted-store.ts';
import { NAMESPACE, RedisStore } from '../shared/core/store/redis-store.ts';
import { Browser, parseForm } from './helpers/browser.ts';
import { cacheSummary, startEnvironment, type TestEnvironment } from './helpers/environment.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const {
  signIn: signInPath,
  signOut: signOutPath,
  api: profilePath,
  frontChannel: frontChannelPath,
} = SAMPLE_ROUTES.aspnetcore;
const ENCRYPTION_KEY = 'a-test-key-for-the-values-in-redis-0123456789';

/** aspnetcore on `redis` (with its warnings collected), closed when the test ends. */
async function aspnetcoreOn(
  t: TestContext,
  redis: TestRedis,
  options: { accessTokenLifetimeSeconds?: number } = {},
): Promise<{ env: TestEnvironment; warnings: string[] }> {
  const warnings: string[] = [];
  const env = await startEnvironment('aspnetcore', {
    env: { REDIS_URL: redis.url, REDIS_ENCRYPTION_KEY: ENCRYPTION_KEY },
    // What the start-up says of Redis's persistence (not Redis's comings and goings).
    log: {
      info() {},
      warn: (message) => /append-only|CONFIG/.test(message) && warnings.push(message),
    },
    ...(options.accessTokenLifetimeSeconds ? { emulator: options } : {}),
  });
  t.after(() => env.close());
  return { env, warnings };
}

/** A browser signed in to aspnetcore, and the `sid` of its identity platform session. */
async function signedIn(
  env: TestEnvironment,
  userIndex = 0,
): Promise<{ browser: Browser; sid: string }> {
  const browser = new Browser();
  browser.autoSubmitForms = false;
  const answer = await browser.signIn(
    env.sample.url + signInPath,
    env.emulator.users[userIndex]!.userPrincipalName,
    env.password,
  );
  browser.autoSubmitForms = true;
  const form = parseForm(answer.html, answer.url);
  await browser.post(form.action, form.fields);
  assert.equal((await browser.get(env.sample.url + profilePath)).status, 200);
  return { browser, sid: form.fields.session_state! };
}

/** Whether the user's profile is served to this browser (not a redirect to sign in). */
async function profileServed(browser: Browser, env: TestEnvironment): Promise<boolean> {
  return profileServedWith(await browser.jar.getCookieString(env.sample.url), env);
}

/** The same, with a cookie kept from before a sign-out (which the browser itself forgot). */
async function profileServedWith(cookie: string, env: TestEnvironment): Promise<boolean> {
  const response = await fetch(env.sample.url + profilePath, {
    headers: { cookie },
    redirect: 'manual',
  });
  await response.body?.cancel();
  return response.status === 200;
}

/** Waits until the sample answers again after Redis came back (node-redis reconnects by itself). */
async function untilAnswering(env: TestEnvironment): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await fetch(`${env.sample.url}/cache`, { headers: { Accept: 'application/json' } })).ok)
      return;
    await sleep(50);
  }
  throw new Error('the sample did not answer again');
}

/** The options of the `redis-server` command docs/redis.md shows for a Redis that keeps every sign-out. */
function documentedPersistence(): string[] {
  const doc = readFileSync(new URL('../docs/redis.md', import.meta.url), 'utf8');
  const command = /^redis-server (--appendonly .*)$/m.exec(doc)?.[1];
  assert.ok(command, 'docs/redis.md shows the redis-server command of its Persistence section');
  return command.split(/\s+/);
}

describe('Redis restarted', () => {
  test('run as docs/redis.md says (an append-only file written at every command), a crash undoes no sign-out', async (t) => {
    // Over a Redis that would otherwise keep snapshots only: the documented options are what counts.
    const redis = await startRedis(t, { persistence: 'snapshots', args: documentedPersistence() });
    if (!redis) return;
    const { env, warnings } = await aspnetcoreOn(t, redis);
    assert.deepEqual(warnings, [], 'nothing to warn about');
    const { browser } = await signedIn(env);
    const oldCookie = await browser.jar.getCookieString(env.sample.url);
    // Even a snapshot taken while the user was signed in does not bring them back.
    await redis.snapshot();
    await browser.request(env.sample.url + signOutPath);
    await redis.crash();
    await redis.start();
    await untilAnswering(env);
    assert.equal(await profileServedWith(oldCookie, env), false, 'the old cookie reads nothing');
    const summary = await cacheSummary(env.sample.url);
    assert.deepEqual([summary.accounts.length, summary.sessions], [0, 0]);
  });

  test('with snapshots only, a restart undoes the sign-outs since the snapshot; the start-up said so', async (t) => {
    const redis = await startRedis(t, { persistence: 'snapshots' });
    if (!redis) return;
    const { env, warnings } = await aspnetcoreOn(t, redis);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /keeps no append-only file: if it restarts, every sign-out since its last snapshot is undone/,
    );
    assert.match(warnings[0]!, /appendonly yes.*appendfsync always/);
    const { browser } = await signedIn(env);
    const oldCookie = await browser.jar.getCookieString(env.sample.url);
    await redis.snapshot();
    await browser.request(env.sample.url + signOutPath);
    assert.equal(await profileServedWith(oldCookie, env), false);
    await redis.crash();
    await redis.start();
    await untilAnswering(env);
    // The limit docs/redis.md states: the tokens and the session came back with the snapshot.
    assert.equal(await profileServedWith(oldCookie, env), true, 'the sign-out was undone');
  });

  test('the start-up says what a second of appendfsync everysec costs, and "unknown" when CONFIG is refused', async (t) => {
    const everysec = await startRedis(t, { persistence: 'aof-everysec' });
    if (!everysec) return;
    const { warnings } = await aspnetcoreOn(t, everysec);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /appendfsync everysec: if its machine crashes \(not Redis alone\), the sign-outs of the last second are undone/,
    );

    const managed = await startRedis(t, { args: ['--rename-command', 'CONFIG', ''] });
    if (!managed) return;
    const refused = await aspnetcoreOn(t, managed);
    assert.equal(refused.warnings.length, 1);
    assert.match(
      refused.warnings[0]!,
      /refused CONFIG GET: whether it keeps every sign-out through a restart is unknown/,
    );
  });
});

describe('Redis down when the front-channel sign-out arrives', () => {
  test('the sign-out is kept and carried out as soon as Redis answers; meanwhile the session gets no token', async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    const { env } = await aspnetcoreOn(t, redis);
    const { browser, sid } = await signedIn(env);
    const other = await signedIn(env, 1);
    await redis.stop();
    // The identity platform's iframe (no cookie)…
    const frame = await fetch(`${env.sample.url}${frontChannelPath}?sid=${sid}`);
    assert.equal(frame.status, 200, 'taken, not a 503 the identity platform would never retry');
    // …and the same with the session cookie (a 2019 browser sent it): the session cannot be read,
    // the sign-out is taken all the same.
    const withCookie = await browser.request(`${env.sample.url}${frontChannelPath}?sid=${sid}`);
    assert.equal(withCookie.status, 200);
    await redis.start();
    await untilAnswering(env);
    assert.equal(await profileServed(browser, env), false, 'no token for the signed-out session');
    // Carried out: nothing of the user is left, and the other user is untouched.
    let summary = await cacheSummary(env.sample.url);
    for (let attempt = 0; attempt < 50 && summary.sessions > 1; attempt++) {
      await sleep(100);
      summary = await cacheSummary(env.sample.url);
    }
    assert.deepEqual(
      summary.accounts.map((account) => account.username),
      [env.emulator.users[1]!.userPrincipalName],
    );
    assert.equal(summary.sessions, 1);
    assert.equal(await profileServed(other.browser, env), true);
  });
});

test('a partition refreshed late in a session lives no longer than the session', async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  // Access tokens inside msal's renewal margin: every API call refreshes, and writes the partition.
  const { env } = await aspnetcoreOn(t, redis, { accessTokenLifetimeSeconds: 60 });
  const { browser } = await signedIn(env);
  const sessionKey = (await browser.jar.getCookies(env.sample.url)).find(
    (cookie) => cookie.key === 'aspnetcore.session',
  )!.value;
  // The session has five of its eight hours left (too many for koa-session to renew it).
  const raw = await RedisStore.connect(redis.url, {
    timeoutMs: 2_000,
    variable: 'REDIS_URL',
    log() {},
  });
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    const store = new EncryptedStore(raw, [ENCRYPTION_KEY]);
    // The session's key ends with its id's random part (`Sessions.newId`: `<random>@<n>`).
    const [stored] = await client.keys(
      `${NAMESPACE}aspnetcore:session:*${sessionKey.split('@')[0]}`,
    );
    const key = (stored ?? assert.fail('the session is in Redis')).slice(NAMESPACE.length);
    const session = JSON.parse((await store.get(key))!) as { _expire: number };
    session._expire = Date.now() + 5 * 3600_000;
    await store.write([{ set: key, value: JSON.stringify(session), ttlSeconds: 5 * 3600 + 10 }]);

    assert.equal(await profileServed(browser, env), true); // a refresh: the partition written again
    const [partition] = await client.keys(`${NAMESPACE}aspnetcore:msal:*`);
    const sessionTtl = await client.pTTL(NAMESPACE + key);
    const partitionTtl = await client.pTTL(partition!);
    assert.ok(sessionTtl <= 5 * 3600_000 + 10_000, `the session has ${sessionTtl} ms left`);
    assert.ok(
      partitionTtl <= sessionTtl,
      `the partition (${partitionTtl} ms left) outlives the session (${sessionTtl} ms)`,
    );
  } finally {
    await client.close();
    await raw.close();
  }
});

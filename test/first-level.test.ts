/**
 * The first level of aspnetcore's token cache: the access tokens msal gave each user, remembered
 * in the process with the partition they came from. On Redis, with two instances and access
 * tokens of an hour (so that there is a token to remember): a warm call reads nothing
 * from Redis but the session, and a sign-out on instance B is seen by instance A's first level
 * before A serves that user again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import { Browser } from './helpers/browser.ts';
import { startSamples, type TestEnvironment } from './helpers/environment.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const { signIn, api: profile, signOut } = SAMPLE_ROUTES.aspnetcore;

let redis: TestRedis | undefined;
let env: TestEnvironment;
before(async () => {
  redis = await startRedis({ skip() {} });
  if (!redis) return;
  env = await startSamples(['aspnetcore'], {
    instances: 2,
    env: { REDIS_URL: redis.url },
    emulator: { accessTokenLifetimeSeconds: 3600 },
  });
});
after(async () => {
  await env?.close();
  await redis?.close();
});

const at = (instance: 0 | 1, path: string) => `${env.instances.aspnetcore![instance]!.url}${path}`;

async function signedIn(instance: 0 | 1, userIndex: number): Promise<Browser> {
  const browser = new Browser();
  const user = env.emulator.users[userIndex]!.userPrincipalName;
  await browser.signIn(at(instance, signIn), user, env.password);
  return browser;
}

/** How many GET commands Redis has run (all clients together). */
async function redisGets(): Promise<number> {
  const client = createClient({ url: redis!.url });
  await client.connect();
  try {
    const stats = await client.info('commandstats');
    return Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  } finally {
    await client.close();
  }
}

test('a warm call asks Redis for the session only, and msal for nothing', async (t) => {
  if (!redis) return t.skip('redis-server is not installed (see the message above)');
  const browser = await signedIn(0, 0);
  assert.equal((await browser.request(at(0, profile))).status, 200, 'the first call warms A');
  const tokenRequests = env.emulator.tokenRequests.length;
  const gets = await redisGets();
  assert.equal((await browser.request(at(0, profile))).status, 200);
  assert.equal((await redisGets()) - gets, 1, "one GET: the session's; the partition is A's copy");
  assert.equal(env.emulator.tokenRequests.length, tokenRequests, 'no token request');
  await browser.get(at(0, signOut));
});

test("another browser's sign-out on B: A's first level lets the user go before A serves them again", async (t) => {
  if (!redis) return t.skip('redis-server is not installed (see the message above)');
  // The same user in two browsers: one works through A (warm there), the other through B.
  const throughA = await signedIn(0, 1);
  assert.equal((await throughA.request(at(0, profile))).status, 200);
  assert.equal((await throughA.request(at(0, profile))).status, 200, 'warm on A');
  const throughB = await signedIn(1, 1);
  assert.equal((await throughB.request(at(1, profile))).status, 200);
  // B's sign-in wrote the user's partition anew: A remembers from the new one, warm again.
  assert.equal((await throughA.request(at(0, profile))).status, 200);
  const tokenRequests = env.emulator.tokenRequests.length;
  assert.equal((await throughA.request(at(0, profile))).status, 200, 'warm on A again');
  assert.equal(env.emulator.tokenRequests.length, tokenRequests, 'from what A remembers');
  // Signing out in the second browser, on B, removes the user's partition (it is the user's).
  await throughB.get(at(1, signOut));
  // The first browser is still signed in to A, but the token A remembered is forgotten: the
  // profile sends it to sign in again rather than call the API with what A kept.
  const answer = await throughA.request(at(0, profile));
  assert.equal(answer.status, 302);
  assert.match(answer.headers.get('location') ?? '', /\/AzureAD\/Account\/SignIn/);
  await throughA.get(at(0, signOut));
});

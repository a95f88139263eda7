/**
 * Two instances of each sample over one real Redis (a `redis-server` of this test's own): they
 * behave as one app, and a sign-out that lands on one instance reaches the other. Except aspnet's
 * token cache, which stays in each process, as its original's `MemoryCache.Default` did.
 *
 * The identity platform is behind a proxy, so that a token refresh can be held in flight while a
 * sign-out lands on the other instance; Redis is stopped, frozen and restarted for real.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import { samples as definitions, type SampleName } from '../samples/index.ts';
import { StartupError } from '../shared/core/errors.ts';
import { NAMESPACE, RedisStore } from '../shared/core/store/redis-store.ts';
import { startProject } from '../shared/run/orchestrator.ts';
import { Browser } from './helpers/browser.ts';
import {
  cacheSummary,
  freePorts,
  ssoSid,
  startBehindProxy,
  type TestEnvironment,
} from './helpers/environment.ts';
import type { FaultyProxy } from './helpers/faulty-proxy.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const routes = SAMPLE_ROUTES;
const names = Object.keys(routes) as SampleName[];

let redis: TestRedis | undefined;
let env: TestEnvironment;
let identity: FaultyProxy;
let close = async () => {};
before(async () => {
  redis = await startRedis({ skip() {} });
  if (!redis) return;
  ({
    env,
    proxy: identity,
    close,
  } = await startBehindProxy(names, 'identity', {
    instances: 2,
    env: { REDIS_URL: redis.url },
    // Access tokens within msal's renewal margin: every API call refreshes, and writes back.
    emulator: { accessTokenLifetimeSeconds: 60 },
  }));
});
after(async () => {
  await close();
  await redis?.close();
});

/** Instance 1 (A) or 2 (B) of a sample. */
const at = (name: SampleName, instance: 0 | 1, path = '/') =>
  `${env.instances[name]![instance]!.url}${path}`;
const signedInAs = async (browser: Browser, url: string) =>
  /id="signed-in-user">([^<]+)</.exec((await browser.get(url)).html)?.[1];
const test2 = (title: string, body: () => Promise<void>) =>
  test(title, async (t) => {
    if (!redis) return t.skip('redis-server is not installed (see the message above)');
    await body();
  });

async function signedIn(name: SampleName, instance: 0 | 1, userIndex: number): Promise<Browser> {
  const browser = new Browser();
  const user = env.emulator.users[userIndex]!.userPrincipalName;
  await browser.signIn(at(name, instance, routes[name].signIn), user, env.password);
  assert.equal(await signedInAs(browser, at(name, instance)), user, `${name}: signed in`);
  return browser;
}

describe('two instances over Redis behave as one app', () => {
  for (const name of ['aspnetcore', 'java', 'python'] as const) {
    test2(
      `${name}: signed in through A, the API answers through B with the same cookie`,
      async () => {
        const browser = await signedIn(name, 0, 0);
        assert.equal(
          await signedInAs(browser, at(name, 1)),
          env.emulator.users[0]!.userPrincipalName,
        );
        const api = await browser.request(at(name, 1, routes[name].api));
        assert.equal(api.status, 200, 'B has the tokens: they are in Redis');
        await browser.get(at(name, 0, routes[name].signOut));
      },
    );
  }

  test2("aspnet: B knows the session, not the tokens: they are in A's process", async () => {
    const browser = await signedIn('aspnet', 0, 0);
    assert.equal((await browser.request(at('aspnet', 0, routes.aspnet.api))).status, 200);
    assert.ok(await signedInAs(browser, at('aspnet', 1)), 'the session is in Redis');
    const api = await browser.request(at('aspnet', 1, routes.aspnet.api));
    assert.equal(api.status, 302, 'B has no token for the user: sign in again');
    assert.equal((await cacheSummary(at('aspnet', 1, ''))).accounts.length, 0);
    assert.equal((await cacheSummary(at('aspnet', 0, ''))).accounts.length, 1);
    await browser.get(at('aspnet', 0, routes.aspnet.signOut));
  });

  for (const name of names) {
    test2(`${name}: a local sign-out on A ends the session B sees`, async () => {
      const browser = await signedIn(name, 0, 1);
      assert.ok(await signedInAs(browser, at(name, 1)));
      await browser.get(at(name, 0, routes[name].signOut));
      assert.equal(await signedInAs(browser, at(name, 1)), undefined);
    });
  }

  test2(
    "aspnetcore: a front-channel sign-out delivered to B removes the user's tokens and sessions for A",
    async () => {
      const browser = await signedIn('aspnetcore', 0, 2);
      assert.equal((await browser.request(at('aspnetcore', 0, routes.aspnetcore.api))).status, 200);
      const sid = await ssoSid(browser, env.emulator);
      // No cookie: the identity platform's iframe, landing on the other instance.
      assert.equal(
        (await fetch(at('aspnetcore', 1, `${routes.aspnetcore.frontChannel}?sid=${sid}`))).status,
        200,
      );
      assert.equal(await signedInAs(browser, at('aspnetcore', 0)), undefined);
      const summary = await cacheSummary(at('aspnetcore', 0, ''));
      assert.deepEqual([summary.accounts, summary.sessions, summary.sids], [[], 0, 0]);
      const api = await browser.request(at('aspnetcore', 0, routes.aspnetcore.api));
      assert.equal(api.status, 302, 'A has nothing left to call the API with');
    },
  );

  test2(
    "aspnetcore: a sid that would name another key is nobody's: 200, nothing read as a record",
    async () => {
      const browser = await signedIn('aspnetcore', 0, 1);
      const sid = await ssoSid(browser, env.emulator);
      // `sid:<sid>:sessions` is the set of its sessions: read as a record, Redis would refuse.
      const crafted = await fetch(
        at('aspnetcore', 1, `${routes.aspnetcore.frontChannel}?sid=${sid}:sessions`),
      );
      assert.equal(crafted.status, 200);
      assert.ok(await signedInAs(browser, at('aspnetcore', 0)), 'nobody signed out');
      await browser.get(at('aspnetcore', 0, routes.aspnetcore.signOut));
    },
  );

  test2(
    'aspnetcore: a refresh in flight on A cannot write back what a sign-out on B removed',
    async () => {
      const browser = await signedIn('aspnetcore', 0, 0);
      const sid = await ssoSid(browser, env.emulator);
      // A's API call opens the user's partition and asks for a new access token, which waits...
      const held = identity.holdNext();
      const inFlight = browser.request(at('aspnetcore', 0, routes.aspnetcore.api));
      await held.arrived;
      // ...while the user signs out elsewhere, and the front-channel request lands on B.
      assert.equal(
        (await fetch(at('aspnetcore', 1, `${routes.aspnetcore.frontChannel}?sid=${sid}`))).status,
        200,
      );
      held.release();
      assert.equal((await inFlight).status, 200, 'the request in flight completes');

      // Its write-back was refused in Redis, in one step with the check: nothing came back.
      for (const instance of [0, 1] as const) {
        const summary = await cacheSummary(at('aspnetcore', instance, ''));
        assert.deepEqual([summary.accounts, summary.sessions, summary.sids], [[], 0, 0]);
      }
      assert.equal(await signedInAs(browser, at('aspnetcore', 1)), undefined);
      assert.deepEqual(await redisKeys('aspnetcore:msal:'), [], 'no partition in Redis');
    },
  );

  test2('nothing in Redis holds a token, or anything else, in clear', async () => {
    const browsers = await Promise.all(names.map((name) => signedIn(name, 0, 1)));
    for (const [index, name] of names.entries()) {
      assert.equal((await browsers[index]!.request(at(name, 0, routes[name].api))).status, 200);
    }
    const client = createClient({ url: redis!.url });
    await client.connect();
    try {
      let values = 0;
      for await (const keys of client.scanIterator({ MATCH: `${NAMESPACE}*` })) {
        for (const key of keys) {
          const type = await client.type(key);
          const contents =
            type === 'set' ? await client.sMembers(key) : [(await client.get(key)) ?? ''];
          for (const value of contents) {
            values++;
            // Sealed values are base64url; markers are times; set members are session ids
            // (random, then `@<n>`: a hash slot).
            assert.match(value, /^[A-Za-z0-9_-]+(@\d+)?$/, `${key} holds ${value.slice(0, 40)}…`);
            assert.doesNotMatch(value, /^eyJ/, key);
          }
        }
      }
      assert.ok(values >= 8, `sessions and partitions were stored (${values} values)`);
    } finally {
      await client.close();
    }
    for (const [index, name] of names.entries()) {
      await browsers[index]!.get(at(name, 0, routes[name].signOut));
    }
  });
});

describe('when Redis fails', () => {
  test2(
    'stopped: a clear 503 naming Redis at once, nobody signed out; back by itself when it returns',
    async () => {
      const browser = await signedIn('aspnetcore', 0, 0);
      await redis!.stop();
      try {
        const started = Date.now();
        const page = await browser.get(at('aspnetcore', 1));
        assert.equal(page.status, 503);
        assert.match(page.html, /Redis is not available/);
        assert.match(page.html, /This page needs Redis, which is not reachable/);
        assert.doesNotMatch(page.html, /127\.0\.0\.1/, "the page does not show Redis's address");
        assert.ok(Date.now() - started < 3_000, 'not a hang');
        // The cookie is untouched: not a sign-out.
        assert.match(
          await browser.jar.getCookieString(at('aspnetcore', 1)),
          /aspnetcore\.session=/,
        );
      } finally {
        await redis!.start();
      }
      // The clients reconnect by themselves (within two seconds of backoff); nothing was lost.
      const user = env.emulator.users[0]!.userPrincipalName;
      await eventually(async () =>
        assert.equal(await signedInAs(browser, at('aspnetcore', 1)), user),
      );
      await eventually(async () =>
        assert.equal(
          (await browser.request(at('aspnetcore', 0, routes.aspnetcore.api))).status,
          200,
        ),
      );
      await browser.get(at('aspnetcore', 0, routes.aspnetcore.signOut));
    },
  );

  test2(
    'frozen: a 503 within the command timeout, not a hang; it answers again when Redis does',
    async () => {
      const browser = await signedIn('python', 0, 2);
      redis!.pause();
      try {
        const started = Date.now();
        const page = await browser.get(at('python', 1));
        const waited = Date.now() - started;
        assert.equal(page.status, 503);
        assert.match(page.html, /did not answer in time/);
        assert.ok(waited >= 1_500 && waited < 5_000, `bounded by the timeout (${waited} ms)`);
      } finally {
        redis!.resume();
      }
      const user = env.emulator.users[2]!.userPrincipalName;
      await eventually(async () => assert.equal(await signedInAs(browser, at('python', 1)), user));
      await browser.get(at('python', 0, routes.python.signOut));
    },
  );

  test2(
    'frozen at start-up: a clear error within the timeout; frozen at shutdown: closed anyway',
    async () => {
      redis!.pause();
      try {
        const started = Date.now();
        await assert.rejects(
          RedisStore.connect(redis!.url, { timeoutMs: 1000, variable: 'REDIS_URL', log() {} }),
          /^StartupError: REDIS_URL: no Redis answers at .* \(it did not answer in time\)/,
        );
        assert.ok(Date.now() - started < 3_000, 'not a hang');
      } finally {
        redis!.resume();
      }
      const store = await RedisStore.connect(redis!.url, {
        timeoutMs: 1000,
        variable: 'REDIS_URL',
        log() {},
      });
      redis!.pause();
      try {
        const started = Date.now();
        await store.close();
        assert.ok(Date.now() - started < 3_000, 'closing does not wait for a frozen Redis');
      } finally {
        redis!.resume();
      }
    },
  );

  test2(
    'unreachable at start-up: a clear error naming REDIS_URL, nothing left running',
    async () => {
      const [closedPort, samplePort] = (await freePorts(2)) as [number, number];
      const start = startProject({
        definitions: Object.values(definitions),
        run: ['aspnetcore'],
        env: {
          EMULATOR_PORT: new URL(env.emulator.identityUrl).port,
          GRAPH_PORT: new URL(env.emulator.graphUrl).port,
          ASPNETCORE_PORT: String(samplePort),
          REDIS_URL: `redis://:do-not-print-this@127.0.0.1:${closedPort}`,
        },
        emulator: 'shared',
      });
      await assert.rejects(start, (error: Error) => {
        assert.ok(error instanceof StartupError);
        assert.match(
          error.message,
          /^REDIS_URL: no Redis answers at redis:\/\/:\*\*\*@127\.0\.0\.1:/,
        );
        assert.doesNotMatch(error.message, /do-not-print-this/);
        return true;
      });
      // Nothing listens on the sample's port.
      await assert.rejects(fetch(`http://localhost:${samplePort}/`));
    },
  );
});

async function redisKeys(prefix: string): Promise<string[]> {
  const client = createClient({ url: redis!.url });
  await client.connect();
  try {
    const found: string[] = [];
    for await (const keys of client.scanIterator({ MATCH: `${NAMESPACE}${prefix}*` }))
      found.push(...keys);
    return found;
  } finally {
    await client.close();
  }
}

/** Retries `check` for up to ten seconds: what happens by itself, soon. */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

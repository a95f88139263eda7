/**
 * Two instances of aspnetcore on a real Redis Cluster (3 primaries, 3 replicas: a redis-server of
 * this test's own per node), end to end through the pages: they act as one app, a front-channel
 * sign-out reaches both, and a primary killed under sign-in/sign-out traffic answers every request
 * (200/302, or a 503 page for a while) and undoes no sign-out.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { tag } from '../shared/core/store/hash-slot.ts';
import { NAMESPACE, RedisStore } from '../shared/core/store/redis-store.ts';
import { Browser, parseForm } from './helpers/browser.ts';
import { cacheSummary, startSamples, type TestEnvironment } from './helpers/environment.ts';
import { startRedisCluster, type TestRedisCluster } from './helpers/redis-cluster.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const routes = SAMPLE_ROUTES.aspnetcore;
/** OUTBOUND_TIMEOUT_SECONDS' default: no request may take longer. */
const OUTBOUND_TIMEOUT_MS = 10_000;
const WORKERS = 6;

let cluster: TestRedisCluster | undefined;
let env: TestEnvironment;
let store: RedisStore;

before(async () => {
  cluster = await startRedisCluster({ skip: (message?: string) => console.warn(message) });
  if (!cluster) return;
  console.log(`# cluster of 6 nodes started in ${cluster.startMs} ms`);
  env = await startSamples(['aspnetcore'], {
    instances: 2,
    env: {
      REDIS_CLUSTER_NODES: cluster.urls.join(','),
      REDIS_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    },
    emulator: { generatedUsers: WORKERS },
  });
  store = await RedisStore.connectCluster(cluster.urls, {
    timeoutMs: 2_000,
    variable: 'REDIS_CLUSTER_NODES',
    log() {},
  });
});
after(async () => {
  await store?.close();
  await env?.close();
  await cluster?.close();
});

/** Instance 1 (A) or 2 (B). */
const at = (instance: 0 | 1, path = '/') => `${env.instances.aspnetcore![instance]!.url}${path}`;
const base = (instance: 0 | 1) => env.instances.aspnetcore![instance]!.url;
const shownUser = (html: string) => /id="signed-in-user">([^<]+)</.exec(html)?.[1];
const signedInAs = async (browser: Browser, instance: 0 | 1) =>
  shownUser((await browser.get(at(instance))).html);
/** The key of a user's token partition, as the samples name it (without the namespace). */
const partitionKey = (homeAccountId: string) => `aspnetcore:msal:${tag('u', homeAccountId)}`;
const homeAccountIdOf = (oid: string) => `${oid}.${env.emulator.tenantId}`;
const usernames = async (instance: 0 | 1) =>
  (await cacheSummary(base(instance))).accounts.map((account) => account.username.toLowerCase());
/** What the API page answers a cookie: 200, or a redirect to the identity platform (sign in again). */
async function apiWith(cookie: string, instance: 0 | 1) {
  const response = await fetch(at(instance, routes.api), {
    headers: { cookie },
    redirect: 'manual',
  });
  await response.body?.cancel();
  return { status: response.status, location: response.headers.get('location') ?? '' };
}

describe('aspnetcore, two instances on a Redis Cluster', () => {
  test('one app: the session and tokens on both; a front-channel sign-out through A empties B and the cluster', async (t) => {
    if (!cluster) return t.skip('redis-server is not installed (see the message above)');
    const user = env.emulator.users[0]!;
    const browser = new Browser();
    await browser.signIn(at(0, routes.signIn), user.userPrincipalName, env.password);
    assert.equal(await signedInAs(browser, 0), user.userPrincipalName, 'signed in through A');
    assert.equal(await signedInAs(browser, 1), user.userPrincipalName, 'B finds the session');
    const api = await browser.request(at(1, routes.api));
    await api.body?.cancel();
    assert.equal(api.status, 200, 'B has the tokens: they are in the cluster');

    for (const instance of [0, 1] as const) {
      const summary = await cacheSummary(base(instance));
      assert.deepEqual(
        summary.accounts.map((account) => account.username),
        [user.userPrincipalName],
        `instance ${instance + 1}'s inspector sees the user`,
      );
      assert.equal(summary.accounts[0]!.homeAccountId, homeAccountIdOf(user.oid));
    }
    const partition = partitionKey(homeAccountIdOf(user.oid));
    assert.deepEqual(await store.keys('aspnetcore:msal:'), [partition], 'the partition is stored');
    const owner = await cluster.primaryOf(NAMESPACE + partition);
    console.log(`# the user's partition is on the primary at ${owner.port}`);
    const cookie = await browser.jar.getCookieString(at(1));

    // "Sign out everywhere" on the emulator's SSO page: it loads the front-channel URL (A's).
    const ssoPage = await browser.get(`${env.emulator.identityUrl}/`);
    const form = parseForm(ssoPage.html, ssoPage.url, (html) => html.includes('/logout'));
    await browser.post(form.action, form.fields);
    assert.equal(browser.frontChannelRequests.length, 1);
    const [frontChannel] = browser.frontChannelRequests;
    assert.ok(
      frontChannel!.url.startsWith(`${base(0)}${routes.frontChannel}?sid=`),
      `the front-channel URL is A's: ${frontChannel!.url}`,
    );
    assert.equal(frontChannel!.status, 200);
    assert.equal(frontChannel!.cookie, '', 'loaded without cookies');

    // B: nothing left.
    const again = await browser.request(at(1, routes.api));
    await again.body?.cancel();
    assert.equal(again.status, 302, 'B asks to sign in again');
    console.log(`# B's API page redirects to ${again.headers.get('location')}`);
    assert.equal(await signedInAs(browser, 1), undefined);
    assert.equal((await apiWith(cookie, 1)).status, 302, 'the old cookie, replayed, neither');
    for (const instance of [0, 1] as const) {
      const summary = await cacheSummary(base(instance));
      assert.deepEqual([summary.accounts, summary.sessions, summary.sids], [[], 0, 0]);
    }
    assert.deepEqual(await store.keys('aspnetcore:msal:'), [], 'no partition left');
    assert.deepEqual(await store.keys('aspnetcore:session:'), [], 'no session left');
    const stats = await store.stats('aspnetcore:');
    assert.equal(stats.entries, 0, JSON.stringify(stats));
    assert.ok(stats.removalMarkers > 0, 'the removal markers stay a while');
  });

  test('a primary killed under sign-in/sign-out traffic: every request answered, 503s for a while, no sign-out undone', async (t) => {
    if (!cluster) return t.skip('redis-server is not installed (see the message above)');
    const workers = env.emulator.users.filter((user) =>
      user.userPrincipalName.startsWith('loaduser'),
    );
    assert.equal(workers.length, WORKERS);

    // The primary that holds the most of the workers' partitions: traffic meets its death.
    const owners = new Map<number, string[]>();
    for (const user of workers) {
      const key = NAMESPACE + partitionKey(homeAccountIdOf(user.oid));
      const { port } = await cluster.primaryOf(key);
      owners.set(port, [...(owners.get(port) ?? []), key]);
    }
    const [victimKeys] = [...owners.values()].sort((a, b) => b.length - a.length);
    console.log(
      `# partitions per primary: ${[...owners].map(([port, keys]) => `${port}: ${keys.length}`).join(', ')}`,
    );

    // Every request to a sample, timed (Browser and the checks use the global fetch).
    interface Sent {
      url: string;
      started: number;
      ms: number;
      status: number | string;
    }
    const sent: Sent[] = [];
    let killedAt = 0;
    const realFetch = globalThis.fetch;
    const sampleOrigins = [base(0), base(1)].map((url) => new URL(url).origin);
    globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!sampleOrigins.includes(new URL(url).origin)) return realFetch(input, init);
      const started = Date.now();
      const record: Sent = { url, started, ms: 0, status: 'pending' };
      sent.push(record);
      try {
        const response = await realFetch(input, {
          ...init,
          signal: init?.signal ?? AbortSignal.timeout(OUTBOUND_TIMEOUT_MS + 5_000),
        });
        record.status = response.status;
        if (response.status === 400) {
          const text = await response.clone().text();
          const main = /<main[\s\S]*<\/main>/.exec(text)?.[0] ?? text;
          console.log(
            `# 400 at ${url} (${killedAt ? `${started - killedAt} ms after the kill` : 'before the kill'}): ${main
              .replace(/<[^>]+>/g, ' ')
              .replace(/\s+/g, ' ')
              .slice(0, 600)}`,
          );
        }
        return response;
      } catch (error) {
        record.status = `no answer: ${(error as Error).message}`;
        throw error;
      } finally {
        record.ms = Date.now() - started;
      }
    };

    /** Sign-outs acknowledged (the local sign-out's redirect to the identity platform): when, the cookie. */
    const signOuts: Array<{ user: string; at: number; cookie: string; instance: 0 | 1 }> = [];
    const problems: string[] = [];
    let stop = false;
    let iterations = 0;
    let failedSignIns = 0;
    /** Sign-ins refused with a 400 ("you signed out … while this sign-in was completing"). */
    const refused: string[] = [];

    async function signOut(browser: Browser, user: string, instance: 0 | 1, wasSignedIn: boolean) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const cookie = await browser.jar.getCookieString(at(instance));
        const response = await browser.request(at(instance, routes.signOut));
        await response.body?.cancel();
        const location = response.headers.get('location') ?? '';
        if (response.status === 302 && location.startsWith(env.emulator.identityUrl)) {
          if (wasSignedIn) signOuts.push({ user, at: Date.now(), cookie, instance });
          // The identity platform's sign-out page: its front-channel iframe lands on A.
          await browser.navigate(location, { method: 'GET' });
          return;
        }
        if (response.status !== 503) {
          problems.push(`${user}: sign-out answered ${response.status} ${location}`);
        }
        if (Date.now() > deadline) {
          problems.push(`${user}: sign-out not acknowledged within 30 s`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    async function worker(index: number) {
      const user = workers[index]!.userPrincipalName;
      let lastSignOut = 0;
      for (let round = 0; !stop; round++) {
        const [a, b] = (round + index) % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const);
        const browser = new Browser();
        let signedIn = false;
        try {
          const startedAt = Date.now();
          const page = await browser.signIn(at(a, routes.signIn), user, env.password);
          if (page.status === 400) {
            refused.push(`${startedAt - lastSignOut} ms after the same user's sign-out`);
          }
          signedIn = shownUser(page.html) === user || (await signedInAs(browser, b)) === user;
          if (!signedIn) failedSignIns++;
          const api = await browser.request(at(b, routes.api));
          await api.body?.cancel();
        } catch (error) {
          problems.push(`${user}: ${(error as Error).message}`);
        }
        // Sign out on the other instance than the API's, whatever happened: the user's last word.
        await signOut(browser, user, a, signedIn);
        lastSignOut = Date.now();
        iterations++;
        // And signs in again at once: a sign-in that begins after a sign-out is never taken for
        // one that began before it (the store's clock errs early by a round trip at most).
      }
    }

    const started = Date.now();
    const traffic = Promise.all(workers.map((_, index) => worker(index)));
    let failoverMs = 0;
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const { killed, at: when } = await cluster.killPrimaryOf(victimKeys![0]!);
      killedAt = when;
      console.log(`# killed the primary at ${killed.port}, ${killedAt - started} ms into traffic`);
      failoverMs = await cluster.waitForFailover(killed, killedAt);
      console.log(`# a replica was promoted ${failoverMs} ms after the kill`);
      // Traffic goes on a while after the failover: the 503s must stop by themselves.
      await new Promise((resolve) =>
        setTimeout(
          resolve,
          Math.max(0, killedAt + Math.max(failoverMs + 4_000, 8_000) - Date.now()),
        ),
      );
    } finally {
      stop = true;
      await traffic;
    }
    const failoverDone = killedAt + failoverMs;

    // Every request answered: 200/302 or a 503, none past the outbound timeout.
    const unanswered = sent.filter(
      (request) => typeof request.status !== 'number' || ![200, 302, 503].includes(request.status),
    );
    const slowest = sent.reduce((max, request) => Math.max(max, request.ms), 0);
    const unavailable = sent.filter((request) => request.status === 503);
    const last503 = unavailable.reduce((max, r) => Math.max(max, r.started + r.ms), 0);
    const duringFailover = signOuts.filter(
      (signOut) => signOut.at >= killedAt && signOut.at <= failoverDone,
    ).length;
    console.log(
      `# ${iterations} rounds, ${sent.length} requests to the samples, ${unavailable.length} answered 503` +
        (unavailable.length ? ` (the last ${last503 - killedAt} ms after the kill)` : '') +
        `, slowest ${slowest} ms; ${failedSignIns} sign-ins not completed; ${signOuts.length} sign-outs acknowledged, ${duringFailover} between the kill and the promotion`,
    );
    for (const request of unavailable) {
      console.log(
        `# 503: ${request.url} sent ${request.started - killedAt} ms after the kill, answered in ${request.ms} ms`,
      );
    }
    if (refused.length) console.log(`# refused sign-ins: ${refused.slice(0, 20).join('; ')}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      unanswered.map((request) => `${request.url}: ${request.status} after ${request.ms} ms`),
      [],
    );
    assert.ok(slowest < OUTBOUND_TIMEOUT_MS, `no request hangs (slowest ${slowest} ms)`);
    assert.ok(
      unavailable.every((request) => request.started + request.ms >= killedAt),
      'no 503 before the kill',
    );
    assert.ok(last503 <= killedAt + 15_000, `the 503s stop within 15 s (${last503 - killedAt} ms)`);
    assert.ok(
      sent.some((request) => request.started > last503 && request.status === 200),
      'requests succeed again after the last 503',
    );
    assert.ok(signOuts.length >= WORKERS, 'sign-outs were acknowledged');

    globalThis.fetch = realFetch;
    // No sign-out undone: every session signed out is gone on both instances, and every user is
    // signed out (each worker's last step was an acknowledged sign-out).
    for (const signOut of signOuts) {
      for (const instance of [0, 1] as const) {
        const home = await fetch(at(instance), { headers: { cookie: signOut.cookie } });
        assert.equal(
          shownUser(await home.text()),
          undefined,
          `${signOut.user}'s session signed out ${signOut.at - killedAt} ms after the kill is back on instance ${instance + 1}`,
        );
        const api = await apiWith(signOut.cookie, instance);
        assert.equal(api.status, 302, `${signOut.user}: the API page asks to sign in`);
        assert.ok(
          api.location.startsWith(env.emulator.identityUrl) ||
            api.location.startsWith(routes.signIn),
          api.location,
        );
      }
    }
    const names = workers.map((user) => user.userPrincipalName.toLowerCase());
    for (const instance of [0, 1] as const) {
      const left = (await usernames(instance)).filter((name) => names.includes(name));
      assert.deepEqual(left, [], `instance ${instance + 1}'s cache has no account of theirs`);
      const summary = await cacheSummary(base(instance));
      assert.deepEqual(summary.signedIn, [], `instance ${instance + 1}: nobody signed in`);
    }
    assert.deepEqual(await store.keys('aspnetcore:msal:'), [], 'no partition left in the cluster');
  });
});

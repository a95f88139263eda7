/**
 * Two instances of aspnetcore on a real Redis Cluster (3 primaries, 3 replicas: a redis-server of
 * this test's own per node), end to end through the pages: they act as one app, a front-channel
 * sign-out reaches both; a primary killed under sign-in/sign-out traffic answers every request
 * (200/302, or a 503 page for a while) and undoes no sign-out; and so does a slot moved to another
 * primary by hand under the same traffic (ASK, TRYAGAIN, then MOVED). And what makes a sign-out
 * survive a failover at all: a sign-out no replica acknowledged is a 503 page, not "signed out" —
 * rightly, since the failover that follows does lose it; done again, it holds.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { tag } from '../shared/core/store/hash-slot.ts';
import { NAMESPACE, RedisStore } from '../shared/core/store/redis-store.ts';
import { Browser, parseForm } from './helpers/browser.ts';
import { cacheSummary, startSamples, type TestEnvironment } from './helpers/environment.ts';
import {
  type ClusterNode,
  startRedisCluster,
  type TestRedisCluster,
  until,
} from './helpers/redis-cluster.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const routes = SAMPLE_ROUTES.aspnetcore;
/** OUTBOUND_TIMEOUT_SECONDS' default: no request may take longer. */
const OUTBOUND_TIMEOUT_MS = 10_000;
const WORKERS = 6;
/** How long a slot's move rests between its steps (IMPORTING/MIGRATING, MIGRATE, NODE): the store's
 * durable steps wait the move out within its 2 s, so a move must take less. */
const RESHARD_PAUSE_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

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

type User = TestEnvironment['emulator']['users'][number];
/** The generated users: a browser each in the traffic. */
function loadUsers(): User[] {
  const users = env.emulator.users.filter((user) => user.userPrincipalName.startsWith('loaduser'));
  assert.equal(users.length, WORKERS);
  return users;
}

/** A request to a sample, timed (Browser and the checks use the global fetch). */
interface Sent {
  url: string;
  started: number;
  ms: number;
  status: number | string;
}
/** A sign-out acknowledged (the local sign-out's redirect to the identity platform). */
interface SignOut {
  user: string;
  at: number;
  cookie: string;
  instance: 0 | 1;
}
/** One user's sign-in, API call and sign-out. */
interface Round {
  user: string;
  started: number;
  ended: number;
  signedIn: boolean;
  api?: number;
}
interface Traffic {
  started: number;
  /** What the test does under traffic (the kill, the move), and when: `during` sets `eventAt`. */
  event: string;
  eventAt: number;
  sent: Sent[];
  signOuts: SignOut[];
  rounds: Round[];
  problems: string[];
  /** Sign-ins refused with a 400 ("you signed out … while this sign-in was completing"). */
  refused: string[];
  failedSignIns: number;
}

/**
 * Every generated user in a browser of their own, round after round until `during` is over: signs
 * in on one instance, calls the API on the other, signs out on the first (whatever happened: the
 * user's last word, retried past 503s) and signs in again at once, the instances swapping every
 * round. Every request to a sample is recorded, timed.
 */
async function underTraffic(
  event: string,
  during: (traffic: Traffic) => Promise<void>,
): Promise<Traffic> {
  const users = loadUsers();
  const traffic: Traffic = {
    started: Date.now(),
    event,
    eventAt: 0,
    sent: [],
    signOuts: [],
    rounds: [],
    problems: [],
    refused: [],
    failedSignIns: 0,
  };
  const since = (time: number) =>
    traffic.eventAt ? `${time - traffic.eventAt} ms after the ${event}` : `before the ${event}`;
  const realFetch = globalThis.fetch;
  const sampleOrigins = [base(0), base(1)].map((url) => new URL(url).origin);
  globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!sampleOrigins.includes(new URL(url).origin)) return realFetch(input, init);
    const started = Date.now();
    const record: Sent = { url, started, ms: 0, status: 'pending' };
    traffic.sent.push(record);
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
          `# 400 at ${url} (${since(started)}): ${main
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

  let stop = false;
  async function signOut(browser: Browser, user: string, instance: 0 | 1, wasSignedIn: boolean) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const cookie = await browser.jar.getCookieString(at(instance));
      const response = await browser.request(at(instance, routes.signOut));
      await response.body?.cancel();
      const location = response.headers.get('location') ?? '';
      if (response.status === 302 && location.startsWith(env.emulator.identityUrl)) {
        if (wasSignedIn) traffic.signOuts.push({ user, at: Date.now(), cookie, instance });
        // The identity platform's sign-out page: its front-channel iframe lands on A.
        await browser.navigate(location, { method: 'GET' });
        return;
      }
      if (response.status !== 503) {
        traffic.problems.push(`${user}: sign-out answered ${response.status} ${location}`);
      }
      if (Date.now() > deadline) {
        traffic.problems.push(`${user}: sign-out not acknowledged within 30 s`);
        return;
      }
      await sleep(250);
    }
  }

  async function worker(index: number) {
    const user = users[index]!.userPrincipalName;
    let lastSignOut = 0;
    for (let round = 0; !stop; round++) {
      const [a, b] = (round + index) % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const);
      const browser = new Browser();
      const record: Round = { user, started: Date.now(), ended: 0, signedIn: false };
      try {
        const page = await browser.signIn(at(a, routes.signIn), user, env.password);
        if (page.status === 400) {
          traffic.refused.push(`${record.started - lastSignOut} ms after the same user's sign-out`);
        }
        record.signedIn = shownUser(page.html) === user || (await signedInAs(browser, b)) === user;
        if (!record.signedIn) traffic.failedSignIns++;
        const api = await browser.request(at(b, routes.api));
        await api.body?.cancel();
        record.api = api.status;
      } catch (error) {
        traffic.problems.push(`${user}: ${(error as Error).message}`);
      }
      // Sign out on the other instance than the API's, whatever happened: the user's last word.
      await signOut(browser, user, a, record.signedIn);
      lastSignOut = record.ended = Date.now();
      traffic.rounds.push(record);
      // And signs in again at once: a sign-in that begins after a sign-out is never taken for
      // one that began before it (the store's clock errs early by a round trip at most).
    }
  }

  const running = Promise.all(users.map((_, index) => worker(index)));
  try {
    await during(traffic);
  } finally {
    stop = true;
    await running;
    globalThis.fetch = realFetch;
  }

  const unavailable = traffic.sent.filter((request) => request.status === 503);
  const after = traffic.signOuts.filter((signOut) => signOut.at >= traffic.eventAt).length;
  console.log(
    `# ${traffic.rounds.length} rounds in ${Date.now() - traffic.started} ms, ${traffic.sent.length} requests to the samples, ${unavailable.length} answered 503` +
      `, slowest ${slowestOf(traffic)} ms; ${traffic.failedSignIns} sign-ins not completed; ${traffic.signOuts.length} sign-outs acknowledged, ${after} after the ${event}`,
  );
  for (const request of unavailable) {
    console.log(
      `# 503: ${request.url} sent ${since(request.started)}, answered in ${request.ms} ms`,
    );
  }
  if (traffic.refused.length) {
    console.log(`# refused sign-ins: ${traffic.refused.slice(0, 20).join('; ')}`);
  }
  return traffic;
}

/** The requests answered with neither 200, 302 nor one of `also`. */
const unanswered = (traffic: Traffic, also: number[] = []) =>
  traffic.sent
    .filter(
      (request) =>
        typeof request.status !== 'number' || ![200, 302, ...also].includes(request.status),
    )
    .map((request) => `${request.url}: ${request.status} after ${request.ms} ms`);
const slowestOf = (traffic: Traffic) =>
  traffic.sent.reduce((max, request) => Math.max(max, request.ms), 0);

/**
 * No sign-out undone: every session signed out is gone on both instances, and every user is signed
 * out (each round's last step was an acknowledged sign-out), their tokens gone from the cluster.
 */
async function assertNoSignOutUndone(traffic: Traffic) {
  for (const signOut of traffic.signOuts) {
    for (const instance of [0, 1] as const) {
      const home = await fetch(at(instance), { headers: { cookie: signOut.cookie } });
      assert.equal(
        shownUser(await home.text()),
        undefined,
        `${signOut.user}'s session signed out ${signOut.at - traffic.eventAt} ms after the ${traffic.event} is back on instance ${instance + 1}`,
      );
      const api = await apiWith(signOut.cookie, instance);
      assert.equal(api.status, 302, `${signOut.user}: the API page asks to sign in`);
      assert.ok(
        api.location.startsWith(env.emulator.identityUrl) || api.location.startsWith(routes.signIn),
        api.location,
      );
    }
  }
  const names = loadUsers().map((user) => user.userPrincipalName.toLowerCase());
  for (const instance of [0, 1] as const) {
    const left = (await usernames(instance)).filter((name) => names.includes(name));
    assert.deepEqual(left, [], `instance ${instance + 1}'s cache has no account of theirs`);
    const summary = await cacheSummary(base(instance));
    assert.deepEqual(summary.signedIn, [], `instance ${instance + 1}: nobody signed in`);
  }
  assert.deepEqual(await store.keys('aspnetcore:msal:'), [], 'no partition left in the cluster');
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
    const redis = cluster;

    // The primary that holds the most of the workers' partitions: traffic meets its death.
    const owners = new Map<number, string[]>();
    for (const user of loadUsers()) {
      const key = NAMESPACE + partitionKey(homeAccountIdOf(user.oid));
      const { port } = await redis.primaryOf(key);
      owners.set(port, [...(owners.get(port) ?? []), key]);
    }
    const [victimKeys] = [...owners.values()].sort((a, b) => b.length - a.length);
    console.log(
      `# partitions per primary: ${[...owners].map(([port, keys]) => `${port}: ${keys.length}`).join(', ')}`,
    );

    let failoverMs = 0;
    const traffic = await underTraffic('kill', async (traffic) => {
      await sleep(2_000);
      const { killed, at: killedAt } = await redis.killPrimaryOf(victimKeys![0]!);
      traffic.eventAt = killedAt;
      console.log(
        `# killed the primary at ${killed.port}, ${killedAt - traffic.started} ms into traffic`,
      );
      failoverMs = await redis.waitForFailover(killed, killedAt);
      console.log(`# a replica was promoted ${failoverMs} ms after the kill`);
      // Traffic goes on a while after the failover: the 503s must stop by themselves.
      await sleep(killedAt + Math.max(failoverMs + 4_000, 8_000) - Date.now());
    });
    const killedAt = traffic.eventAt;
    const failoverDone = killedAt + failoverMs;

    // Every request answered: 200/302 or a 503, none past the outbound timeout.
    const slowest = slowestOf(traffic);
    const unavailable = traffic.sent.filter((request) => request.status === 503);
    const last503 = unavailable.reduce((max, r) => Math.max(max, r.started + r.ms), 0);
    const duringFailover = traffic.signOuts.filter(
      (signOut) => signOut.at >= killedAt && signOut.at <= failoverDone,
    ).length;
    console.log(
      `# ${unavailable.length ? `the last 503 ${last503 - killedAt} ms after the kill` : 'no 503'}; ${duringFailover} sign-outs between the kill and the promotion`,
    );
    assert.deepEqual(traffic.problems, []);
    assert.deepEqual(unanswered(traffic, [503]), []);
    assert.ok(slowest < OUTBOUND_TIMEOUT_MS, `no request hangs (slowest ${slowest} ms)`);
    assert.ok(
      unavailable.every((request) => request.started + request.ms >= killedAt),
      'no 503 before the kill',
    );
    assert.ok(last503 <= killedAt + 15_000, `the 503s stop within 15 s (${last503 - killedAt} ms)`);
    assert.ok(
      traffic.sent.some((request) => request.started > last503 && request.status === 200),
      'requests succeed again after the last 503',
    );
    assert.ok(traffic.signOuts.length >= WORKERS, 'sign-outs were acknowledged');
    await assertNoSignOutUndone(traffic);
  });

  test('a slot moved to another primary under sign-in/sign-out traffic (ASK, TRYAGAIN, then MOVED): every request 200/302, no sign-out undone', async (t) => {
    if (!cluster) return t.skip('redis-server is not installed (see the message above)');
    const redis = cluster;

    // Two users' partitions, each moved in turn to a primary that does not serve it (after the
    // kill test, one primary is a promoted replica without a replica of its own: either may be).
    const primaries = (await redis.nodes()).filter(
      (node) => node.role === 'master' && !node.failed && node.slots.length > 0,
    );
    interface Move {
      /** Whose keys: a user's partition (the user's name), or a sid's index. */
      what: string;
      user?: string;
      key: string;
      slot: number;
      from: ClusterNode;
      to: ClusterNode;
      started: number;
      ended: number;
      /** What the old owner answered while the slot moved. */
      answered: { ASK: number; TRYAGAIN: number; MOVED: number };
    }
    const planned = async (key: string, what: string, index: number): Promise<Move> => {
      const from = await redis.primaryOf(key);
      const to = primaries.filter((node) => node.id !== from.id)[index % 2]!;
      const slot = await redis.slotOf(key);
      return {
        what,
        key,
        slot,
        from,
        to,
        started: 0,
        ended: 0,
        answered: { ASK: 0, TRYAGAIN: 0, MOVED: 0 },
      };
    };
    const moves: Move[] = await Promise.all(
      loadUsers()
        .slice(0, 2)
        .map(async (user, index) => ({
          ...(await planned(
            NAMESPACE + partitionKey(homeAccountIdOf(user.oid)),
            `${user.userPrincipalName}'s partition`,
            index,
          )),
          user: user.userPrincipalName,
        })),
    );
    assert.notEqual(moves[0]!.slot, moves[1]!.slot);
    /** The redirections a node has answered so far (`INFO errorstats`). */
    const redirects = async (port: number) => {
      const stats = await redis.cli(port, 'INFO', 'errorstats');
      const count = (error: string) =>
        Number(new RegExp(`errorstat_${error}:count=(\\d+)`).exec(stats)?.[1] ?? 0);
      return { ASK: count('ASK'), TRYAGAIN: count('TRYAGAIN'), MOVED: count('MOVED') };
    };
    const move = async (move: Move, traffic: Traffic) => {
      const slot = String(move.slot);
      const keys = await redis.cli(move.from.port, 'CLUSTER', 'COUNTKEYSINSLOT', slot);
      const before = await redirects(move.from.port);
      move.started = Date.now();
      const ms = await redis.reshardSlotOf(move.key, { to: move.to, pauseMs: RESHARD_PAUSE_MS });
      move.ended = Date.now();
      // What the old owner answered meanwhile (the instances' clients: nothing else asks).
      const seen = await redirects(move.from.port);
      for (const error of Object.keys(move.answered) as Array<keyof Move['answered']>) {
        move.answered[error] = seen[error] - before[error];
      }
      console.log(
        `# slot ${slot} (${move.what}, ${keys} keys) moved from ${move.from.port} to ${move.to.port} in ${ms} ms, ${move.started - traffic.started} ms into traffic; meanwhile ${move.from.port} answered ${JSON.stringify(move.answered)}`,
      );
    };
    const traffic = await underTraffic('move', async (traffic) => {
      await sleep(1_000);
      traffic.eventAt = Date.now();
      for (const each of moves) await move(each, traffic);
      // Then the index of a sid signed in now (each browser's session has a sid of its own: it
      // lives one round), its sign-out likely to meet the move.
      const sids = (await store.keys('aspnetcore:sid:')).map((key) => NAMESPACE + key);
      const sid = sids.at(-1);
      if (sid) {
        const sidMove = await planned(sid, `the index of ${sid}`, moves.length);
        if (moves.every((each) => each.slot !== sidMove.slot)) {
          moves.push(sidMove);
          await move(sidMove, traffic);
        }
      } else console.log('# no sid index in the cluster at that moment: no sid moved');
      // Traffic goes on a while after the moves: on the new primary.
      await sleep(1_500);
    });

    // Every request answered: a durable step meeting the move waits for its end (under the store's
    // 2 s). A 503 is an answer (the sign-out is retried, as a person would): a replica held past
    // the 500 ms WAIT on a loaded machine gives one. (The 503 once seen here in six runs while a sid
    // index's slot moved was REMOVE_FROM_SET touching a set its SREM had just deleted: fixed, and
    // tested in redis-cluster.test.ts.) Requests succeed again after the last; none hangs.
    const slowest = slowestOf(traffic);
    assert.deepEqual(traffic.problems, []);
    assert.deepEqual(unanswered(traffic, [503]), []);
    const unavailable = traffic.sent.filter((request) => request.status === 503);
    const last503 = unavailable.reduce((max, r) => Math.max(max, r.started + r.ms), 0);
    if (unavailable.length > 0) {
      console.log(`# ${unavailable.length} answered 503 during the moves`);
      assert.ok(
        traffic.sent.some((request) => request.started > last503 && request.status === 200),
        'requests succeed again after the last 503',
      );
    }
    assert.ok(slowest < OUTBOUND_TIMEOUT_MS, `no request hangs (slowest ${slowest} ms)`);
    assert.ok(traffic.signOuts.length >= WORKERS, 'sign-outs were acknowledged');

    for (const move of moves) {
      if (move.user) {
        // The traffic met the move (the old owner redirected it), and went on once it was over.
        assert.ok(
          move.answered.ASK + move.answered.TRYAGAIN > 0,
          `the instances met slot ${move.slot}'s migration: ${JSON.stringify(move.answered)}`,
        );
        const rounds = traffic.rounds.filter((round) => round.user === move.user);
        assert.ok(
          rounds.some((round) => round.started < move.ended && round.ended > move.started),
          `${move.user} was signing in or out while the slot moved`,
        );
        assert.ok(
          rounds.some((round) => round.started > move.ended && round.signedIn && round.api === 200),
          `${move.user} signed in and called the API after the move`,
        );
      }
      // The new primary serves the slot, in every primary's view; the old one sends clients there.
      const slot = String(move.slot);
      assert.equal((await redis.primaryOf(move.key)).id, move.to.id, `slot ${slot} moved`);
      for (const primary of primaries) {
        const nodes = await redis.cli(primary.port, 'CLUSTER', 'NODES');
        assert.ok(!nodes.includes(`[${slot}-`), `${primary.port}: no migration of ${slot} left`);
        const owner = nodes.split('\n').find((line) => line.startsWith(`${move.to.id} `));
        const ranges = owner?.split(' ').slice(8) ?? [];
        assert.ok(
          ranges.some((range) => {
            const [a, b = a] = range.split('-').map(Number);
            return move.slot >= a! && move.slot <= b!;
          }),
          `${primary.port} sees slot ${slot} on ${move.to.port}`,
        );
      }
      assert.match(
        await redis.cli(move.from.port, 'GET', move.key),
        new RegExp(`MOVED ${slot} 127\\.0\\.0\\.1:${move.to.port}`),
      );
      // Its keys (at least the removal marker a sign-out leaves) are there, none on the old one.
      assert.equal(await redis.cli(move.from.port, 'CLUSTER', 'COUNTKEYSINSLOT', slot), '0');
      assert.ok(Number(await redis.cli(move.to.port, 'CLUSTER', 'COUNTKEYSINSLOT', slot)) >= 1);
    }
    await assertNoSignOutUndone(traffic);
  });

  test('a sign-out no replica acknowledged is a 503 page, and the failover that follows loses it indeed; done again, it holds on both instances', async (t) => {
    if (!cluster) return t.skip('redis-server is not installed (see the message above)');
    const redis = cluster;

    // The local sign-out's first step removes the user's token partition (a durable removal: the
    // script, then WAIT 1 on the partition's primary); the sid's marker and the sessions come
    // after it, and only if it succeeded. So the replica that matters is the partition primary's.
    // A user whose partition's primary has a live replica (the kill above left one without).
    const nodes = await redis.nodes();
    const [user, partition, primary, replica] = await (async () => {
      for (const candidate of env.emulator.users) {
        const key = partitionKey(homeAccountIdOf(candidate.oid));
        const owner = await redis.primaryOf(NAMESPACE + key);
        const itsReplica = nodes.find((node) => node.primaryId === owner.id && !node.failed);
        if (itsReplica) return [candidate, key, owner, itsReplica] as const;
      }
      assert.fail('no user whose partition is on a primary with a replica');
    })();
    console.log(
      `# ${user.userPrincipalName}'s partition: primary ${primary.port}, replica ${replica.port}`,
    );

    // Signed in through A; B uses the tokens: they are in the cluster.
    const browser = new Browser();
    await browser.signIn(at(0, routes.signIn), user.userPrincipalName, env.password);
    assert.equal(await signedInAs(browser, 0), user.userPrincipalName, 'signed in through A');
    const cookie = await browser.jar.getCookieString(at(0));
    assert.equal((await apiWith(cookie, 1)).status, 200, 'B uses the tokens');
    // Everything so far is on the replica too (the tokens included).
    await until('the replica has caught up', async () => {
      const info = await redis.cli(primary.port, 'INFO', 'replication');
      const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
      return info.includes(`port=${replica.port},state=online,offset=${offset},`) || undefined;
    });

    // The replica frozen, and cut off: what the primary does from now on, no replica has (frozen
    // only, it would still find the removal on its link when resumed). Cut off, it is no longer in
    // the primary's `INFO replication`, but the cluster still lists it, and a failover can still
    // promote it: the store must WAIT for it all the same.
    redis.pause(replica.port);
    try {
      await redis.cli(primary.port, 'CLIENT', 'KILL', 'TYPE', 'replica');
      // The user signs out on A. The removal runs on the primary, no replica acknowledges it in
      // the WAIT's 500 ms: a 503 page, which still shows the user signed in — not "signed out".
      const refused = await browser.request(at(0, routes.signOut));
      const page = await refused.text();
      assert.equal(refused.status, 503, 'a sign-out no replica acknowledged is not said done');
      assert.match(page, /Redis is not available/);
      assert.match(page, /try again/);
      assert.equal(shownUser(page), user.userPrincipalName, 'the page shows them signed in');
      // The primary dies before its replica had the removal; the replica, resumed, is promoted.
      const { killed, at: killedAt } = await redis.killPrimaryOf(NAMESPACE + partition);
      redis.resume(replica.port);
      const failoverMs = await redis.waitForFailover(killed, killedAt);
      console.log(`# ${replica.port} promoted ${failoverMs} ms after the kill`);
    } finally {
      redis.resume(replica.port);
    }

    // The removal is lost indeed: the tokens are back, and B uses them again. Had the sign-out
    // been said done, this would be a sign-out undone.
    const { value } = await until('the cluster answers for the partition', async () => ({
      value: await store.get(partition),
    }));
    assert.ok(value, 'the partition is back with the promoted replica');
    const api = await until('B answers (not 503)', async () => {
      const answer = await apiWith(cookie, 1);
      return answer.status === 503 ? undefined : answer;
    });
    assert.equal(api.status, 200, 'still signed in, with tokens, as the 503 page said');

    // The user tries again (as the page asks): on the new primary (no replica: no WAIT) it is
    // done, the usual redirect to the identity platform's sign-out.
    const retried = await until('the sign-out answered (not 503)', async () => {
      const response = await browser.request(at(0, routes.signOut));
      await response.body?.cancel();
      return response.status === 503 ? undefined : response;
    });
    const location = retried.headers.get('location') ?? '';
    assert.equal(retried.status, 302, 'the sign-out, done again, is acknowledged');
    assert.ok(location.startsWith(env.emulator.identityUrl), location);
    await browser.navigate(location, { method: 'GET' });

    // And it holds: neither instance uses the tokens, the old cookie replayed asks to sign in,
    // the partition is gone from the cluster.
    for (const instance of [0, 1] as const) {
      assert.equal(await signedInAs(browser, instance), undefined);
      const replayed = await apiWith(cookie, instance);
      assert.equal(replayed.status, 302, `instance ${instance + 1}'s API page asks to sign in`);
      assert.ok(
        replayed.location.startsWith(env.emulator.identityUrl) ||
          replayed.location.startsWith(routes.signIn),
        replayed.location,
      );
      assert.ok(
        !(await usernames(instance)).includes(user.userPrincipalName.toLowerCase()),
        `instance ${instance + 1}'s inspector no longer sees the user`,
      );
    }
    assert.equal(await store.get(partition), undefined, 'the partition is gone');
    assert.ok(
      !(await store.keys('aspnetcore:msal:')).includes(partition),
      'nowhere in the cluster',
    );
  });
});

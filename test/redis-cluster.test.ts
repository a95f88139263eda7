/**
 * RedisStore on a real Redis Cluster (3 primaries, 3 replicas) and on one primary with a replica:
 * routing, guards, WAIT on removals, client-side caching across instances, keys on every shard, a
 * slot moved under traffic, a primary killed under traffic — no sign-out undone by the failover.
 * The store's own keys here (`a{t}`); the samples on a cluster, end to end: cluster-scale-out.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createClient, createCluster } from 'redis';
import { ServiceUnavailableError } from '../shared/core/errors.ts';
import { tag, tagBeside } from '../shared/core/store/hash-slot.ts';
import { NAMESPACE, RedisStore } from '../shared/core/store/redis-store.ts';
import { startRedis } from './helpers/redis.ts';
import {
  startPrimaryWithReplica,
  startRedisCluster,
  type TestRedisCluster,
  until,
} from './helpers/redis-cluster.ts';

const TIMEOUT_MS = 2_000;
const options = { timeoutMs: TIMEOUT_MS, variable: 'REDIS_CLUSTER_NODES', log() {} };
const set = (key: string, value: string) => ({ set: key, value, ttlSeconds: 60 });

describe('RedisStore on a Redis Cluster', () => {
  let cluster: TestRedisCluster | undefined;
  let store: RedisStore;
  const skip = { skip: (message?: string) => console.warn(message) };

  before(async () => {
    cluster = await startRedisCluster(skip);
    if (!cluster) return;
    console.log(`# cluster of 6 nodes started in ${cluster.startMs} ms`);
    store = await RedisStore.connectCluster(cluster.urls, options);
  });
  after(async () => {
    await store?.close();
    await cluster?.close();
  });

  /** A key (`<name><i>{<name><i>}`) whose primary has a live replica, with both. */
  async function keyWithReplica(name: string) {
    assert.ok(cluster);
    const nodes = await cluster.nodes();
    for (let i = 0; i < 200; i++) {
      const key = `${name}${i}{${name}${i}}`;
      const primary = await cluster.primaryOf(NAMESPACE + key);
      const replica = nodes.find((node) => node.primaryId === primary.id && !node.failed);
      if (replica) return { key, primary, replica };
    }
    assert.fail('no primary with a replica');
  }

  test('get, write, remove and guards, keys of one tag', async (t) => {
    if (!cluster) return t.skip('no redis-server');
    const since = store.now();
    assert.equal(await store.write([set('a{t}', 'one')]), true);
    assert.equal(await store.get('a{t}'), 'one');
    assert.equal(await store.deleteIfUnchanged('a{t}', 'other'), false);
    await store.remove(['a{t}']);
    assert.equal(await store.get('a{t}'), undefined);
    // A write that began before the removal is refused; one after it, accepted.
    assert.equal(
      await store.write([set('a{t}', 'two')], [{ unlessRemoved: 'a{t}', since }]),
      false,
    );
    // One begun after it is accepted: now() errs early (the earliest clock of every node, less
    // each measure's round trip, tens of ms on a busy machine), so a write right after a removal
    // may still be refused — the safe side. Within three seconds it must be accepted.
    const deadline = Date.now() + 3_000;
    let accepted = false;
    while (!accepted && Date.now() < deadline) {
      accepted = await store.write(
        [set('a{t}', 'three')],
        [{ unlessRemoved: 'a{t}', since: store.now() }],
      );
      if (!accepted) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(accepted, true, 'a write begun after the removal is accepted');
    await store.write([{ addToSet: 'set{t}', member: 'm', ttlSeconds: 60 }]);
    assert.deepEqual(await store.setMembers('set{t}'), ['m']);
    await store.removeFromSet('set{t}', 'm', ['a{t}']);
    assert.deepEqual(await store.setMembers('set{t}'), []);
    assert.equal(await store.get('a{t}'), undefined);
  });

  test('a removal is WAITed: its marker is on the replica when remove() returns', async (t) => {
    if (!cluster) return t.skip('no redis-server');
    const primary = await cluster.primaryOf(`${NAMESPACE}w{t}`);
    const replica = (await cluster.nodes()).find((node) => node.primaryId === primary.id);
    assert.ok(replica, 'the primary has a replica');
    await store.write([set('w{t}', 'v')]);
    await store.remove(['w{t}']);
    const reader = createClient({ url: `redis://127.0.0.1:${replica.port}` });
    await reader.connect();
    await reader.sendCommand(['READONLY']);
    assert.match(String(await reader.sendCommand(['GET', `${NAMESPACE}removed:w{t}`])), /^\d+$/);
    await reader.close();
    // The replica frozen: no acknowledgement within the WAIT's 500 ms, a 503, within the timeout.
    cluster.pause(replica.port);
    try {
      const started = Date.now();
      await assert.rejects(store.remove(['w{t}']), ServiceUnavailableError);
      const took = Date.now() - started;
      console.log(`# remove() with the replica frozen: 503 after ${took} ms`);
      assert.ok(took < TIMEOUT_MS, `${took} ms`);
    } finally {
      cluster.resume(replica.port);
    }
    await store.remove(['w{t}']);
  });

  test('keys() and stats() see the keys of every shard', async (t) => {
    if (!cluster) return t.skip('no redis-server');
    const keys = Array.from({ length: 30 }, (_, i) => `spread:{${i}}`);
    for (const key of keys) await store.write([set(key, 'x')]);
    await store.remove(['spread:{0}']);
    const primaries = new Set(
      await Promise.all(keys.map(async (key) => (await cluster!.primaryOf(NAMESPACE + key)).id)),
    );
    assert.equal(primaries.size, 3, 'the keys are on the three primaries');
    assert.deepEqual((await store.keys('spread:')).sort(), keys.slice(1).sort());
    assert.deepEqual(await store.stats('spread:'), { entries: 29, removalMarkers: 1 });
  });

  test("what the client-side copy's freshness rests on: a read on the key's node orders its invalidation, a read on another node does not", async (t) => {
    if (!cluster) return t.skip('no redis-server');
    // node-redis and Redis alone, as RedisStore uses them (RESP3, tracking, no replicas read),
    // B's link to the key's node slowed by 30 ms (a far node): after A's change, B reads a key of
    // the same slot (a signed-in session beside its user's partition), or of another node, then
    // the copy. Only the first must find the copy dropped; the second shows the test can tell.
    const DELAY_MS = 30;
    const key = `p:${tag('u', 'someone.tenant')}`;
    const node = await cluster.primaryOf(key);
    const slow = createServer((client) => {
      const upstream = connect(node.port, '127.0.0.1');
      for (const socket of [client, upstream]) socket.on('error', () => {});
      client.pipe(upstream);
      upstream.on('data', (chunk) => setTimeout(() => client.write(chunk), DELAY_MS));
      upstream.on('close', () => setTimeout(() => client.destroy(), DELAY_MS + 5));
      client.on('close', () => upstream.destroy());
    }).listen(0, '127.0.0.1');
    await once(slow, 'listening');
    const slowPort = (slow.address() as { port: number }).port;
    const b = createCluster({
      rootNodes: cluster.urls.map((url) => ({ url })),
      RESP: 3,
      useReplicas: false,
      nodeAddressMap: (address: string) => {
        const [host = '', port] = address.split(':');
        return Number(port) === node.port
          ? { host: '127.0.0.1', port: slowPort }
          : { host, port: Number(port) };
      },
      clientSideCache: { maxEntries: 100, evictPolicy: 'LRU' },
    });
    const a = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })), RESP: 3 });
    await Promise.all([a.connect(), b.connect()]);
    t.after(async () => {
      b.destroy();
      a.destroy();
      slow.close();
    });
    const beside = `s:${tagBeside('u', 'someone.tenant')}:id`;
    let elsewhere = '';
    for (let i = 0; (await cluster.primaryOf(elsewhere)).port === node.port || !elsewhere; i++) {
      elsewhere = `s:{x:${i}}`;
    }
    const stale = { beside: 0, elsewhere: 0 };
    const ROUNDS = 20;
    for (const [first, name] of [
      [beside, 'beside'],
      [elsewhere, 'elsewhere'],
    ] as const) {
      for (let round = 0; round < ROUNDS; round++) {
        await a.set(key, `v${round}`);
        // B's copy of the new value (the read beside first: the last round's copy is gone).
        await b.sendCommand(beside, true, ['GET', beside]);
        await b.get(key);
        assert.equal(await b.get(key), `v${round}`, 'the copy');
        await a.del(key);
        await b.sendCommand(first, true, ['GET', first]);
        if ((await b.get(key)) !== null) stale[name] += 1;
      }
    }
    t.diagnostic(
      `old copy served: ${stale.beside} of ${ROUNDS} beside, ${stale.elsewhere} elsewhere`,
    );
    assert.equal(stale.beside, 0, 'a read in the same slot first: never the old copy');
    assert.ok(stale.elsewhere > ROUNDS / 2, `another node first: ${stale.elsewhere} of ${ROUNDS}`);
  });

  test('client-side cache: a copy served locally, dropped when another instance writes', async (t) => {
    if (!cluster) return t.skip('no redis-server');
    const other = await RedisStore.connectCluster(cluster.urls, options);
    t.after(() => other.close());
    await store.write([set('c{t}', 'first')]);
    assert.equal(await other.get('c{t}', { cacheable: true }), 'first');
    const primary = await cluster.primaryOf(`${NAMESPACE}c{t}`);
    const hits = async () =>
      Number(/keyspace_hits:(\d+)/.exec(await cluster!.cli(primary.port, 'INFO', 'stats'))?.[1]);
    const before = await hits();
    assert.equal(await other.get('c{t}', { cacheable: true }), 'first');
    assert.equal(await hits(), before, 'the second read did not reach Redis');
    // As a request does: a read on the key's node first (its session, which shares its user's
    // slot), which brings the copy up to date (RedisStore.get).
    const request = async () => {
      await other.get('session{t}');
      return other.get('c{t}', { cacheable: true });
    };
    await store.write([set('c{t}', 'second')]);
    assert.equal(await request(), 'second');
    await store.remove(['c{t}']);
    assert.equal(await request(), undefined);
  });

  test('a slot moved during traffic: every call answers (TRYAGAIN retried)', async (t) => {
    if (!cluster) return t.skip('no redis-server');
    let stop = false;
    const failures: unknown[] = [];
    let calls = 0;
    const loop = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        try {
          // Two keys of the tag in one script: what a migration answers TRYAGAIN to.
          const key = `r${worker}:${i % 20}{r}`;
          await store.write([set(key, String(i))], [{ unlessRemoved: key, since: store.now() }]);
          await store.get(key);
          if (i % 5 === 0) await store.remove([key]);
          calls++;
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const loops = [0, 1, 2, 3].map(loop);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const took = await cluster.reshardSlotOf(`${NAMESPACE}r0:0{r}`, { pauseMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await Promise.all(loops);
    console.log(
      `# slot moved in ${took} ms under traffic: ${calls} calls, ${failures.length} failed`,
    );
    assert.deepEqual(failures, []);
  });

  test("a set's last member removed while its slot is migrating, the set not yet moved: no script error", async (t) => {
    if (!cluster) return t.skip('no redis-server');
    // The sid index's case (sessions.ts): a set of one session, its slot MIGRATING, its keys still on
    // the old owner. A script touching a key it has just deleted there meets a key the node no
    // longer has in a migrating slot: Redis refuses that command inside the script
    // ("ERR Script attempted to access a non local key"), after the script's earlier writes.
    const setKey = 'last{m}';
    const also = 'also{m}';
    await store.write([{ addToSet: setKey, member: 'only', ttlSeconds: 60 }]);
    await store.write([{ addToSet: 'two{m}', member: 'a', ttlSeconds: 60 }]);
    await store.write([{ addToSet: 'two{m}', member: 'b', ttlSeconds: 60 }]);
    await store.write([set(also, 'x')]);
    const key = NAMESPACE + setKey;
    const slot = String(await cluster.slotOf(key));
    const from = await cluster.primaryOf(key);
    const to = (await cluster.nodes()).find(
      (node) => node.role === 'master' && !node.failed && node.id !== from.id,
    );
    assert.ok(to);
    await cluster.cli(to.port, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', from.id);
    await cluster.cli(from.port, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', to.id);
    try {
      await store.removeFromSet('two{m}', 'a');
      await store.removeFromSet(setKey, 'only', [also]);
    } finally {
      // The keys never left the old owner: the slot stays there.
      await cluster.cli(to.port, 'CLUSTER', 'SETSLOT', slot, 'STABLE');
      await cluster.cli(from.port, 'CLUSTER', 'SETSLOT', slot, 'STABLE');
    }
    assert.deepEqual(await store.setMembers(setKey), []);
    assert.equal(await store.get(also), undefined);
    assert.deepEqual(await store.setMembers('two{m}'), ['b']);
  });

  test('a primary killed during traffic: answers within the timeout, 503s for a while, no removal undone', async (t) => {
    if (!cluster) return t.skip('no redis-server');
    // Removals acknowledged by a replica before the kill.
    const removed = Array.from({ length: 20 }, (_, i) => `gone${i}{f}`);
    for (const key of removed) await store.write([set(key, 'tokens')]);
    await store.remove(removed.slice(0, 10));
    for (const key of removed.slice(10)) await store.remove([key]);

    let stop = false;
    const results: Array<{ at: number; ms: number; ok: boolean }> = [];
    const loop = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        const started = Date.now();
        let ok = true;
        try {
          const key = `live${worker}:${i % 10}{f}`;
          await store.write([set(key, String(i))]);
          await store.get(key);
        } catch (error) {
          assert.ok(error instanceof ServiceUnavailableError, String(error));
          ok = false;
          // now() errs early by up to a round trip of the slowest clock measure (start-up: tens of ms).
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        results.push({ at: started, ms: Date.now() - started, ok });
      }
    };
    const loops = [0, 1, 2, 3].map(loop);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { killed, at } = await cluster.killPrimaryOf(`${NAMESPACE}gone0{f}`);
    const failoverMs = await cluster.waitForFailover(killed, at);
    // Keep going until the calls have answered for a second in a row, at most 15 s after the kill.
    while (Date.now() - at < 15_000) {
      const recent = results.filter((r) => r.at > Date.now() - 1000);
      if (recent.length > 0 && recent.every((r) => r.ok) && results.at(-1)!.at - at > 1000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    stop = true;
    await Promise.all(loops);
    const failed = results.filter((r) => !r.ok);
    const window = failed.length > 0 ? Math.max(...failed.map((r) => r.at + r.ms)) - at : 0;
    const slowest = Math.max(...results.map((r) => r.ms));
    console.log(
      `# failover: replica promoted ${failoverMs} ms after the kill; ${results.length} calls, ${failed.length} answered 503, the last 503 ${window} ms after the kill; slowest call ${slowest} ms`,
    );
    assert.ok(slowest < TIMEOUT_MS + 500, `slowest call ${slowest} ms`);
    assert.ok(window <= 15_000, `503s for ${window} ms`);
    assert.ok(
      results.slice(-5).every((r) => r.ok),
      'served again after the failover',
    );
    // Every removal acknowledged before the kill is still in force on the promoted replica.
    for (const key of removed) {
      assert.equal(await store.get(key), undefined, key);
      assert.equal(
        await store.write([set(key, 'back')], [{ unlessRemoved: key, since: 0 }]),
        false,
        `${key}'s marker survived`,
      );
    }
  });

  test('a removal no replica acknowledged is a 503, and a failover then loses it indeed: the sign-out was never said done', async (t) => {
    if (!cluster) return t.skip('no redis-server');
    // A key whose primary has a live replica (an earlier test's failover left one primary alone).
    const { key, primary, replica } = await keyWithReplica('frozen');
    await store.write([set(key, 'tokens')]);
    // The replica frozen, and cut off (what it had not read of the link is gone with it): the
    // removal runs on the primary alone, no replica acknowledges it: 503.
    cluster.pause(replica.port);
    await cluster.cli(primary.port, 'CLIENT', 'KILL', 'TYPE', 'replica');
    try {
      await assert.rejects(store.remove([key]), ServiceUnavailableError);
      // Tried again (the user clicks again): the primary lists no replica any more, and still
      // nothing is said done on the primary alone.
      assert.doesNotMatch(await cluster.cli(primary.port, 'INFO', 'replication'), /state=online/);
      await assert.rejects(store.remove([key]), ServiceUnavailableError);
      // The primary dies before the replica had it; the replica is promoted.
      const { killed, at } = await cluster.killPrimaryOf(NAMESPACE + key);
      cluster.resume(replica.port);
      await cluster.waitForFailover(killed, at);
    } finally {
      cluster.resume(replica.port);
    }
    // What a store that said "done" without WAIT would have undone: the tokens are back.
    let value: string | undefined;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      try {
        value = await store.get(key);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.equal(value, 'tokens', 'the unacknowledged removal is lost with the primary');
    // Done again (as the front-channel queue retries a 503): on the new primary, which has no
    // replica now, so no WAIT; the marker refuses a write begun before it.
    await store.remove([key]);
    assert.equal(await store.get(key), undefined);
    assert.equal(await store.write([set(key, 'back')], [{ unlessRemoved: key, since: 0 }]), false);
  });

  test('a failover and back (a failback): each promoted node, its replica dead, answers as soon as it is promoted', async (t) => {
    if (!cluster) return t.skip('no redis-server');
    // A key whose primary (A) has a live replica (B).
    const { key, primary: a, replica: b } = await keyWithReplica('failback');
    await store.syncClock();
    await store.remove([key]); // WAITed: A is seen with a replica.
    const removedAfterFailover = async (what: string) => {
      const started = Date.now();
      await until(what, () => store.remove([key]).then(() => true), 15_000);
      return Date.now() - started;
    };
    // A dies: B, promoted, has no replica: no WAIT.
    let kill = await cluster.killPrimaryOf(NAMESPACE + key);
    await cluster.waitForFailover(kill.killed, kill.at);
    await removedAfterFailover('B answers');
    // A back, as B's replica; B is seen with it.
    await cluster.restart(a.port);
    await until(
      'A is B’s replica, online',
      async () =>
        /state=online/.test(await cluster!.cli(b!.port, 'INFO', 'replication')) || undefined,
    );
    // Whether or not the store has seen B with A yet (its next measure may be ten seconds away).
    await until('B answers, A its replica', () => store.remove([key]).then(() => true));
    // B dies: A, promoted back, has no replica; a previous replication id (B's): no WAIT.
    kill = await cluster.killPrimaryOf(NAMESPACE + key);
    assert.equal(kill.killed.port, b.port);
    await cluster.waitForFailover(kill.killed, kill.at);
    const ms = await removedAfterFailover('A answers again');
    t.diagnostic(`A, promoted back, confirmed a removal ${ms} ms after its promotion was seen`);
    assert.ok(ms < 5_000, `not a 503 for as long as B is away (${ms} ms)`);
  });
});

describe('RedisStore on one primary with a replica (no cluster)', () => {
  test('a primary restarted while its replica is away: its removals are still 503s, never said done on it alone', async (t) => {
    const redis = await startPrimaryWithReplica(t);
    if (!redis) return;
    const store = await RedisStore.connect(redis.primaryUrl, { ...options, variable: 'REDIS_URL' });
    t.after(() => store.close());
    await store.write([set('r', 'tokens')]);
    await store.remove(['r0']);
    // The replica away (frozen), the primary restarted: a new replication id, no replica online.
    redis.pauseReplica();
    try {
      await redis.restartPrimary();
      await until('the store reaches the restarted primary', async () =>
        (await store.get('r').catch(() => undefined)) === 'tokens' ? true : undefined,
      );
      await store.syncClock();
      // Not taken for a replica promoted behind a moved address: the replica that was seen can
      // still be promoted, without what the restarted primary did alone.
      await assert.rejects(store.remove(['r']), ServiceUnavailableError);
      await assert.rejects(store.remove(['r']), ServiceUnavailableError);
    } finally {
      redis.resumeReplica();
    }
    // The replica back (a full resync from the restarted primary): the removal is confirmed.
    await until(
      'the removal confirmed by the replica',
      async () =>
        await store
          .remove(['r'])
          .then(() => true)
          .catch(() => undefined),
    );
    assert.equal(await store.get('r'), undefined);
  });

  test('a removal acknowledged by WAIT survives the primary killed and the replica promoted', async (t) => {
    const redis = await startPrimaryWithReplica(t);
    if (!redis) return;
    // WAIT up to 1.5 s (of the store's 2): a replica resumed after 200 ms acknowledges in time,
    // however busy the machine.
    const store = await RedisStore.connect(redis.primaryUrl, {
      ...options,
      variable: 'REDIS_URL',
      waitMs: 1_500,
    });
    t.after(() => store.close());
    await store.write([set('p', 'tokens'), set('q', 'tokens')]);
    await store.remove(['p']);
    // The replica frozen: the removal is not confirmed, a 503.
    redis.pauseReplica();
    try {
      await assert.rejects(store.remove(['q']), ServiceUnavailableError);
    } finally {
      redis.resumeReplica();
    }
    await store.remove(['q']);
    // It waits for the replica: frozen, remove() does not return; resumed within the wait, it does.
    redis.pauseReplica();
    let returned = false;
    const pending = store.remove(['q2']).then(() => {
      returned = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(returned, false, 'remove() waits for the replica');
    redis.resumeReplica();
    await pending;
    assert.equal(returned, true);
    // A durable write (the sid index entry of a session) waits likewise: frozen, a 503. One its
    // guard refuses wrote nothing, and answers at once.
    redis.pauseReplica();
    try {
      await assert.rejects(
        store.write([set('idx', 'entry')], [], { durable: true }),
        ServiceUnavailableError,
      );
      const started = Date.now();
      const refused = store.write([set('idx', 'x')], [{ unlessRemoved: 'p', since: 0 }], {
        durable: true,
      });
      assert.equal(await refused, false);
      assert.ok(Date.now() - started < 1_500, 'no WAIT for a write that did not happen');
    } finally {
      redis.resumeReplica();
    }
    assert.equal(await store.write([set('idx', 'entry')], [], { durable: true }), true);
    await redis.killPrimary();
    await redis.promoteReplica();
    const promoted = await RedisStore.connect(redis.replicaUrl, {
      ...options,
      variable: 'REDIS_URL',
    });
    t.after(() => promoted.close());
    for (const key of ['p', 'q']) {
      assert.equal(await promoted.get(key), undefined);
      assert.equal(
        await promoted.write([set(key, 'back')], [{ unlessRemoved: key, since: 0 }]),
        false,
      );
    }
    // The promoted one has no replica: removals are not WAITed (nothing to wait for).
    await promoted.remove(['z']);
  });

  test('INFO refused (as some managed services do): said once, in the log; removals work, without WAIT', async (t) => {
    const redis = await startRedis(t, { args: ['--rename-command', 'INFO', ''] });
    if (!redis) return;
    const said: string[] = [];
    const store = await RedisStore.connect(redis.url, {
      ...options,
      variable: 'REDIS_URL',
      log: (line) => said.push(line),
    });
    t.after(() => store.close());
    await store.syncClock();
    await store.remove(['i']);
    assert.equal(said.length, 1, said.join('\n'));
    assert.match(said[0]!, /refused INFO replication: .* no sign-out waits for a replica/);
  });
});

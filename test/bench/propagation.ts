/**
 * A sign-out on instance A, seen from instance B: how soon B can no longer use the user's tokens,
 * and how soon B's client-side copy of the partition is dropped; on one Redis and on a Redis
 * Cluster (3 primaries, 3 replicas), node-redis's client-side cache on and off. Then the warm
 * silent call on the cluster against one Redis.
 *
 * A and B are two `RedisStore`s, each with its own connections (as two processes would have),
 * each under an `EncryptedStore` and a `PerUserTokenCache` with a first level, as the samples
 * have them, in this one process (one event loop: A's reply and B's invalidation are read by the
 * same loop, in the order the sockets are ready).
 *
 * Per sign-out (one user each): B warms the user (a lease, a silent token call, the release: B's
 * client-side copy and first level hold the user), then A runs the sign-out's removal
 * (`PerUserTokenCache.remove`: the REMOVE script, and on the cluster `WAIT 1` for a replica);
 * t0 is when A's call returns. At once, B starts a request:
 *
 * - **request**: as a sample's request does it: the session read (an uncached GET of a signed-in
 *   session's key, which `Sessions` puts in the hash slot of the user's partition), then the
 *   lease, then, if the lease has the partition, the silent token call;
 * - **bare lease** (for information): the lease and token call alone, with no read before it.
 *
 * A request that got an access token counts as having used the user's tokens. If it did, B leases
 * again, at once, until the partition is gone: "refused" is then the time from t0 to the end of
 * the first lease that found nothing (with none used, the duration of B's own request).
 * "Copy dropped" is when B's client-side cache dropped the partition: node-redis's cache emits
 * `invalidate` with the key when the invalidation Redis pushed is read, right after it deletes
 * the entry (`RedisStore.onCopyDropped`); measured from t0 (negative: dropped before A's call
 * returned) and from when A's call began.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { WARM_USERS } from '../../shared/config/settings.ts';
import { createMsalClient } from '../../shared/core/msal/msal-client.ts';
import { acquireTokenSilently } from '../../shared/core/msal/silent-token.ts';
import { Sessions } from '../../shared/core/session/sessions.ts';
import { EncryptedStore } from '../../shared/core/store/encrypted-store.ts';
import { tag } from '../../shared/core/store/hash-slot.ts';
import { RedisStore } from '../../shared/core/store/redis-store.ts';
import { PerUserTokenCache } from '../../shared/core/token-cache/per-user-token-cache.ts';
import { startRedis } from '../helpers/redis.ts';
import { startRedisCluster } from '../helpers/redis-cluster.ts';
import { type Measured, summarize } from './measure.ts';
import { fill, heapAfterGc, realPartition } from './silent.ts';

export interface PropagationOptions {
  /** Sign-outs per topology, cache setting and kind of request on B. */
  signOuts: number;
  /** The warm silent call: rounds, calls per round and topology, users they cycle through. */
  rounds: number;
  calls: number;
  users: number;
}

/** Milliseconds: percentiles over the sign-outs. */
export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  /** How many values (copies never seen dropped within a second are not among them). */
  count: number;
}

export interface PropagationRow {
  topology: 'one Redis' | 'cluster';
  cache: boolean;
  /** The request as a sample makes it: the session read first. */
  request: { signOuts: number; used: number; refused: Percentiles };
  /** The lease and token call alone. */
  bareLease: { signOuts: number; used: number; refused: Percentiles };
  /** From A's return; and from A's call's start. `undefined` without a client-side cache. */
  copyDropped?: { afterReturn: Percentiles; afterStart: Percentiles; missed: number };
  /** A's removal (the sign-out's store step), milliseconds. */
  removal: Percentiles;
}

export interface PropagationReport {
  rows: PropagationRow[];
  /** The warm silent call, microseconds, per cache setting: one Redis, the cluster, their ratio. */
  silent: Array<{ cache: boolean; single: Measured; cluster: Measured; ratio: Measured }>;
}

const SECRETS = ['a-benchmark-encryption-key-of-32-chars'];
/** Where `fill` (silent.ts) writes the partitions. */
const PREFIX = 'bench:msal:';

export async function benchPropagation(
  options: PropagationOptions,
  log: (line: string) => void = () => {},
): Promise<PropagationReport> {
  const template = await realPartition();
  const redis = await startRedis({ skip() {} });
  if (!redis) throw new Error('The benchmark needs redis-server (apt-get install -y redis-server)');
  const cluster = await startRedisCluster({ skip() {} });
  if (!cluster) throw new Error('The benchmark needs redis-server and redis-cli');
  const connect = (topology: PropagationRow['topology'], cache: boolean) => {
    const settings = {
      timeoutMs: 5_000,
      variable: 'REDIS_URL',
      log() {},
      // On: the store's default (10,000 entries); off: every read asks Redis.
      ...(cache ? {} : { cachedEntries: 0 }),
    };
    return topology === 'one Redis'
      ? RedisStore.connect(redis.url, settings)
      : RedisStore.connectCluster(cluster.urls, settings);
  };
  const cacheOver = (store: EncryptedStore) =>
    new PerUserTokenCache(store, {
      keyPrefix: PREFIX,
      app: 'bench',
      ttlSeconds: 3600,
      msalClient: (partition) => createMsalClient(template.provider, template.sample, partition),
      warmUsers: WARM_USERS,
    });
  const tokenCall = async (cache: PerUserTokenCache, user: ReturnType<typeof template.forUser>) => {
    const lease = await cache.lease({ user: { homeAccountId: user.homeAccountId } });
    if (!lease) return false;
    try {
      const token = await acquireTokenSilently(
        lease,
        { user: user.user, scopes: template.scopes },
        template.provider.origin,
      );
      return 'accessToken' in token;
    } finally {
      lease.release();
    }
  };
  const rows: PropagationRow[] = [];
  const silent: PropagationReport['silent'] = [];
  try {
    for (const topology of ['one Redis', 'cluster'] as const) {
      for (const cache of [true, false]) {
        log(`propagation of a sign-out, ${topology}, client-side cache ${cache ? 'on' : 'off'}…`);
        const rawA = await connect(topology, cache);
        const rawB = await connect(topology, cache);
        const storeA = new EncryptedStore(rawA, SECRETS);
        const storeB = new EncryptedStore(rawB, SECRETS);
        const onA = cacheOver(storeA);
        const onB = cacheOver(storeB);
        const sessionsB = new Sessions(storeB, 'bench:', 'bench');
        const dropped = new Map<string, number>();
        const stop = rawB.onCopyDropped((key) => {
          if (key !== null && !dropped.has(key)) dropped.set(key, performance.now());
        });
        const afterReturn: number[] = [];
        const afterStart: number[] = [];
        const removal: number[] = [];
        let missed = 0;
        const pass = async (kind: 'request' | 'bare lease', count = options.signOuts) => {
          const users = Array.from({ length: count }, () => template.forUser(randomUUID()));
          await fill(storeA, users);
          let used = 0;
          const refused: number[] = [];
          for (const user of users) {
            const key = PREFIX + tag('u', user.homeAccountId);
            // B warm: its copy of the partition, and the access token in its first level.
            if (!(await tokenCall(onB, user))) throw new Error('B could not warm the user');
            if (!(await tokenCall(onB, user))) throw new Error('B could not warm the user');
            dropped.delete(key);
            const started = performance.now();
            await onA.remove(user.homeAccountId);
            const t0 = performance.now();
            if (kind === 'request') await sessionsB.get(sessionsB.newId(user.homeAccountId));
            let usedOnce = false;
            while (await tokenCall(onB, user)) {
              usedOnce = true;
              if (performance.now() - t0 > 5_000) throw new Error('B kept using the tokens');
              await setImmediate();
            }
            refused.push(performance.now() - t0);
            if (usedOnce) used += 1;
            removal.push(t0 - started);
            if (cache) {
              const deadline = performance.now() + 1_000;
              while (!dropped.has(key) && performance.now() < deadline) await setImmediate();
              const at = dropped.get(key);
              if (at === undefined) missed += 1;
              else {
                afterReturn.push(at - t0);
                afterStart.push(at - started);
              }
            }
          }
          return { signOuts: users.length, used, refused: percentiles(refused) };
        };
        // Unmeasured first: the scripts loaded, each primary's durable connection and replica count.
        await pass('request', 10);
        afterReturn.length = 0;
        afterStart.length = 0;
        removal.length = 0;
        missed = 0;
        const request = await pass('request');
        const bareLease = await pass('bare lease');
        stop();
        rows.push({
          topology,
          cache,
          request,
          bareLease,
          ...(cache && {
            copyDropped: {
              afterReturn: percentiles(afterReturn),
              afterStart: percentiles(afterStart),
              missed,
            },
          }),
          removal: percentiles(removal),
        });
        await storeA.close();
        await storeB.close();
      }
    }

    // The warm silent call (as silent.ts measures it: lease, first level, release), on one
    // Redis and on the cluster, each round both in turn (each going first every other round); the ratio within each
    // round.
    for (const cache of [true, false]) {
      log(
        `warm silent call, one Redis against the cluster, client-side cache ${cache ? 'on' : 'off'}…`,
      );
      const users = Array.from({ length: options.users }, () => template.forUser(randomUUID()));
      const contenders: Array<{
        name: 'single' | 'cluster';
        call: () => Promise<void>;
        close: () => Promise<void>;
      }> = [];
      for (const topology of ['one Redis', 'cluster'] as const) {
        const store = new EncryptedStore(await connect(topology, cache), SECRETS);
        await fill(store, users);
        const tokens = cacheOver(store);
        for (const user of users) await tokenCall(tokens, user);
        let next = 0;
        contenders.push({
          name: topology === 'one Redis' ? 'single' : 'cluster',
          call: async () => {
            const user = users[next] as (typeof users)[number];
            next = (next + 1) % users.length;
            if (!(await tokenCall(tokens, user))) throw new Error('no token');
          },
          close: () => store.close(),
        });
      }
      for (const { call } of contenders) for (let index = 0; index < 100; index += 1) await call();
      const times = { single: [] as number[], cluster: [] as number[] };
      for (let round = 0; round < options.rounds; round += 1) {
        // Each goes first every other round: neither pays for what the other left behind.
        for (const { name, call } of round % 2 ? [...contenders].reverse() : contenders) {
          heapAfterGc();
          const started = performance.now();
          for (let index = 0; index < options.calls; index += 1) await call();
          times[name].push(((performance.now() - started) * 1000) / options.calls);
        }
      }
      for (const { close } of contenders) await close();
      silent.push({
        cache,
        single: summarize(times.single),
        cluster: summarize(times.cluster),
        ratio: summarize(
          times.cluster.map((value, round) => value / (times.single[round] as number)),
        ),
      });
    }
  } finally {
    await cluster.close();
    await redis.close();
    await template.close();
  }
  return { rows, silent };
}

/** Nearest-rank percentiles, milliseconds. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted.length === 0
      ? Number.NaN
      : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);
  return { p50: rank(50), p99: rank(99), max: sorted.at(-1) ?? Number.NaN, count: sorted.length };
}

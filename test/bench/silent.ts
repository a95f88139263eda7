/**
 * Silent token acquisition from the cache, side by side, at several numbers of cached users:
 *
 * - msal's floor: `acquireTokenSilent` on a warm client that holds one user;
 * - this project's per-user cache (its first level, over memory and over Redis, encrypted);
 * - msal's own `DistributedCachePlugin` with a client per request, on the same stores;
 * - one client shared by every user (stopped where it gets too slow, the rest estimated).
 *
 * The partitions are copies of one real partition (a real sign-in against the emulator), each
 * under another user's object id. Every call is a cache hit (no network): what is measured is the
 * cache layer. Requests come from the active users (at most 1,000 of them, each in turn), as on a
 * web site where the cache holds everyone and a few are browsing; `any user` spreads them over all
 * cached users instead, most of whom the first level has not seen (its cold path).
 */
import { randomUUID } from 'node:crypto';
import {
  type AccountInfo,
  ConfidentialClientApplication,
  DistributedCachePlugin,
  type ICacheClient,
  type IPartitionManager,
} from '@azure/msal-node';
import { createClient } from 'redis';
import { type SampleSettings, WARM_USERS } from '../../shared/config/settings.ts';
import {
  discoverIdentityProvider,
  type IdentityProvider,
} from '../../shared/core/msal/identity-provider.ts';
import { createMsalClient, msalConfiguration } from '../../shared/core/msal/msal-client.ts';
import { acquireTokenSilently } from '../../shared/core/msal/silent-token.ts';
import type { SessionUser } from '../../shared/core/session/sessions.ts';
import { EncryptedStore } from '../../shared/core/store/encrypted-store.ts';
import { tag } from '../../shared/core/store/hash-slot.ts';
import { type KeyValueStore, MemoryStore } from '../../shared/core/store/key-value-store.ts';
import { RedisStore } from '../../shared/core/store/redis-store.ts';
import { PerUserTokenCache } from '../../shared/core/token-cache/per-user-token-cache.ts';
import { Browser } from '../helpers/browser.ts';
import { startSamples } from '../helpers/environment.ts';
import { startRedis } from '../helpers/redis.ts';
import { type Measured, summarize } from './measure.ts';

export interface SilentOptions {
  sizes: number[];
  /** Rounds: each measures every approach once, in turn (medians and ranges over rounds). */
  rounds: number;
  /** Calls per approach per round. */
  calls: number;
  /** Past this many milliseconds per call, the shared client is not measured at larger sizes. */
  sharedClientLimitMs: number;
}

export interface SilentRow {
  users: number;
  /** Microseconds per call, per approach; `estimated` when extrapolated, not measured. */
  results: Record<string, Measured & { estimated?: boolean }>;
  /** Per approach: its time over msal's floor, measured in the same round. */
  ratios: Record<string, Measured>;
  /** Per approach: microseconds per call in each round (for ratios between any two). */
  perRound: Record<string, number[]>;
}

export interface SilentReport {
  rows: SilentRow[];
  /** Bytes of heap one remembered user adds, on each store (median over the sizes). */
  bytesPerWarmUser: { memory: number; redis: number };
  /** Bytes of heap one partition takes in node-redis's client-side cache (median over the sizes). */
  bytesPerRedisCopy: number;
  /** Bytes of one stored partition, in clear and sealed. */
  partitionBytes: number;
  sealedPartitionBytes: number;
}

/** Requests come from this many users, each in turn (or all of them, if fewer are cached). */
export const ACTIVE_USERS = 1_000;

export const FLOOR = 'msal floor (one warm client, one user)';
export const OURS_MEMORY = 'this project, memory';
export const OURS_REDIS = 'this project, Redis (encrypted)';
export const DCP_MEMORY = "msal's DistributedCachePlugin, memory";
export const DCP_REDIS = "msal's DistributedCachePlugin, Redis";
export const SHARED = 'one client shared by all users';
export const COLD = ', a user not warm here';

type Call = () => Promise<void>;

export async function benchSilent(
  options: SilentOptions,
  log: (line: string) => void = () => {},
): Promise<SilentReport> {
  const template = await realPartition();
  const redis = await startRedis({ skip() {} });
  if (!redis) throw new Error('The benchmark needs redis-server (apt-get install -y redis-server)');
  const rows: SilentRow[] = [];
  let sharedTooSlow: { users: number; microseconds: number } | undefined;
  const warmBytes = { memory: [] as number[], redis: [] as number[] };
  const copyBytes: number[] = [];
  try {
    for (const users of options.sizes) {
      log(`silent acquisition, ${users} cached users…`);
      await redis.flush();
      const partitions = Array.from({ length: users }, () => template.forUser(randomUUID()));
      const active = partitions.slice(0, Math.min(ACTIVE_USERS, users));
      const contenders = new Map<string, Call>();
      const closers: Array<() => Promise<void>> = [];

      // msal's floor: one warm client holding one user, the account at hand.
      const floor = new ConfidentialClientApplication(
        msalConfiguration(template.provider, template.sample, noPlugin),
      );
      const first = active[0] as UserPartition;
      floor.getTokenCache().deserialize(first.serialized);
      contenders.set(FLOOR, () =>
        floor.acquireTokenSilent({ account: first.account, scopes: template.scopes }).then(),
      );

      // This project's per-user cache over memory, and over Redis (encrypted, read through
      // Redis's client-side cache).
      const memory = new MemoryStore();
      const redisStore = await RedisStore.connect(redis.url, {
        timeoutMs: 2_000,
        variable: 'REDIS_URL',
        log() {},
        // As the samples' instances have it (TOKEN_CACHE_WARM_USERS's default).
        cachedEntries: WARM_USERS,
      });
      const onRedis = new EncryptedStore(redisStore, ['a-benchmark-encryption-key-of-32-chars']);
      closers.push(
        () => onRedis.close(),
        () => memory.close(),
      );
      for (const [name, store] of [
        [OURS_MEMORY, memory],
        [OURS_REDIS, onRedis],
      ] as const) {
        await fill(store, partitions);
        const cacheOver = (warmUsers: number) =>
          new PerUserTokenCache(store, {
            keyPrefix: 'bench:msal:',
            app: 'bench',
            ttlSeconds: 3600,
            msalClient: (partition) =>
              createMsalClient(template.provider, template.sample, partition),
            warmUsers,
          });
        const callWith = (cache: PerUserTokenCache) => (partition: UserPartition) => async () => {
          const lease = await cache.lease({ user: { homeAccountId: partition.homeAccountId } });
          if (!lease) throw new Error('no partition');
          const token = await acquireTokenSilently(
            lease,
            { user: partition.user, scopes: template.scopes },
            template.provider.origin,
          );
          lease.release();
          if (!('accessToken' in token)) throw new Error(`no token: ${JSON.stringify(token)}`);
        };
        // Every active user once through a cache that remembers nobody (what a first read of
        // each partition costs, whatever the cache), then warm: what remembering them costs.
        // On Redis, that first read also fills the client-side cache.
        const first = heapAfterGc();
        for (const partition of active) await callWith(cacheOver(0))(partition)();
        const call = callWith(cacheOver(ACTIVE_USERS));
        const before = heapAfterGc();
        if (store === onRedis) copyBytes.push((before - first) / active.length);
        for (const partition of active) await call(partition)();
        warmBytes[store === memory ? 'memory' : 'redis'].push(
          (heapAfterGc() - before) / active.length,
        );
        contenders.set(name, cycle(active.map(call)));
        // The cold path, through a cache of its own that keeps nobody warm: a user seen for the
        // first time here, or whose partition changed since.
        contenders.set(name + COLD, cycle(shuffled(partitions).map(callWith(cacheOver(0)))));
      }

      // msal's DistributedCachePlugin, a client per request, on the same kinds of store (in
      // clear, as msal's sample does): the account looked up in the cache, then the token, two
      // store reads per call.
      const map = new Map(
        partitions.map((partition) => [partition.homeAccountId, partition.serialized]),
      );
      const raw = createClient({ url: redis.url });
      await raw.connect();
      closers.push(() => raw.close());
      for (let index = 0; index < partitions.length; index += 1000) {
        await Promise.all(
          partitions
            .slice(index, index + 1000)
            .map((partition) => raw.set(`dcp:${partition.homeAccountId}`, partition.serialized)),
        );
      }
      const onMap: ICacheClient = {
        get: async (key) => map.get(key) ?? '',
        set: async (key, value) => {
          map.set(key, value);
          return 'OK';
        },
      };
      const onRaw: ICacheClient = {
        get: async (key) => (await raw.get(`dcp:${key}`)) ?? '',
        set: async (key, value) => (await raw.set(`dcp:${key}`, value)) ?? '',
      };
      for (const [name, cacheClient] of [
        [DCP_MEMORY, onMap],
        [DCP_REDIS, onRaw],
      ] as const) {
        const call = (partition: UserPartition) => async () => {
          const partitionManager: IPartitionManager = {
            getKey: async () => partition.homeAccountId,
            extractKey: async (account) => account.homeAccountId ?? '',
          };
          const client = new ConfidentialClientApplication(
            msalConfiguration(
              template.provider,
              template.sample,
              new DistributedCachePlugin(cacheClient, partitionManager),
            ),
          );
          const account = await client.getTokenCache().getAccountByHomeId(partition.homeAccountId);
          if (!account) throw new Error('no account');
          await client.acquireTokenSilent({ account, scopes: template.scopes });
        };
        contenders.set(name, cycle(active.map(call)));
      }

      // One client holding every user, the account at hand (as this project has it).
      let shared: Call | undefined;
      if (!sharedTooSlow) {
        const client = new ConfidentialClientApplication(
          msalConfiguration(template.provider, template.sample, noPlugin),
        );
        // One cache holding everyone (msal 7.2's deserialize replaces what the client held).
        client
          .getTokenCache()
          .deserialize(merged(partitions.map((partition) => partition.serialized)));
        shared = cycle(
          active.map(
            (partition) => () =>
              client
                .acquireTokenSilent({ account: partition.account, scopes: template.scopes })
                .then(),
          ),
        );
      }

      const perRound = await rounds(options, contenders, shared, options.sharedClientLimitMs);
      const results: SilentRow['results'] = {};
      const ratios: SilentRow['ratios'] = {};
      for (const [name, values] of perRound) {
        results[name] = summarize(values);
        const floorValues = perRound.get(FLOOR) as number[];
        if (name !== FLOOR)
          ratios[name] = summarize(
            values.map((value, round) => value / (floorValues[round] as number)),
          );
      }
      if (results[SHARED]) {
        const microseconds = results[SHARED].median;
        if (microseconds > options.sharedClientLimitMs * 1000)
          sharedTooSlow = { users, microseconds };
      } else if (sharedTooSlow) {
        // Estimated from the last size measured, growing with the number of users.
        const estimate = sharedTooSlow.microseconds * (users / sharedTooSlow.users);
        results[SHARED] = { median: estimate, min: estimate, max: estimate, estimated: true };
      }
      for (const close of closers) await close();
      rows.push({ users, results, ratios, perRound: Object.fromEntries(perRound) });
    }
  } finally {
    await redis.close();
    await template.close();
  }
  const sample = template.forUser(randomUUID()).serialized;
  return {
    rows,
    bytesPerWarmUser: {
      memory: summarize(warmBytes.memory).median,
      redis: summarize(warmBytes.redis).median,
    },
    bytesPerRedisCopy: summarize(copyBytes).median,
    partitionBytes: Buffer.byteLength(sample),
    sealedPartitionBytes: sealedSize(sample),
  };
}

/**
 * Every contender, `rounds` times, in turn: each round measures each once after a garbage
 * collection, so that a noisy moment of the machine hits them all alike. Microseconds per call.
 */
async function rounds(
  { rounds, calls }: SilentOptions,
  contenders: Map<string, Call>,
  shared: Call | undefined,
  sharedLimitMs: number,
): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>();
  for (const call of contenders.values()) for (let index = 0; index < 100; index += 1) await call();
  // The shared client gets as many calls as fit in about a second a round.
  let sharedCalls = 0;
  if (shared) {
    const probe = performance.now();
    await shared();
    const probeMs = performance.now() - probe;
    sharedCalls = Math.max(
      3,
      Math.min(calls, Math.floor(Math.max(1000, sharedLimitMs * 3) / probeMs)),
    );
  }
  for (let round = 0; round < rounds; round += 1) {
    const all: Array<[string, Call, number]> = [...contenders].map(([name, call]) => [
      name,
      call,
      calls,
    ]);
    if (shared) all.push([SHARED, shared, sharedCalls]);
    for (const [name, call, count] of all) {
      heapAfterGc();
      const started = performance.now();
      for (let index = 0; index < count; index += 1) await call();
      const list = times.get(name) ?? [];
      list.push(((performance.now() - started) * 1000) / count);
      times.set(name, list);
    }
  }
  return times;
}

/** Several serialized caches as one. */
function merged(serialized: string[]): string {
  const all: Record<string, Record<string, unknown>> = {};
  for (const cache of serialized) {
    for (const [section, entries] of Object.entries(JSON.parse(cache) as object)) {
      all[section] = Object.assign(all[section] ?? {}, entries);
    }
  }
  return JSON.stringify(all);
}

const noPlugin = {
  beforeCacheAccess: async () => {},
  afterCacheAccess: async () => {},
};

/** The calls, each in turn, over and over. */
function cycle(calls: Array<() => Promise<void>>): () => Promise<void> {
  let next = 0;
  return () => {
    const call = calls[next] as () => Promise<void>;
    next = (next + 1) % calls.length;
    return call();
  };
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

/** Writes each user's partition where the per-user cache keeps it (`bench:msal:{u:…}`). */
export async function fill(
  store: KeyValueStore,
  partitions: Array<{ homeAccountId: string; serialized: string }>,
): Promise<void> {
  // 500 at a time: the store's connection queues at most 1,000 commands, and its clock measure
  // (every ten seconds) shares it.
  for (let index = 0; index < partitions.length; index += 500) {
    await Promise.all(
      partitions.slice(index, index + 500).map((partition) =>
        store.write([
          {
            set: `bench:msal:${tag('u', partition.homeAccountId)}`,
            value: partition.serialized,
            ttlSeconds: 3600,
          },
        ]),
      ),
    );
  }
}

export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('Run the benchmark with node --expose-gc (npm run bench does)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function sealedSize(serialized: string): number {
  // AES-GCM adds 29 bytes (version, IV, tag); base64url adds a third.
  return Math.ceil(((Buffer.byteLength(serialized) + 29) * 4) / 3);
}

interface UserPartition {
  homeAccountId: string;
  serialized: string;
  user: SessionUser;
  account: AccountInfo;
}

/**
 * One real partition (a real sign-in of Adele, through the emulator, into msal), and copies of it
 * for other users: the same tokens under another object id.
 */
export async function realPartition(): Promise<{
  provider: IdentityProvider;
  sample: SampleSettings;
  scopes: string[];
  forUser(oid: string): UserPartition;
  close(): Promise<void>;
}> {
  const env = await startSamples(['aspnetcore'], {
    emulator: { accessTokenLifetimeSeconds: 86_400 },
  });
  const { identity, sample } = env.sample.settings;
  const provider = await discoverIdentityProvider(identity);
  const scopes = [...sample.registration.scopes];
  let serialized = '';
  const client = createMsalClient(provider, sample, {
    load: async () => undefined,
    save: async (value) => {
      serialized = value;
    },
    clear: async () => {},
  });
  const redirectUri = sample.baseUrl + sample.registration.redirectPath;
  const authorize = await client.getAuthCodeUrl({ scopes, redirectUri, responseMode: 'query' });
  const user = env.emulator.users[0]!;
  const browser = new Browser();
  // The sign-in ends at the sample's redirect URI, which has no sign-in of its own to complete:
  // the code in its URL is still unused.
  const answer = await browser.submitSignInForm(
    await browser.get(authorize),
    user.userPrincipalName,
    env.password,
  );
  const code = new URL(answer.url).searchParams.get('code');
  if (!code) throw new Error(`No code from the emulator (${answer.url})`);
  const result = await client.acquireTokenByCode({ code, scopes, redirectUri });
  if (!result.account) throw new Error('No account');
  const original = result.account;
  const oid = user.oid;
  return {
    provider,
    sample,
    scopes,
    forUser(newOid) {
      const homeAccountId = original.homeAccountId.replace(oid, newOid);
      const account = { ...original, homeAccountId, localAccountId: newOid };
      return {
        homeAccountId,
        serialized: withIdTokenFor(serialized.replaceAll(oid, newOid), oid, newOid),
        account,
        user: {
          homeAccountId,
          name: original.name ?? '',
          username: original.username,
          sid: 'bench',
          issuer: provider.configuration.issuer,
          account: {
            environment: original.environment,
            tenantId: original.tenantId,
            localAccountId: newOid,
          },
        },
      };
    },
    close: () => env.close(),
  };
}

/**
 * The id tokens rewritten for the new user (msal reads their claims, never their signature): a
 * copied partition must look like the user's own, or msal's lookups behave unlike production.
 */
function withIdTokenFor(serialized: string, oid: string, newOid: string): string {
  const cache = JSON.parse(serialized) as { IdToken?: Record<string, { secret: string }> };
  for (const entry of Object.values(cache.IdToken ?? {})) {
    const [header, payload, signature] = entry.secret.split('.') as [string, string, string];
    const claims = Buffer.from(payload, 'base64url').toString().replaceAll(oid, newOid);
    entry.secret = [header, Buffer.from(claims).toString('base64url'), signature].join('.');
  }
  return JSON.stringify(cache);
}

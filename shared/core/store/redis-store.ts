import { createHash } from 'node:crypto';
import {
  ClientClosedError,
  ClientOfflineError,
  createClient,
  SocketClosedUnexpectedlyError,
} from 'redis';
import { ServiceUnavailableError, StartupError } from '../errors.ts';
import { groupBySlot } from './hash-slot.ts';
import {
  type KeyValueStore,
  REMOVAL_MARKER_SECONDS,
  type Write,
  type WriteGuard,
} from './key-value-store.ts';

/**
 * The store on Redis, for several instances of a sample (node-redis). Every key lives under
 * `single-sign-out:2:`; a removal marker for `key` under `single-sign-out:2:removed:<key>`.
 *
 * Keys carry hash tags (`hash-slot.ts`): every script's keys lie in one Redis Cluster hash slot,
 * a key and its marker always do, and `remove` runs one script per slot.
 *
 * What must be one step is one step: a guarded write (check the markers, then write) and a removal
 * (delete, then leave the marker) are each a Lua script, which Redis runs with nothing in between.
 * So a token refresh on one instance cannot write back a partition that a sign-out on another
 * instance removed while the refresh was running.
 *
 * The times the guards compare are Redis's: a marker holds the time of Redis's own clock at the
 * removal (`TIME`, in the script), and `since` is read from {@link RedisStore.now}, this process's
 * estimate of that clock (measured at connection and every ten seconds, erring early). Instances
 * need not agree on the time.
 *
 * Redis down is a {@link ServiceUnavailableError} (a 503 page) within `timeoutMs`, never a hang:
 * commands are not queued while disconnected, and the client reconnects by itself.
 */
export class RedisStore implements KeyValueStore {
  /** Redis's clock minus this process's, in milliseconds, less the measure's uncertainty. */
  private offsetMs = 0;
  private readonly clockSync: NodeJS.Timeout;

  private constructor(
    private readonly client: RedisClient,
    /** What messages call this Redis: its URL without a password. */
    private readonly where: string,
    private readonly timeoutMs: number,
  ) {
    this.clockSync = setInterval(() => this.syncClock().catch(() => {}), 10_000).unref();
  }

  /**
   * Connects, or throws a {@link StartupError} naming `variable` (REDIS_URL) if Redis cannot be
   * reached within `timeoutMs`. Once connected, a lost connection is retried forever (at most
   * every two seconds), and `log` hears of the loss and of the return, once each.
   */
  static async connect(
    url: string,
    options: {
      timeoutMs: number;
      variable: string;
      log: (message: string) => void;
      /**
       * How many values `get(key, { cacheable })` may keep in this process (default 10,000);
       * 0 for none (every read asks Redis).
       */
      cachedEntries?: number;
    },
  ): Promise<RedisStore> {
    const where = redactedUrl(url);
    const cachedEntries = options.cachedEntries ?? 10_000;
    let connected = false;
    let down = false;
    const client = createClient({
      url,
      // RESP3, for the invalidations the client-side cache of `get(key, { cacheable })` needs.
      RESP: 3,
      ...(cachedEntries > 0 && {
        clientSideCache: { maxEntries: cachedEntries, evictPolicy: 'LRU' },
      }),
      // Disconnected: fail at once rather than queue. Connected: at most this many waiting.
      disableOfflineQueue: true,
      commandsQueueMaxLength: 1_000,
      socket: {
        connectTimeout: options.timeoutMs,
        // At start-up one failure is enough to say so; afterwards, keep trying.
        reconnectStrategy: (retries, cause) =>
          connected ? Math.min(100 * 2 ** retries, 2_000) : cause,
      },
    });
    client.on('error', (error: Error) => {
      if (connected && !down) {
        down = true;
        options.log(`Redis at ${where} is not reachable (${error.message}); reconnecting…`);
      }
    });
    client.on('ready', () => {
      if (down) options.log(`Redis at ${where} is back`);
      down = false;
    });
    const store = new RedisStore(client as RedisClient, where, options.timeoutMs);
    try {
      // The connection, the handshake (AUTH…) and one command, all within the timeout: a
      // listener that accepts and never answers is no Redis.
      await withDeadline(
        (async () => {
          await client.connect();
          await store.syncClock();
        })(),
        options.timeoutMs,
      );
    } catch (error) {
      clearInterval(store.clockSync);
      client.destroy();
      const reason =
        error instanceof DeadlineExceeded ? 'it did not answer in time' : (error as Error).message;
      throw new StartupError(`${options.variable}: no Redis answers at ${where} (${reason})`, {
        cause: error,
      });
    }
    connected = true;
    return store;
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /**
   * How this Redis keeps what it is told, as far as it says (`CONFIG GET`): whether a restart
   * brings back the state of its last write, or of its last snapshot — which would undo every
   * sign-out since. `unknown` where `CONFIG` is refused (managed Redis services rename or block it).
   */
  async persistence(): Promise<RedisPersistence> {
    try {
      const reply = (await this.run(() =>
        this.client.sendCommand(['CONFIG', 'GET', 'append*']),
      )) as unknown;
      // RESP3 answers a map (an object, or a Map, as node-redis is told to type it); RESP2 a flat
      // list of names and values.
      const config: Record<string, unknown> = Array.isArray(reply)
        ? Object.fromEntries(
            reply.flatMap((value, index) => (index % 2 === 0 ? [[value, reply[index + 1]]] : [])),
          )
        : reply instanceof Map
          ? Object.fromEntries(reply)
          : typeof reply === 'object' && reply !== null
            ? (reply as Record<string, unknown>)
            : {};
      if (config.appendonly === undefined) return { aof: 'unknown' };
      if (config.appendonly !== 'yes') return { aof: 'off' };
      const fsync = String(config.appendfsync);
      return { aof: fsync === 'always' || fsync === 'no' ? fsync : 'everysec' };
    } catch {
      return { aof: 'unknown' };
    }
  }

  /**
   * Measures Redis's clock against this one with `TIME`: the offset, less half the round trip
   * (the measure's uncertainty) and a millisecond, so that `now()` is never later than Redis's
   * time: a write's `since` then errs early, and a removal at the same moment still wins.
   */
  private async syncClock(): Promise<void> {
    const sent = Date.now();
    const [seconds, microseconds] = (await this.run(() => this.client.sendCommand(['TIME']))) as [
      string,
      string,
    ];
    const received = Date.now();
    const redisMs = Number(seconds) * 1000 + Math.floor(Number(microseconds) / 1000);
    this.offsetMs = redisMs - (sent + received) / 2 - (received - sent) / 2 - 1;
  }

  /**
   * `cacheable` reads go through node-redis's client-side cache: served from this process while
   * Redis has not said the key changed (server-assisted, RESP3 `CLIENT TRACKING`: an invalidation
   * is pushed on this connection whenever any client changes it, and the whole copy is dropped if
   * the connection is lost). Other reads always ask Redis.
   */
  async get(key: string, options: { cacheable?: boolean } = {}): Promise<string | undefined> {
    const value = await this.run(() =>
      options.cacheable
        ? this.client.get(NAMESPACE + key)
        : (this.client.sendCommand(['GET', NAMESPACE + key]) as Promise<string | null>),
    );
    return value ?? undefined;
  }

  async deleteIfUnchanged(key: string, expected: string): Promise<boolean> {
    return (await this.script(DELETE_IF_UNCHANGED, [NAMESPACE + key], [expected])) === 1;
  }

  /**
   * One REMOVE script per hash slot of `keys` (each key with its marker, which shares its slot), all
   * at once: keys of several slots are removed together, not atomically (nothing needs it: each key
   * is guarded by its own marker), and this resolves once every one of them is removed.
   */
  async remove(keys: readonly string[], markerSeconds = REMOVAL_MARKER_SECONDS): Promise<void> {
    await Promise.all(
      groupBySlot(keys.map((key) => NAMESPACE + key)).map((group) =>
        this.script(
          REMOVE,
          [...group, ...group.map((key) => MARKERS + key.slice(NAMESPACE.length))],
          [String(markerSeconds * 1000)],
        ),
      ),
    );
  }

  async write(writes: readonly Write[], guards: readonly WriteGuard[] = []): Promise<boolean> {
    const keys = [
      ...guards.map(({ unlessRemoved }) => markerKey(unlessRemoved)),
      ...writes.map((write) => NAMESPACE + ('set' in write ? write.set : write.addToSet)),
    ];
    const args = [
      String(guards.length),
      ...guards.map(({ since }) => String(since)),
      ...writes.flatMap((write) =>
        'set' in write
          ? ['set', String(write.ttlSeconds * 1000), write.value]
          : ['add', String(write.ttlSeconds * 1000), write.member],
      ),
    ];
    return (await this.script(WRITE, keys, args)) === 1;
  }

  async removeFromSet(key: string, member: string, alsoDelete: readonly string[] = []) {
    await this.script(
      REMOVE_FROM_SET,
      [key, ...alsoDelete].map((each) => NAMESPACE + each),
      [member],
    );
  }

  async setMembers(key: string): Promise<string[]> {
    return this.run(() => this.client.sMembers(NAMESPACE + key));
  }

  /** With `SCAN` (never `KEYS`): for the inspector, not for a request's hot path. */
  async keys(prefix: string): Promise<string[]> {
    const found = await this.scan(NAMESPACE + prefix);
    return found.map((key) => key.slice(NAMESPACE.length));
  }

  async stats(prefix = ''): Promise<{ entries: number; removalMarkers: number }> {
    const [entries, markers] = await Promise.all([
      this.scan(NAMESPACE + prefix),
      this.scan(MARKERS + prefix),
    ]);
    // Markers live under the namespace too: with no prefix, the first scan sees them.
    const removalMarkers = markers.length;
    const counted = entries.filter((key) => !key.startsWith(MARKERS)).length;
    return { entries: counted, removalMarkers };
  }

  /** Closes the connection: politely if Redis answers within the timeout, at once otherwise. */
  async close(): Promise<void> {
    clearInterval(this.clockSync);
    if (!this.client.isOpen) return;
    await withDeadline(this.client.close(), this.timeoutMs).catch(() => this.client.destroy());
  }

  private async scan(prefix: string): Promise<string[]> {
    return this.run(async () => {
      const found: string[] = [];
      for await (const batch of this.client.scanIterator({
        MATCH: `${escapeGlob(prefix)}*`,
        COUNT: 1000,
      })) {
        found.push(...batch);
      }
      return found;
    });
  }

  /** Runs a Lua script by its SHA1, sending its text only when Redis does not have it yet. */
  private script(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    return this.run(async () => {
      try {
        return await this.client.evalSha(script.sha1, { keys, arguments: args });
      } catch (error) {
        if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
        return this.client.eval(script.text, { keys, arguments: args });
      }
    });
  }

  /**
   * Any failure to get an answer from Redis is a 503 that names it; never a key or a value. The
   * deadline is ours: node-redis's own command timeout stops counting once a command is sent, and
   * a Redis that stopped answering (frozen, or its host gone) would hold the request forever.
   */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(command(), this.timeoutMs);
    } catch (error) {
      const reason =
        error instanceof DeadlineExceeded
          ? 'did not answer in time'
          : error instanceof ClientOfflineError ||
              error instanceof ClientClosedError ||
              error instanceof SocketClosedUnexpectedlyError
            ? 'is not reachable'
            : 'refused the command';
      throw new ServiceUnavailableError('Redis', this.where, reason, {
        cause: error,
        internal: true,
      });
    }
  }
}

type RedisClient = ReturnType<typeof createClient>;

/** What Redis keeps through a restart or a crash: see {@link RedisStore.persistence}, {@link persistenceWarning}. */
export interface RedisPersistence {
  /** The append-only file: off, or on with its fsync policy; or unknown (`CONFIG` refused). */
  aof: 'off' | 'always' | 'everysec' | 'no' | 'unknown';
}

/**
 * What a person running the samples on this Redis must know, or `undefined` when nothing is lost:
 * a sign-out removes tokens and sessions; a Redis that restarts from an older state brings them
 * back, and the user is signed in again, refresh token and all. Only an append-only file written
 * at every command (`appendfsync always`) keeps every sign-out through a crash of the machine;
 * `everysec` loses up to the last second or two of them (Redis 7.0 has no `WAITAOF` to wait for
 * the disk).
 */
export function persistenceWarning(where: string, { aof }: RedisPersistence): string | undefined {
  const fix =
    'Run Redis with `appendonly yes` and `appendfsync always` (docs/redis.md#persistence).';
  switch (aof) {
    case 'always':
      return undefined;
    case 'everysec':
    case 'no':
      return `Redis at ${where} writes its append-only file with appendfsync ${aof}: if its machine crashes (not Redis alone), the sign-outs of the last ${aof === 'everysec' ? 'second' : 'seconds (whenever the system flushes)'} are undone, and the tokens they removed come back. ${fix}`;
    case 'off':
      return `Redis at ${where} keeps no append-only file: if it restarts, every sign-out since its last snapshot is undone, and the tokens and sessions they removed come back. ${fix}`;
    case 'unknown':
      return `Redis at ${where} refused CONFIG GET: whether it keeps every sign-out through a restart is unknown. Make sure it persists with an append-only file written at every command (docs/redis.md#persistence).`;
  }
}

class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/** `promise`, or a {@link DeadlineExceeded} after `ms`; past it, its outcome comes to nobody. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every key of the samples in Redis starts with this. `2`: the layout with hash tags (`hash-slot.ts`);
 * the keys of the first layout (`single-sign-out:<sample>:…`) are never read (docs/redis.md).
 */
export const NAMESPACE = 'single-sign-out:2:';
const MARKERS = `${NAMESPACE}removed:`;

/** Where Redis keeps the removal marker of `key` (as the store names it: without the namespace). */
export function markerKey(key: string): string {
  return MARKERS + key;
}

/** The URL as messages show it: without a password. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href.replace(/\/$/, '');
  } catch {
    return 'REDIS_URL';
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

interface LuaScript {
  text: string;
  sha1: string;
}

function lua(text: string): LuaScript {
  return { text, sha1: createHash('sha1').update(text).digest('hex') };
}

// KEYS[1] the key; ARGV[1] the value it must still hold.
const DELETE_IF_UNCHANGED = lua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`);

// KEYS: the n keys, then their n markers; ARGV: the marker's lifetime (ms). Each marker holds
// Redis's time of the removal, in milliseconds; one already there keeps the later expiry.
const REMOVE = lua(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local n = #KEYS / 2
for i = 1, n do
  redis.call('DEL', KEYS[i])
  local ttl = math.max(tonumber(ARGV[1]), redis.call('PTTL', KEYS[n + i]))
  redis.call('SET', KEYS[n + i], now, 'PX', ttl)
end
return n`);

// KEYS: the guards' markers, then the keys written. ARGV: the number of guards, each guard's
// "since", then per write its kind ('set' or 'add'), its lifetime (ms) and its value or member.
// Nothing is written if a guarded key was removed at or after its "since".
const WRITE = lua(`
local guards = tonumber(ARGV[1])
for i = 1, guards do
  local removedAt = redis.call('GET', KEYS[i])
  if removedAt and tonumber(removedAt) >= tonumber(ARGV[1 + i]) then return 0 end
end
local a = 2 + guards
for k = guards + 1, #KEYS do
  if ARGV[a] == 'set' then
    redis.call('SET', KEYS[k], ARGV[a + 2], 'PX', ARGV[a + 1])
  else
    redis.call('SADD', KEYS[k], ARGV[a + 2])
    redis.call('PEXPIRE', KEYS[k], ARGV[a + 1])
  end
  a = a + 3
end
return 1`);

// KEYS[1] the set, then the keys to delete with it once it is empty; ARGV[1] the member.
const REMOVE_FROM_SET = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SREM', KEYS[1], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 0 then redis.call('DEL', unpack(KEYS)) end
return 1`);

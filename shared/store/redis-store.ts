import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { ServiceUnavailableError, StartupError } from '../errors.ts';
import {
  type KeyValueStore,
  REMOVAL_MARKER_SECONDS,
  type Write,
  type WriteGuard,
} from './key-value-store.ts';

/**
 * The store on Redis, for several instances of a sample (node-redis). Every key lives under
 * `single-sign-out:`; a removal marker for `key` under `single-sign-out:removed:<key>`.
 *
 * What must be one step is one step: a guarded write (check the markers, then write) and a removal
 * (delete, then leave the marker) are each a Lua script, which Redis runs with nothing in between.
 * So a token refresh on one instance cannot write back a partition that a sign-out on another
 * instance removed while the refresh was running.
 *
 * Times compared by the guards come from the instances' clocks (`since` is when a request began
 * there, a marker holds when another instance removed the key): instances must keep their clocks
 * in step (NTP), as every distributed cache with expiry assumes.
 *
 * Redis down is a {@link ServiceUnavailableError} (a 503 page) within `timeoutMs`, never a hang:
 * commands are not queued while disconnected, and the client reconnects by itself.
 */
export class RedisStore implements KeyValueStore {
  private constructor(
    private readonly client: RedisClient,
    /** What messages call this Redis: its URL without a password. */
    private readonly where: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Connects, or throws a {@link StartupError} naming `variable` (REDIS_URL) if Redis cannot be
   * reached within `timeoutMs`. Once connected, a lost connection is retried forever (at most
   * every two seconds), and `log` hears of the loss and of the return, once each.
   */
  static async connect(
    url: string,
    options: { timeoutMs: number; variable: string; log: (message: string) => void },
  ): Promise<RedisStore> {
    const where = redactedUrl(url);
    let connected = false;
    let down = false;
    const client = createClient({
      url,
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
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.destroy();
      throw new StartupError(
        `${options.variable}: no Redis answers at ${where} (${(error as Error).message})`,
        { cause: error },
      );
    }
    connected = true;
    return new RedisStore(client as RedisClient, where, options.timeoutMs);
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run(() => this.client.get(NAMESPACE + key));
    return value ?? undefined;
  }

  async deleteIfUnchanged(key: string, expected: string): Promise<boolean> {
    return (await this.script(DELETE_IF_UNCHANGED, [NAMESPACE + key], [expected])) === 1;
  }

  async remove(keys: readonly string[], markerSeconds = REMOVAL_MARKER_SECONDS): Promise<void> {
    if (keys.length === 0) return;
    await this.script(
      REMOVE,
      [...keys.map((key) => NAMESPACE + key), ...keys.map(markerKey)],
      [String(Date.now()), String(markerSeconds * 1000)],
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

  async stats(): Promise<{ entries: number; removalMarkers: number }> {
    const all = await this.scan(NAMESPACE);
    const removalMarkers = all.filter((key) => key.startsWith(MARKERS)).length;
    return { entries: all.length - removalMarkers, removalMarkers };
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close();
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
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineExceeded()), this.timeoutMs);
    });
    const answer = command();
    // Past the deadline its answer, or failure, comes to nobody.
    answer.catch(() => {});
    try {
      return await Promise.race([answer, deadline]);
    } catch (error) {
      const name = (error as Error).name;
      const reason =
        error instanceof DeadlineExceeded
          ? 'did not answer in time'
          : name === 'ClientOfflineError' || name === 'ClientClosedError'
            ? 'is not reachable'
            : 'refused the command';
      throw new ServiceUnavailableError('Redis', this.where, reason, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

type RedisClient = ReturnType<typeof createClient>;

class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/** Every key of the samples in Redis starts with this. */
export const NAMESPACE = 'single-sign-out:';
const MARKERS = `${NAMESPACE}removed:`;

function markerKey(key: string): string {
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

// KEYS: the n keys, then their n markers; ARGV: the time of the removal, the marker's lifetime (ms).
// A marker already there keeps the later expiry.
const REMOVE = lua(`
local n = #KEYS / 2
for i = 1, n do
  redis.call('DEL', KEYS[i])
  local ttl = math.max(tonumber(ARGV[2]), redis.call('PTTL', KEYS[n + i]))
  redis.call('SET', KEYS[n + i], ARGV[1], 'PX', ttl)
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

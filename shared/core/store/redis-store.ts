import { createHash } from 'node:crypto';
import {
  ClientClosedError,
  ClientOfflineError,
  createClient,
  createCluster,
  ErrorReply,
  SocketClosedUnexpectedlyError,
} from 'redis';
import { ServiceUnavailableError, StartupError } from '../errors.ts';
import { groupBySlot } from './hash-slot.ts';
import {
  type KeyValueStore,
  REMOVAL_MARKER_SECONDS,
  type Write,
  type WriteGuard,
  type WriteOptions,
} from './key-value-store.ts';

/**
 * The store on Redis, for several instances of a sample (node-redis). Every key lives under
 * `single-sign-out:3:`; a removal marker for `key` under `single-sign-out:3:removed:<key>`.
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
 *
 * On a Redis Cluster ({@link RedisStore.connectCluster}) each script goes to the primary of its
 * first key's slot (all its keys must share that slot); `TRYAGAIN`, `CLUSTERDOWN` and a node's
 * connection being down are retried within `timeoutMs`. With replicas (a cluster's, or one
 * primary's outside a cluster), a removal is confirmed by `WAIT 1`: see {@link RedisStore.remove}.
 */
export class RedisStore implements KeyValueStore {
  /** Redis's clock minus this process's, in milliseconds, less the measure's uncertainty. */
  private offsetMs = 0;
  /** Each node's offset, as last measured: `offsetMs` is the earliest. */
  private readonly clocks = new Map<string, number>();
  private readonly clockSync: NodeJS.Timeout;

  /**
   * The primaries (`addressOf`) seen with a replica online, each with its replication id: from
   * then on their durable steps wait for one (see {@link RedisStore.durableScript}).
   */
  private readonly replicated = new Map<string, string>();
  /** When a durable step last asked a primary not (yet) seen with a replica for its replicas. */
  private readonly askedAt = new Map<string, number>();
  private spreadLogged = false;
  private infoRefusedLogged = false;

  private constructor(
    /** The commands, routed: a client, or a cluster (each command to its key's primary). */
    private readonly client: Commands,
    /**
     * The nodes: removals, durable writes and their `WAIT` go to a primary's connection of their
     * own (`durablePrimaryFor`), since a `WAIT` blocks its connection.
     */
    private readonly topology: Topology,
    /** What messages call this Redis: its URL without a password (a cluster: its seed nodes'). */
    readonly where: string,
    private readonly timeoutMs: number,
    private readonly waitMs: number,
    private readonly log: (message: string) => void,
  ) {
    this.clockSync = setInterval(() => this.syncClock().catch(() => {}), 10_000).unref();
  }

  /**
   * Connects, or throws a {@link StartupError} naming `variable` (REDIS_URL) if Redis cannot be
   * reached within `timeoutMs`. Once connected, a lost connection is retried forever (at most
   * every two seconds), and `log` hears of the loss and of the return, once each.
   */
  static async connect(url: string, options: ConnectOptions): Promise<RedisStore> {
    const where = redactedUrl(url);
    const cachedEntries = options.cachedEntries ?? 10_000;
    let connected = false;
    let down = false;
    const make = (cache: boolean) =>
      createClient({
        url,
        // RESP3, for the invalidations the client-side cache of `get(key, { cacheable })` needs.
        RESP: 3,
        ...(cache &&
          cachedEntries > 0 && {
            clientSideCache: { maxEntries: cachedEntries, evictPolicy: 'LRU' as const },
          }),
        // Disconnected: fail at once rather than queue. Connected: at most this many waiting.
        disableOfflineQueue: true,
        commandsQueueMaxLength: 1_000,
        socket: {
          connectTimeout: options.timeoutMs,
          // At start-up one failure is enough to say so; afterwards, keep trying.
          reconnectStrategy: (retries: number, cause: Error) =>
            connected ? Math.min(100 * 2 ** retries, 2_000) : cause,
        },
      });
    const client = make(true);
    client.on('error', (error: Error) => {
      if (connected && !down) {
        down = true;
        options.log(`Redis at ${where} is not reachable (${error.message}); reconnecting…`);
      }
    });
    client.on('ready', () => {
      if (down) options.log(`Redis at ${where} is back`);
      down = false;
      // Back, perhaps at another node (an address moved to a promoted replica): measure it.
      // (`store` exists by then: `connected` is set once it does.)
      if (connected) store.syncClock().catch(() => {});
    });
    // Removals, and the WAIT that confirms them on a replica, on a connection of their own.
    const durable = make(false).on('error', () => {});
    const single = client as RedisClient;
    const store = new RedisStore(
      clientCommands(single),
      {
        primaries: async () => [single],
        durablePrimaryFor: async () => durable as RedisClient,
        replicaOptions: (host, port) => ({ ...credentialsOf(url), socket: { host, port } }),
        cache: () => single.clientSideCache,
        isOpen: () => single.isOpen,
        close: () => Promise.all([single.close(), durable.close()]).then(() => {}),
        destroy: () => {
          single.destroy();
          durable.destroy();
        },
      },
      where,
      options.timeoutMs,
      options.waitMs ?? DEFAULT_WAIT_MS,
      options.log,
    );
    await store.open(() => Promise.all([client.connect(), durable.connect()]), options);
    connected = true;
    return store;
  }

  /**
   * Connects to a Redis Cluster through its seed nodes (`nodes`: `redis://host:port` URLs; the
   * first one's user name, password and `rediss:` apply to every node), or throws a
   * {@link StartupError} naming `variable` (REDIS_CLUSTER_NODES) if none answers within
   * `timeoutMs`. node-redis discovers the other nodes, follows MOVED and ASK, and finds the new
   * primary after a failover (it asks again for the topology every 500 ms while a node's
   * connection is down). Every key a script names must be in one slot (a hash tag).
   */
  static async connectCluster(
    nodes: readonly string[],
    options: ConnectOptions,
  ): Promise<RedisStore> {
    const where = `Redis Cluster (${nodes.map(redactedUrl).join(', ')})`;
    const cachedEntries = options.cachedEntries ?? 10_000;
    const first = nodes[0];
    if (first === undefined) throw new StartupError(`${options.variable}: no node given`);
    let connected = false;
    const down = new Set<string>();
    const tls = first.startsWith('rediss:');
    const defaults = {
      ...credentialsOf(first),
      disableOfflineQueue: true,
      commandsQueueMaxLength: 1_000,
      socket: {
        connectTimeout: options.timeoutMs,
        ...(tls && { tls: true as const }),
        // A node's connection lost: try again soon (the failover takes a few seconds), and ask
        // for the topology meanwhile (topologyRefreshOnReconnectionAttemptStrategy).
        reconnectStrategy: (retries: number, cause: Error) =>
          connected ? Math.min(50 * 2 ** retries, 250) : cause,
      },
    };
    const make = (cache: boolean) =>
      createCluster({
        rootNodes: nodes.map((url) => ({ url })),
        defaults,
        RESP: 3,
        // Never replicas for reads: a replica may still hold what a sign-out removed.
        useReplicas: false,
        topologyRefreshOnReconnectionAttemptStrategy: 500,
        ...(cache &&
          cachedEntries > 0 && {
            clientSideCache: { maxEntries: cachedEntries, evictPolicy: 'LRU' as const },
          }),
      });
    const cluster = make(true);
    const durable = make(false);
    cluster.on('node-error', (error: Error, node: { host: string; port: number }) => {
      const address = `${node.host}:${node.port}`;
      if (connected && !down.has(address)) {
        down.add(address);
        options.log(
          `Redis node ${address} of ${where} is not reachable (${error.message}); reconnecting…`,
        );
      }
    });
    cluster.on('error', () => {});
    durable.on('node-error', () => {}).on('error', () => {});
    const store = new RedisStore(
      clusterCommands(cluster as unknown as RedisCluster),
      {
        primaries: () =>
          Promise.all(
            cluster.masters.map(
              (node) => cluster.nodeClient(node) as unknown as Promise<RedisClient>,
            ),
          ),
        durablePrimaryFor: (key) =>
          durable.getNodeClientForKey(key, false) as unknown as Promise<RedisClient>,
        replicaOptions: (host, port) => ({
          ...credentialsOf(first),
          socket: { host, port, ...(tls && { tls: true as const }) },
        }),
        follow: async (key) => {
          await durable.sendCommand(key, true, ['EXISTS', key]).catch(() => {});
        },
        cache: () => (cluster as unknown as RedisCluster).clientSideCache,
        isOpen: () => cluster.isOpen,
        close: () => Promise.all([cluster.close(), durable.close()]).then(() => {}),
        destroy: () => {
          cluster.destroy();
          durable.destroy();
        },
        cluster: true,
      },
      where,
      options.timeoutMs,
      options.waitMs ?? DEFAULT_WAIT_MS,
      options.log,
    );
    cluster.on('node-ready', (node: { host: string; port: number }) => {
      const address = `${node.host}:${node.port}`;
      if (down.delete(address)) options.log(`Redis node ${address} of ${where} is back`);
      // A node never measured (a new primary, a promoted replica): its clock counts from now.
      if (connected) store.syncClock().catch(() => {});
    });
    await store.open(() => Promise.all([cluster.connect(), durable.connect()]), options);
    connected = true;
    return store;
  }

  /**
   * The connections, the handshake (AUTH…) and a first clock measure, all within the timeout (a
   * listener that accepts and never answers is no Redis); or a {@link StartupError} naming
   * `variable`, everything closed.
   */
  private async open(
    connect: () => Promise<unknown>,
    options: { timeoutMs: number; variable: string },
  ): Promise<void> {
    try {
      await withDeadline(
        (async () => {
          await connect();
          await this.syncClock();
        })(),
        options.timeoutMs,
      );
    } catch (error) {
      clearInterval(this.clockSync);
      this.topology.destroy();
      const reason =
        error instanceof DeadlineExceeded ? 'it did not answer in time' : (error as Error).message;
      throw new StartupError(`${options.variable}: no Redis answers at ${this.where} (${reason})`, {
        cause: error,
      });
    }
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
      // On a cluster, one primary's: they are started alike, as a rule.
      const reply = (await this.run(async () => {
        const [primary] = await this.topology.primaries();
        return primary?.sendCommand(['CONFIG', 'GET', 'append*']);
      })) as unknown;
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
   *
   * Every node that may write a marker is measured — every primary, and every replica a primary
   * reports (`INFO replication`: a replica promoted by a failover brings its own clock) — and
   * `now()` uses the earliest clock of all those ever measured: whichever node writes a marker,
   * it is then never earlier than a `since` taken before the removal. A node not answering keeps
   * the offset it had; at least one must answer.
   *
   * The same `INFO replication` tells which primaries have a replica (`learn`): what decides the
   * `WAIT` of their durable steps.
   */
  async syncClock(): Promise<void> {
    const primaries = await this.run(() => this.topology.primaries());
    const measured = await Promise.allSettled(
      primaries.map(async (primary) => {
        const own = await this.run(() => measureClock(primary));
        this.clocks.set(addressOf(primary), own);
        const replication = await this.run(() => replicationOf(primary));
        this.learn(addressOf(primary), replication);
        if (replication.refused && !this.infoRefusedLogged) {
          this.infoRefusedLogged = true;
          this.log(
            `${this.where} refused INFO replication: whether its primaries have replicas is unknown, so no sign-out waits for a replica (WAIT), and a failover may undo one.`,
          );
        }
        const { replicas } = replication;
        await Promise.allSettled(
          replicas.map(async ({ host, port }) => {
            const replica = createClient({ ...this.topology.replicaOptions(host, port), RESP: 3 });
            replica.on('error', () => {});
            try {
              await this.run(async () => {
                await replica.connect();
                this.clocks.set(`${host}:${port}`, await measureClock(replica as RedisClient));
              });
            } finally {
              replica.destroy();
            }
          }),
        );
      }),
    );
    if (measured.every((result) => result.status === 'rejected')) {
      throw (measured[0] as PromiseRejectedResult | undefined)?.reason ?? new Error('no primary');
    }
    const offsets = [...this.clocks.values()];
    this.offsetMs = Math.min(...offsets);
    const spread = Math.max(...offsets) - this.offsetMs;
    if (spread > 250 && !this.spreadLogged) {
      this.spreadLogged = true;
      this.log(
        `The clocks of the nodes of ${this.where} differ by ${Math.round(spread)} ms: a sign-in that starts within that time after a sign-out elsewhere is refused. Synchronise their clocks (NTP).`,
      );
    }
  }

  /**
   * `cacheable` reads go through node-redis's client-side cache: served from this process while
   * Redis has not said the key changed (server-assisted, RESP3 `CLIENT TRACKING`: an invalidation
   * is pushed on this connection whenever any client changes it, and the whole copy is dropped if
   * the connection is lost). Other reads always ask Redis.
   *
   * A cached copy is as current as the last answer read on its connection: Redis sends a key's
   * invalidation ahead of any reply it gives afterwards on that connection, so an uncached read on
   * the same connection makes sure that every change made before it is seen. That is why the
   * samples read the session first (an uncached `get`): on one Redis every key shares the one
   * connection; on a cluster the connection of the key's node, and a signed-in session lives in the
   * hash slot of its user's partition (`Sessions.newId`), so on the same node. A cached read with no
   * such read before it may still serve a copy that a change elsewhere has just made stale.
   */
  async get(key: string, options: { cacheable?: boolean } = {}): Promise<string | undefined> {
    const value = await this.run(() =>
      options.cacheable
        ? this.client.get(NAMESPACE + key)
        : this.client.getUncached(NAMESPACE + key),
    );
    return value ?? undefined;
  }

  /**
   * Tells `listener` of every key (as the store names it) whose copy in this process's client-side
   * cache Redis invalidated, at the moment node-redis drops it (its cache's `invalidate` event);
   * `null` when Redis drops the whole copy. Nothing without a client-side cache (`cachedEntries`
   * 0). For measurements (test/bench/propagation.ts). Returns how to stop listening.
   */
  onCopyDropped(listener: (key: string | null) => void): () => void {
    const cache = this.topology.cache?.();
    if (!cache) return () => {};
    const handler = (key: unknown) =>
      listener(key === null ? null : String(key).slice(NAMESPACE.length));
    cache.on('invalidate', handler);
    return () => cache.off('invalidate', handler);
  }

  async deleteIfUnchanged(key: string, expected: string): Promise<boolean> {
    return (await this.script(DELETE_IF_UNCHANGED, [NAMESPACE + key], [expected])) === 1;
  }

  /**
   * Removes the keys and leaves their markers: one REMOVE script per hash slot of `keys` (each key
   * with its marker, which shares its slot), all at once, on the durable connection. Keys of several
   * slots are removed together, not atomically (nothing needs it: each key is guarded by its own
   * marker). When a slot's primary has a replica, then `WAIT 1 <waitMs>` on that same connection:
   * the removal is on a replica before this returns, so a failover cannot undo it; none
   * acknowledging in time is a {@link ServiceUnavailableError} (see `durableScript`). A primary
   * that never had a replica: no `WAIT`, as a lone Redis.
   */
  async remove(keys: readonly string[], markerSeconds = REMOVAL_MARKER_SECONDS): Promise<void> {
    if (keys.length === 0) return;
    // Each key once: REMOVE deletes KEYS[i], and a key named twice would be touched again after
    // (a non-local key to the script while its slot migrates, as in REMOVE_FROM_SET).
    const groups = groupBySlot([...new Set(keys)].map((key) => NAMESPACE + key));
    await Promise.all(
      groups.map((group) =>
        this.durableScript(
          REMOVE,
          [...group, ...group.map((key) => markerKey(key.slice(NAMESPACE.length)))],
          [String(markerSeconds * 1000)],
        ),
      ),
    );
  }

  /**
   * What a primary's `INFO replication` says of WAITing there. A replica online: its durable steps
   * WAIT from now on. None, where a replica was seen before: still WAIT (a replica away can still
   * be promoted without what the primary did alone; a primary restarted from its append-only file
   * has a new replication id, and its replica away all the same) — unless the node is a replica
   * promoted: a new replication id, and a previous one (`master_replid2`, all zeros on a primary
   * restarted from its append-only file). An address that moved to it, or a node promoted back at
   * its own address after a failover and back: until it has a replica of its own, nothing to wait
   * for, as for any replica just promoted. (A primary restarted from a snapshot alone also shows a
   * previous id, and is taken for one; it has lost every sign-out since that snapshot anyway:
   * `persistenceWarning`.)
   */
  private learn(address: string, { id, previousId, replicas }: Replication): void {
    const seen = this.replicated.get(address);
    if (replicas.length > 0) this.replicated.set(address, id);
    else if (seen !== undefined && id !== seen && /[1-9a-f]/.test(previousId)) {
      this.replicated.delete(address);
    }
  }

  /**
   * A script that must survive a failover: sent to the primary of its first key's slot on that
   * node's own durable connection, then, if it wrote (a write its guard refused did not) and that
   * primary was seen with a replica online (`learn`: from `syncClock`, at start-up, every ten
   * seconds and when a connection becomes ready; and here, at most every second, for a primary
   * not seen with one yet), `WAIT 1 <waitMs>` on the same connection, so that the `WAIT` covers
   * the very node that ran it. No replica acknowledging in time is a
   * {@link ServiceUnavailableError} (what ran stays on the primary; running it again is
   * harmless); and it stays so while the replica is away, even once the primary no longer lists
   * it, even after the primary restarted: nothing is said done on the primary alone. (A replica
   * taken away for good: restart the instances.) A primary never seen with a replica gets no
   * `WAIT`, nor does a replica promoted found at an address seen with one (`learn`), while it has
   * no replica of its own.
   *
   * MOVED (the slot has a new owner) runs the step again there, once the cluster client has
   * learnt it; while the slot is being moved (ASK, TRYAGAIN) the step is tried again on its owner
   * until the move is over, within the deadline (a move left half done is a 503 until it is
   * finished).
   */
  private async durableScript(script: LuaScript, keys: string[], args: string[]) {
    const first = keys[0] as string;
    const { reply, acknowledged } = await this.run(async () => {
      const primary = await this.topology.durablePrimaryFor(first);
      let reply: unknown;
      try {
        reply = await this.evalScript(clientCommands(primary), script, keys, args);
      } catch (error) {
        // The slot is elsewhere now (or moving): learn where, then try the whole step again.
        if (redirected(error)) await this.topology.follow?.(first);
        throw error;
      }
      // A guarded write its guard refused (0) wrote nothing: nothing to wait for.
      if (reply === 0) return { reply, acknowledged: true };
      const address = addressOf(primary);
      // Not seen with a replica: asked again, at most every second (one may have joined since the
      // last `syncClock`: a failed primary back as the replica of the one that replaced it).
      if (!this.replicated.has(address) && Date.now() - (this.askedAt.get(address) ?? 0) > 1_000) {
        this.askedAt.set(address, Date.now());
        this.learn(address, await replicationOf(primary));
      }
      if (!this.replicated.has(address)) return { reply, acknowledged: true };
      const count = Number(await primary.sendCommand(['WAIT', '1', String(this.waitMs)]));
      if (count > 0) return { reply, acknowledged: true };
      // No replica has it: a 503, unless this address now leads to that replica, promoted.
      this.learn(address, await replicationOf(primary));
      return { reply, acknowledged: !this.replicated.has(address) };
    });
    if (!acknowledged) {
      throw new ServiceUnavailableError(
        'Redis',
        this.where,
        'could not confirm the write on a replica',
        { internal: true },
      );
    }
    return reply;
  }

  async write(
    writes: readonly Write[],
    guards: readonly WriteGuard[] = [],
    { durable = false }: WriteOptions = {},
  ): Promise<boolean> {
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
    return (
      (await (durable ? this.durableScript(WRITE, keys, args) : this.script(WRITE, keys, args))) ===
      1
    );
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
    if (!this.topology.isOpen()) return;
    await withDeadline(this.topology.close(), this.timeoutMs).catch(() => this.topology.destroy());
  }

  /** On a cluster, every primary's keys, one primary after the other. */
  private async scan(prefix: string): Promise<string[]> {
    return this.run(async () => {
      const found: string[] = [];
      for (const primary of await this.topology.primaries()) {
        for await (const batch of primary.scanIterator({
          MATCH: `${escapeGlob(prefix)}*`,
          COUNT: 1000,
        })) {
          found.push(...batch);
        }
      }
      return found;
    });
  }

  /** Runs a Lua script by its SHA1, sending its text only when Redis does not have it yet. */
  private script(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    return this.run(() => this.evalScript(this.client, script, keys, args));
  }

  private async evalScript(
    on: Commands,
    script: LuaScript,
    keys: string[],
    args: string[],
  ): Promise<unknown> {
    try {
      return await on.evalSha(script.sha1, { keys, arguments: args });
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return on.eval(script.text, { keys, arguments: args });
    }
  }

  /**
   * Any failure to get an answer from Redis is a 503 that names it; never a key or a value. The
   * deadline is ours: node-redis's own command timeout stops counting once a command is sent, and
   * a Redis that stopped answering (frozen, or its host gone) would hold the request forever.
   */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    const cluster = this.topology.cluster === true;
    try {
      return await withDeadline(
        (async () => {
          // On a cluster, what a failover or a slot's migration answers for a moment is tried
          // again (a command refused with these was not run), within the deadline.
          for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
            try {
              return await command();
            } catch (error) {
              if (!cluster || !retryable(error) || Date.now() + delay >= deadline) throw error;
              await new Promise((resolve) => setTimeout(resolve, delay));
            }
          }
        })(),
        this.timeoutMs,
      );
    } catch (error) {
      const reason =
        error instanceof DeadlineExceeded
          ? 'did not answer in time'
          : error instanceof ClientOfflineError ||
              error instanceof ClientClosedError ||
              error instanceof SocketClosedUnexpectedlyError
            ? 'is not reachable'
            : `refused the command (${errorCode(error)})`;
      throw new ServiceUnavailableError('Redis', this.where, reason, {
        cause: error,
        internal: true,
      });
    }
  }
}

/** How `connect` and `connectCluster` are told to connect. */
interface ConnectOptions {
  timeoutMs: number;
  /** The variable a start-up error names: REDIS_URL, REDIS_CLUSTER_NODES. */
  variable: string;
  log: (message: string) => void;
  /**
   * How many values `get(key, { cacheable })` may keep in this process (default 10,000); 0 for
   * none (every read asks Redis).
   */
  cachedEntries?: number;
  /** How long a durable step waits for a replica's acknowledgement (`WAIT`), default 500 ms. */
  waitMs?: number;
}

type RedisClient = ReturnType<typeof createClient>;
type RedisCluster = ReturnType<typeof createCluster>;

/** How long a removal waits for a replica to acknowledge it (`WAIT`). */
const DEFAULT_WAIT_MS = 500;

/** The commands the store sends, whether to one Redis or to a cluster (routed by key). */
interface Commands {
  get(key: string): Promise<string | null>;
  getUncached(key: string): Promise<string | null>;
  sMembers(key: string): Promise<string[]>;
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

function clientCommands(client: RedisClient): Commands {
  return {
    get: (key) => client.get(key),
    getUncached: (key) => client.sendCommand(['GET', key]) as Promise<string | null>,
    sMembers: (key) => client.sMembers(key),
    evalSha: (sha1, options) => client.evalSha(sha1, options),
    eval: (script, options) => client.eval(script, options),
  };
}

function clusterCommands(cluster: RedisCluster): Commands {
  return {
    get: (key) => cluster.get(key) as Promise<string | null>,
    getUncached: (key) => cluster.sendCommand(key, true, ['GET', key]) as Promise<string | null>,
    sMembers: (key) => cluster.sMembers(key) as Promise<string[]>,
    // Routed by the first key to its slot's primary.
    evalSha: (sha1, options) => cluster.evalSha(sha1, options),
    eval: (script, options) => cluster.eval(script, options),
  };
}

/** The nodes behind the commands. */
interface Topology {
  /** A connection to every primary (one Redis: itself). */
  primaries(): Promise<RedisClient[]>;
  /** The durable connection to the primary of a key (where its removal ran). */
  durablePrimaryFor(key: string): Promise<RedisClient>;
  /** How to reach a replica a primary reports, for its clock. */
  replicaOptions(host: string, port: number): Parameters<typeof createClient>[0];
  /**
   * After a node answered MOVED or ASK for `key` (cluster): a command for it through the cluster
   * client, which follows the redirect and learns the slot's new owner.
   */
  follow?(key: string): Promise<void>;
  /** The client-side cache of `get(key, { cacheable })`, if any (node-redis's). */
  cache?(): CacheEvents | undefined;
  isOpen(): boolean;
  close(): Promise<void>;
  destroy(): void;
  cluster?: boolean;
}

/** The events of node-redis's client-side cache this store listens to. */
interface CacheEvents {
  on(event: 'invalidate', listener: (key: unknown) => void): unknown;
  off(event: 'invalidate', listener: (key: unknown) => void): unknown;
}

/** What a failover or a slot's migration answers for a moment, the command not run. */
function retryable(error: unknown): boolean {
  if (error instanceof ClientOfflineError) return true;
  const message = String((error as Error | undefined)?.message);
  return message.startsWith('TRYAGAIN') || message.startsWith('CLUSTERDOWN') || redirected(error);
}

/**
 * Redis's error code (`TRYAGAIN`, `CROSSSLOT`…), the first word of its reply, for the 503's
 * message: never the rest, which may name a key.
 */
function errorCode(error: unknown): string {
  return /^[A-Z]{2,20}\b/.exec(String((error as Error | undefined)?.message))?.[0] ?? 'an error';
}

/** A node's answer that the key's slot is served elsewhere (sent to a node, not the cluster). */
function redirected(error: unknown): boolean {
  const message = String((error as Error | undefined)?.message);
  return message.startsWith('MOVED ') || message.startsWith('ASK ');
}

/** Redis's clock minus this one's, erring early (see {@link RedisStore.syncClock}). */
async function measureClock(client: RedisClient): Promise<number> {
  // Each `TIME` gives a lower bound of the offset, short of the truth by up to its round trip (a
  // busy event loop makes that long): the tightest of three is kept. An offset too early makes a
  // write begun just after a removal look as if it began before it, and refused (a sign-in
  // right after the same user's sign-out).
  let best = Number.NEGATIVE_INFINITY;
  for (let sample = 0; sample < 3; sample += 1) {
    const [seconds, microseconds] = (await client.sendCommand(['TIME'])) as [string, string];
    const received = Date.now();
    const redisMs = Number(seconds) * 1000 + Math.floor(Number(microseconds) / 1000);
    best = Math.max(best, redisMs - received - 1);
  }
  return best;
}

/** What a primary says of its replication (`INFO replication`). */
interface Replication {
  /** `master_replid`: new when the node restarts, or is promoted. */
  id: string;
  /** `master_replid2`: a promoted replica's, the id of the primary it replicated. */
  previousId: string;
  /** The replicas it has connected, `slaveN:ip=…,port=…,state=online`. */
  replicas: Array<{ host: string; port: number }>;
  /** `INFO` refused: nothing known. */
  refused?: boolean;
}

async function replicationOf(client: RedisClient): Promise<Replication> {
  let info: string;
  try {
    info = String(await client.sendCommand(['INFO', 'replication']));
  } catch (error) {
    // INFO refused (a managed Redis may rename it): no replica known, no WAIT, as a lone Redis.
    if (error instanceof ErrorReply) return { id: '', previousId: '', replicas: [], refused: true };
    throw error;
  }
  return {
    id: /^master_replid:(\w+)/m.exec(info)?.[1] ?? '',
    previousId: /^master_replid2:(\w+)/m.exec(info)?.[1] ?? '',
    replicas: [...info.matchAll(/^slave\d+:ip=([^,]+),port=(\d+),state=online/gm)].map((match) => ({
      host: match[1] as string,
      port: Number(match[2]),
    })),
  };
}

function addressOf(client: RedisClient): string {
  const socket = client.options?.socket as { host?: string; port?: number } | undefined;
  return `${socket?.host ?? ''}:${socket?.port ?? ''}|${client.options?.url ?? ''}`;
}

/** The user name and password of a `redis://` URL, for connections made from host and port. */
function credentialsOf(url: string): { username?: string; password?: string } {
  try {
    const parsed = new URL(url);
    return {
      ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
      ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    };
  } catch {
    return {};
  }
}

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
 * Every key of the samples in Redis starts with this. `3`: the layout with hash tags, a signed-in
 * session in its user's hash slot (`hash-slot.ts`); the keys of earlier layouts
 * (`single-sign-out:<sample>:…`, `single-sign-out:2:…`) are never read (docs/redis.md).
 */
export const NAMESPACE = 'single-sign-out:3:';
const MARKERS = `${NAMESPACE}removed:`;

/** Where Redis keeps the removal marker of `key` (as the store names it: without the namespace). */
export function markerKey(key: string): string {
  return MARKERS + key;
}

/** The URL as messages show it: without a password. */
function redactedUrl(url: string): string {
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
// No command touches a key after one may have deleted it (an SREM of the last member deletes the
// set): while the slot is migrating, a key its node no longer has is "non local" to a script, and
// Redis stops the script there (`ERR Script attempted to access a non local key`), its earlier
// writes kept. So the last member takes the set (and the keys with it) in one DEL.
const REMOVE_FROM_SET = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[1]) == 1 and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  redis.call('DEL', unpack(KEYS))
else
  redis.call('SREM', KEYS[1], ARGV[1])
end
return 1`);

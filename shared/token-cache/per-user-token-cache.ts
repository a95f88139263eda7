import type { ConfidentialClientApplication } from '@azure/msal-node';
import type { KeyValueStore } from '../store/key-value-store.ts';
import type {
  ClientLease,
  RememberedToken,
  TokenCachePartition,
  TokenCacheSource,
} from './cache-plugin.ts';
import { accountsIn, summarize, type TokenCacheSummary } from './serialized-cache.ts';

export interface PerUserTokenCacheOptions {
  keyPrefix: string;
  ttlSeconds: number;
  /** Builds a msal client over a partition (the sample's, with its settings). */
  msalClient: (partition: TokenCachePartition) => ConfidentialClientApplication;
  /** How many users' msal clients stay warm in this process (the first level); 0 for none. */
  warmClients?: number;
}

/**
 * A token cache with one partition per user, keyed by msal's home account id (`uid.utid`),
 * in a shared store: the layout of Microsoft.Identity.Web's distributed token cache.
 *
 * Removing a user is deleting their partition. That is deliberate: msal-node 7's
 * `tokenCache.removeAccount()` matches cache keys by case-sensitive substring (removing `user1`
 * also removes `user10`), so against a shared cache we never rely on it.
 *
 * The first level: after a request, the user's msal client is kept in this process with the
 * partition it holds, up to `warmClients` users (least recently used go first). The next request
 * reads the partition (from the store's own copy in this process, which Redis keeps current) and,
 * if it is the one the client holds, uses that client as it is: no client to build, nothing to
 * parse. A client serves one request at a time. The store stays the truth: a partition changed or
 * removed anywhere, by any instance, is a different value, and the warm client is dropped.
 */
export class PerUserTokenCache {
  /** Warm clients by home account id, least recently used first (a Map keeps insertion order). */
  private readonly warm = new Map<string, WarmClient>();
  /** The requests using a user's partition right now: a sign-out here drops their clients. */
  private readonly inUse = new Map<string, Set<PartitionAccess>>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly options: PerUserTokenCacheOptions,
  ) {}

  /**
   * The partition of `homeAccountId`, for one request, over a client of its own. At sign-in,
   * before msal has returned the account, pass `undefined`: the partition then starts empty and
   * is saved under the one account msal wrote.
   */
  partition(homeAccountId: string | undefined): TokenCachePartition {
    const access = this.access(homeAccountId, this.store.now());
    return {
      load: async () => {
        if (!homeAccountId) return undefined;
        const loaded = await this.store.get(this.key(homeAccountId), { cacheable: true });
        access.held = loaded;
        return loaded;
      },
      save: access.save,
      clear: access.clear,
    };
  }

  /**
   * A msal client holding the user's partition, for one request: the warm one if the partition
   * has not changed since it was kept, otherwise a new one; `undefined` if the cache holds
   * nothing for the user. `release()` when done.
   */
  async lease(homeAccountId: string): Promise<ClientLease | undefined> {
    const since = this.store.now();
    const current = await this.store.get(this.key(homeAccountId), { cacheable: true });
    const kept = this.warm.get(homeAccountId);
    // Taken out while in use: a concurrent request of the same user gets a client of its own.
    this.warm.delete(homeAccountId);
    if (current === undefined) return undefined;
    const access = this.access(homeAccountId, since);
    access.held = current;
    const inUse = this.inUse.get(homeAccountId) ?? new Set();
    this.inUse.set(homeAccountId, inUse.add(access));
    let warm: WarmClient;
    if (kept && kept.held === current) {
      warm = kept;
      warm.partition.current = access;
    } else {
      // The client loads the partition once, through its plugin, at its first cache access.
      access.pending = current;
      const partition = new SwitchablePartition(access);
      warm = {
        client: this.options.msalClient(partition),
        partition,
        held: current,
        tokens: new Map(),
      };
    }
    return {
      client: warm.client,
      tokens: warm.tokens,
      clear: access.clear,
      release: () => {
        inUse.delete(access);
        if (inUse.size === 0) this.inUse.delete(homeAccountId);
        if (access.dropped || access.held === undefined) return;
        // msal wrote the partition (a refresh): what it holds now is what it wrote.
        warm.held = access.held;
        this.keepWarm(homeAccountId, warm);
      },
    };
  }

  /** Where a request for this user gets its msal client (see `lease`). */
  forUser(homeAccountId: string): TokenCacheSource {
    return { lease: () => this.lease(homeAccountId) };
  }

  /**
   * Deletes everything the cache holds for this user: a sign-out. A request that opened the
   * partition before cannot write it back (see `save`), and this process's warm client goes.
   */
  async remove(homeAccountId: string): Promise<void> {
    this.warm.delete(homeAccountId);
    for (const access of this.inUse.get(homeAccountId) ?? []) access.dropped = true;
    await this.store.remove([this.key(homeAccountId)]);
  }

  async summary(): Promise<TokenCacheSummary> {
    const keys = await this.store.keys(this.options.keyPrefix);
    return summarize(await Promise.all(keys.map((key) => this.store.get(key))));
  }

  /** How many users' clients are warm in this process (for the benchmark and the inspector). */
  get warmClients(): number {
    return this.warm.size;
  }

  private keepWarm(homeAccountId: string, warm: WarmClient): void {
    const limit = this.options.warmClients ?? 0;
    if (limit <= 0) return;
    this.warm.set(homeAccountId, warm);
    if (this.warm.size > limit) {
      const oldest = this.warm.keys().next().value as string;
      this.warm.delete(oldest);
    }
  }

  /** What one request did with the user's partition: what it holds, and when it began. */
  private access(homeAccountId: string | undefined, since: number): PartitionAccess {
    const access: PartitionAccess = {
      held: undefined,
      pending: undefined,
      dropped: false,
      partition: undefined as unknown as TokenCachePartition,
      save: async (serialized) => {
        const accounts = accountsIn(serialized);
        const owner = homeAccountId ?? accounts[0]?.homeAccountId;
        if (!owner || accounts.some((account) => account.homeAccountId !== owner)) {
          throw new Error('A per-user token cache partition must hold exactly one account');
        }
        // A request that opened the partition before the user signed out (say, mid-refresh)
        // does not write their tokens back afterwards: the sign-out wins (`remove`).
        const key = this.key(owner);
        const written = await this.store.write(
          [{ set: key, value: serialized, ttlSeconds: this.options.ttlSeconds }],
          [{ unlessRemoved: key, since }],
        );
        if (written) access.held = serialized;
        else access.dropped = true;
      },
      // Tokens the identity platform refused: drop what this request loaded, unless another
      // request (another browser of the user, signing in again) has written fresher ones since.
      // Not a sign-out: nothing later is refused.
      clear: async () => {
        access.dropped = true;
        if (homeAccountId && access.held !== undefined) {
          await this.store.deleteIfUnchanged(this.key(homeAccountId), access.held);
        }
      },
    };
    access.partition = {
      load: async () => {
        const value = access.pending;
        access.pending = undefined;
        return value;
      },
      save: access.save,
      clear: access.clear,
    };
    return access;
  }

  private key(homeAccountId: string): string {
    return this.options.keyPrefix + homeAccountId;
  }
}

interface PartitionAccess {
  /** The partition as this request knows it: loaded, or last written. */
  held: string | undefined;
  /** What the client has still to load (a new client's first cache access). */
  pending: string | undefined;
  /** The partition went (refused tokens, or a sign-out won): the client is not kept. */
  dropped: boolean;
  partition: TokenCachePartition;
  save(serialized: string): Promise<void>;
  clear(): Promise<void>;
}

interface WarmClient {
  client: ConfidentialClientApplication;
  partition: SwitchablePartition;
  /** The partition this client holds. */
  held: string;
  /** The access tokens msal gave from it (see `ClientLease.tokens`). */
  tokens: Map<string, RememberedToken>;
}

/**
 * The partition a warm client's plugin talks to: the request that leases the client switches it
 * to its own access, so that saves are guarded by that request's start.
 */
class SwitchablePartition implements TokenCachePartition {
  constructor(public current: PartitionAccess) {}

  load(): Promise<string | undefined> {
    return this.current.partition.load();
  }

  save(serialized: string): Promise<void> {
    return this.current.save(serialized);
  }

  clear(): Promise<void> {
    return this.current.clear();
  }
}

import type { ConfidentialClientApplication } from '@azure/msal-node';
import { emit } from '../events.ts';
import { checkKeyPrefix, tag } from '../store/hash-slot.ts';
import type { KeyValueStore } from '../store/key-value-store.ts';
import type { TokenCachePartition } from './cache-plugin.ts';
import { FirstLevel, type FirstLevelAccess } from './first-level.ts';
import { accountsIn, summarize, type TokenCacheSummary } from './serialized-cache.ts';
import type { ClientLease, TokenCacheOperations, TokenCacheRequest } from './token-cache.ts';

export interface PerUserTokenCacheOptions {
  keyPrefix: string;
  /** How long a partition lives after it was last written (or less: see `boundToSessions`). */
  ttlSeconds: number;
  /**
   * Whether a partition lives no later than the session of the request that writes it (`notAfter`
   * of `keepSignIn` and `lease`): no token then outlives the records a sign-out finds it by.
   */
  boundToSessions?: boolean;
  /** Builds a msal client over a partition (the app's, with its settings). */
  msalClient: (partition: TokenCachePartition) => ConfidentialClientApplication;
  /** How many users' access tokens this process remembers (the first level); 0 turns it off. */
  warmUsers?: number;
  /** Names this app (this instance) in the events it emits (`tokens-removed`). */
  app: string;
}

/**
 * A token cache with one partition per user, keyed by msal's home account id (`uid.utid`),
 * in a store: the layout of Microsoft.Identity.Web's distributed token cache (a shared store),
 * or of ASP.NET's `MemoryCache.Default` (a `MemoryStore` of this process).
 *
 * Removing a user is deleting their partition. That is deliberate: msal-node 7's
 * `tokenCache.removeAccount()` matches cache keys by case-sensitive substring (removing `user1`
 * also removes `user10`), so against a shared cache we never rely on it.
 *
 * With `warmUsers`, the first level (`first-level.ts`) remembers the access tokens msal gave, while
 * the partition they came from is unchanged.
 */
export class PerUserTokenCache implements TokenCacheOperations {
  /** A sign-in's tokens become the user's partition once the session is saved (see `keepSignIn`). */
  readonly keepsTokens = 'in a partition' as const;
  private readonly firstLevel: FirstLevel | undefined;
  /** The requests using a user's partition right now: a sign-out here drops what they learn. */
  private readonly inUse = new Map<string, Set<PartitionAccess>>();
  private readonly app: string;

  constructor(
    private readonly store: KeyValueStore,
    private readonly options: PerUserTokenCacheOptions,
  ) {
    const { warmUsers = 0 } = options;
    checkKeyPrefix(options.keyPrefix);
    this.firstLevel = warmUsers > 0 ? new FirstLevel(warmUsers) : undefined;
    this.app = options.app;
  }

  /**
   * The tokens a sign-in redeemed, kept as the partition of the one user they belong to, once the
   * sign-in is accepted: unless a sign-out removed that partition after `startedAt` (when the
   * sign-in's request began, by this process's clock), then nothing is written and the answer is
   * `false`. With `boundToSessions`, the partition lives no later than `notAfter`, the new
   * session's end.
   */
  async keepSignIn(
    serialized: string,
    { startedAt, notAfter }: { startedAt: number; notAfter?: number | undefined },
  ): Promise<boolean> {
    // The request's start on the store's clock (Redis's, for a shared store): as long ago.
    const since = this.store.now() - Math.max(0, Date.now() - startedAt);
    const access = this.access(undefined, since, notAfter);
    await access.save(serialized);
    return !access.dropped;
  }

  /**
   * A sign-in replaced `homeAccountId`'s session in a browser. With `boundToSessions`, their
   * partition goes: that session led a sign-out to it, and no token outlives the records that find
   * it (their other browsers, if any, sign in again when they next need a token). Otherwise (aspnet,
   * as its original) it stays.
   */
  async sessionReplaced(homeAccountId: string): Promise<void> {
    if (this.options.boundToSessions) await this.remove(homeAccountId);
  }

  /**
   * The user's partition for one request: a msal client over it (built when first asked for),
   * and the access tokens remembered from it if it has not changed since; `undefined` if the
   * cache holds nothing for the user. `release()` when done. With `boundToSessions`, what the
   * request's msal writes (a refresh) lives no later than `notAfter`, the end of its session.
   * The partition may come from this process's client-side copy: the request must have read its
   * session from the store first, which is what brings that copy up to date (`RedisStore.get`).
   */
  async lease({
    user: { homeAccountId },
    notAfter,
  }: TokenCacheRequest): Promise<ClientLease | undefined> {
    const access = this.access(homeAccountId, this.store.now(), notAfter);
    // In use from now on: a sign-out here while the partition is being read drops it too.
    const inUse = this.inUse.get(homeAccountId) ?? new Set();
    this.inUse.set(homeAccountId, inUse.add(access));
    const done = () => {
      inUse.delete(access);
      if (inUse.size === 0) this.inUse.delete(homeAccountId);
    };
    const current = await this.store.get(this.key(homeAccountId), { cacheable: true });
    if (current === undefined || access.dropped) {
      done();
      return undefined;
    }
    access.held = current;
    // The client loads the partition once, through its plugin, at its first cache access.
    access.pending = current;
    const warm = this.firstLevel?.open(homeAccountId, current);
    access.warm = warm;
    let client: ConfidentialClientApplication | undefined;
    const msalClient = () => this.options.msalClient(access.partition);
    return {
      get client() {
        client ??= msalClient();
        return client;
      },
      partition: access.partition,
      ...(warm ? { tokens: warm.tokens } : {}),
      clear: access.clear,
      release: () => {
        done();
        if (!access.dropped) warm?.keep();
      },
    };
  }

  /**
   * Deletes everything the cache holds for this user: a sign-out. A request that opened the
   * partition before cannot write it back (see `save`), and this process forgets its tokens.
   */
  async remove(homeAccountId: string): Promise<void> {
    this.firstLevel?.forget(homeAccountId);
    for (const access of this.inUse.get(homeAccountId) ?? []) access.dropped = true;
    await this.store.remove([this.key(homeAccountId)]);
    emit({ type: 'tokens-removed', app: this.app, homeAccountId });
  }

  async summary(): Promise<TokenCacheSummary> {
    const keys = await this.store.keys(this.options.keyPrefix);
    const summary = summarize(await Promise.all(keys.map((key) => this.store.get(key))));
    const { removalMarkers } = await this.store.stats(this.options.keyPrefix);
    return { ...summary, warmUsers: this.firstLevel?.size ?? 0, removalMarkers };
  }

  /**
   * What one request did with the user's partition: what it holds, when it began, and the latest
   * its writes may live until.
   */
  private access(
    homeAccountId: string | undefined,
    since: number,
    notAfter?: number,
  ): PartitionAccess {
    const access: PartitionAccess = {
      held: undefined,
      pending: undefined,
      warm: undefined,
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
          [{ set: key, value: serialized, ttlSeconds: this.ttlSeconds(notAfter) }],
          [{ unlessRemoved: key, since }],
        );
        if (written) {
          access.held = serialized;
          access.warm?.written(serialized);
        } else {
          access.dropped = true;
        }
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

  /** The user's partition: on the user's hash slot, `{u:<home account id>}`, with its marker. */
  private key(homeAccountId: string): string {
    return this.options.keyPrefix + tag('u', homeAccountId);
  }

  /** A partition's lifetime: the cache's own, or less, to end no later than `notAfter`. */
  private ttlSeconds(notAfter: number | undefined): number {
    const { ttlSeconds, boundToSessions = false } = this.options;
    if (!boundToSessions || notAfter === undefined) return ttlSeconds;
    return Math.max(1, Math.min(ttlSeconds, Math.floor((notAfter - Date.now()) / 1000)));
  }
}

interface PartitionAccess {
  /** The partition as this request knows it: loaded, or last written. */
  held: string | undefined;
  /** What the client has still to load (a new client's first cache access). */
  pending: string | undefined;
  /** A lease's view of the first level, told when this request's msal wrote the partition. */
  warm: FirstLevelAccess | undefined;
  /** The partition went (refused tokens, or a sign-out won): nothing of it is remembered. */
  dropped: boolean;
  partition: TokenCachePartition;
  save(serialized: string): Promise<void>;
  clear(): Promise<void>;
}

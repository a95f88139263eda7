import { createHash } from 'node:crypto';
import type { ConfidentialClientApplication } from '@azure/msal-node';
import type { NewEvent, Timeline } from '../../timeline/timeline.ts';
import type { KeyValueStore } from '../store/key-value-store.ts';
import type {
  ClientLease,
  RememberedToken,
  RememberedTokens,
  TokenCachePartition,
  TokenCacheSource,
} from './cache-plugin.ts';
import { accountsIn, summarize, type TokenCacheSummary } from './serialized-cache.ts';

export interface PerUserTokenCacheOptions {
  keyPrefix: string;
  /** How long a partition lives after it was last written (or less: see `boundToSessions`). */
  ttlSeconds: number;
  /**
   * Whether a partition lives no later than the session of the request that writes it (`notAfter`
   * of `keepSignIn` and `forUser`): no token then outlives the records a sign-out finds it by.
   */
  boundToSessions?: boolean;
  /** Builds a msal client over a partition (the sample's, with its settings). */
  msalClient: (partition: TokenCachePartition) => ConfidentialClientApplication;
  /** How many users' access tokens this process remembers (the first level); 0 for none. */
  warmUsers?: number;
  /** Where removals are told (the sample's timeline). */
  timeline?: Timeline;
}

/**
 * A token cache with one partition per user, keyed by msal's home account id (`uid.utid`),
 * in a shared store: the layout of Microsoft.Identity.Web's distributed token cache.
 *
 * Removing a user is deleting their partition. That is deliberate: msal-node 7's
 * `tokenCache.removeAccount()` matches cache keys by case-sensitive substring (removing `user1`
 * also removes `user10`), so against a shared cache we never rely on it.
 *
 * The first level: after a request, the access tokens msal gave are remembered in this process
 * with a digest of the partition they came from, for up to `warmUsers` users (least recently
 * used go first). The next request reads the partition (from the store's own copy in this
 * process, which Redis keeps current) and, if it is still the one the tokens came from, may use a
 * remembered token without building a msal client at all. The store stays the truth: a partition
 * changed or removed anywhere, by any instance, is a different value, and what was remembered is
 * dropped. msal clients themselves are not kept: they would hold kilobytes more per user, to save
 * only their construction, once per token lifetime (see docs/performance.md).
 */
export class PerUserTokenCache {
  /** A sign-in's tokens become the user's partition once the session is saved (see `keepSignIn`). */
  readonly keepsTokens = 'in a partition' as const;
  /** Remembered tokens by home account id, least recently used first (a Map keeps insertion order). */
  private readonly warm = new Map<string, WarmUser>();
  /** The requests using a user's partition right now: a sign-out here drops what they learn. */
  private readonly inUse = new Map<string, Set<PartitionAccess>>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly options: PerUserTokenCacheOptions,
  ) {}

  /**
   * The partition of `homeAccountId`, for one request, over a client of its own. With `undefined`,
   * the partition starts empty and is saved under the one account msal wrote.
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
   * request's msal writes lives no later than `notAfter` (epoch ms), if given.
   */
  async lease(homeAccountId: string, notAfter?: number): Promise<ClientLease | undefined> {
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
    // The partition this request works from: what it read, then what its msal wrote.
    let version = digest(current);
    const kept = this.warm.get(homeAccountId);
    // Requests of the user at once share what is remembered from the same partition.
    const entry: WarmUser =
      kept && kept.digest === version ? kept : { digest: version, tokens: new Map() };
    access.written = (serialized) => {
      version = digest(serialized);
      // What was remembered came from the partition before: it is the past, for every request.
      entry.digest = version;
      entry.tokens.clear();
    };
    // A request takes, and gives, tokens only while the entry is of the partition it works from.
    const tokens: RememberedTokens = {
      get: (key) => (entry.digest === version ? entry.tokens.get(key) : undefined),
      set: (key, token) => {
        if (entry.digest === version) entry.tokens.set(key, token);
      },
      delete: (key) => entry.tokens.delete(key),
    };
    let client: ConfidentialClientApplication | undefined;
    const msalClient = () => this.options.msalClient(access.partition);
    return {
      get client() {
        client ??= msalClient();
        return client;
      },
      tokens,
      clear: access.clear,
      release: () => {
        done();
        if (access.dropped || entry.digest !== version) return;
        this.keepWarm(homeAccountId, entry);
      },
    };
  }

  /**
   * Where a request for this user gets its msal client (see `lease`). `notAfter`: with
   * `boundToSessions`, the partition, if this request writes it (a refresh), lives no later than
   * that (epoch ms): the end of the request's session.
   */
  forUser(homeAccountId: string, { notAfter }: { notAfter?: number } = {}): TokenCacheSource {
    return { lease: () => this.lease(homeAccountId, notAfter) };
  }

  /**
   * Deletes everything the cache holds for this user: a sign-out. A request that opened the
   * partition before cannot write it back (see `save`), and this process forgets its tokens.
   */
  async remove(homeAccountId: string): Promise<void> {
    this.warm.delete(homeAccountId);
    for (const access of this.inUse.get(homeAccountId) ?? []) access.dropped = true;
    const { timeline } = this.options;
    // What it held, for the timeline only (one more read): the removal itself needs none.
    const held = timeline?.enabled ? await this.store.get(this.key(homeAccountId)) : undefined;
    await this.store.remove([this.key(homeAccountId)]);
    timeline?.record(removal(homeAccountId, held));
  }

  async summary(): Promise<TokenCacheSummary> {
    const keys = await this.store.keys(this.options.keyPrefix);
    const summary = summarize(await Promise.all(keys.map((key) => this.store.get(key))));
    const { removalMarkers } = await this.store.stats(this.options.keyPrefix);
    return { ...summary, warmUsers: this.warm.size, removalMarkers };
  }

  private keepWarm(homeAccountId: string, warm: WarmUser): void {
    const limit = this.options.warmUsers ?? 0;
    // Deleted first, so that the user is now the most recently used.
    this.warm.delete(homeAccountId);
    if (limit <= 0 || warm.tokens.size === 0) return;
    this.warm.set(homeAccountId, warm);
    if (this.warm.size > limit) {
      const oldest = this.warm.keys().next().value as string;
      this.warm.delete(oldest);
    }
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
      written: undefined,
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
          access.written?.(serialized);
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

  private key(homeAccountId: string): string {
    return this.options.keyPrefix + homeAccountId;
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
  /** A lease's: told when this request's msal wrote the partition. */
  written: ((serialized: string) => void) | undefined;
  /** The partition went (refused tokens, or a sign-out won): nothing of it is remembered. */
  dropped: boolean;
  partition: TokenCachePartition;
  save(serialized: string): Promise<void>;
  clear(): Promise<void>;
}

interface WarmUser {
  /** The SHA-256 of the partition the tokens came from (the partition itself is the store's). */
  digest: string;
  /** The access tokens msal gave from it, by scopes. */
  tokens: Map<string, RememberedToken>;
}

/** For the timeline: what a removal took away, in counts. */
function removal(homeAccountId: string, held: string | undefined): NewEvent {
  const { accounts, accessTokens, refreshTokens, idTokens } = summarize([held]);
  const user = accounts[0]?.username;
  return {
    kind: 'tokens-removed',
    text: held
      ? `Removed ${user}'s tokens from the token cache: their partition (${accessTokens} access, ${refreshTokens} refresh, ${idTokens} id token) deleted`
      : `Removed the partition of ${homeAccountId} from the token cache: it held nothing already`,
    ...(user ? { user } : {}),
    account: homeAccountId,
    outcome: 'removed',
  };
}

function digest(partition: string): string {
  return createHash('sha256').update(partition).digest('base64');
}

import { createHash } from 'node:crypto';
import type { RememberedToken, RememberedTokens } from './token-cache.ts';

/**
 * The first level of a per-user token cache, a layer over it that `warmUsers: 0` turns off: the
 * access tokens msal gave, remembered in this process with a digest of the partition they came
 * from, for at most `limit` users (the least recently used go first).
 *
 * The next request reads the partition (from the store's own copy in this process, which Redis
 * keeps current) and, if it is still the one the tokens came from, may use a remembered token
 * without building a msal client at all. The store stays the truth: a partition changed or
 * removed anywhere, by any instance, is a different value, and what was remembered is dropped.
 * msal clients themselves are not kept: they would hold kilobytes more per user, to save only
 * their construction, once per token lifetime (see docs/performance.md).
 */
export class FirstLevel {
  /** By home account id, least recently used first (a Map keeps insertion order). */
  private readonly users = new Map<string, WarmUser>();

  constructor(private readonly limit: number) {}

  /** How many users' tokens are remembered. */
  get size(): number {
    return this.users.size;
  }

  /**
   * What one request of the user, working from `partition` (as it read it), may take and give.
   * Requests of the user at once share what is remembered from the same partition.
   */
  open(homeAccountId: string, partition: string): FirstLevelAccess {
    // The partition this request works from: what it read, then what its msal wrote.
    let version = digest(partition);
    const kept = this.users.get(homeAccountId);
    const entry: WarmUser =
      kept && kept.digest === version ? kept : { digest: version, tokens: new Map() };
    return {
      // A request takes, and gives, tokens only while the entry is of the partition it works from.
      tokens: {
        get: (key) => (entry.digest === version ? entry.tokens.get(key) : undefined),
        set: (key, token) => {
          if (entry.digest === version) entry.tokens.set(key, token);
        },
        delete: (key) => entry.tokens.delete(key),
      },
      written: (serialized) => {
        version = digest(serialized);
        // What was remembered came from the partition before: it is the past, for every request.
        entry.digest = version;
        entry.tokens.clear();
      },
      keep: () => {
        if (entry.digest === version) this.keep(homeAccountId, entry);
      },
    };
  }

  /** Forgets the user (a sign-out, or tokens the identity platform refused). */
  forget(homeAccountId: string): void {
    this.users.delete(homeAccountId);
  }

  private keep(homeAccountId: string, warm: WarmUser): void {
    // Deleted first, so that the user is now the most recently used.
    this.users.delete(homeAccountId);
    if (warm.tokens.size === 0) return;
    this.users.set(homeAccountId, warm);
    if (this.users.size > this.limit) {
      const oldest = this.users.keys().next().value as string;
      this.users.delete(oldest);
    }
  }
}

/** One request's view of the first level. */
export interface FirstLevelAccess {
  tokens: RememberedTokens;
  /** The request's msal wrote the partition: what was remembered is of the one before. */
  written(serialized: string): void;
  /** The request is done: what it learnt is kept, if still of the current partition. */
  keep(): void;
}

interface WarmUser {
  /** The SHA-256 of the partition the tokens came from (the partition itself is the store's). */
  digest: string;
  /** The access tokens msal gave from it, by scopes. */
  tokens: Map<string, RememberedToken>;
}

function digest(partition: string): string {
  return createHash('sha256').update(partition).digest('base64');
}

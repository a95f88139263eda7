/**
 * The server-side storage behind sessions, the `sid` index and the token cache partitions.
 * Deliberately small and asynchronous so that Redis (or any distributed cache) can implement it:
 * every value is a string (or a set of strings) with a time to live.
 *
 * Removal is special. A sign-out removes a session or a token partition while other requests of
 * the same user may be running: a token refresh that loaded the partition a moment before, a
 * page whose session koa-session will save on its way out. `remove` leaves a marker with the time
 * of the removal, and a `write` that began before it is refused: the sign-out wins.
 */
export interface KeyValueStore {
  /**
   * The time, in epoch milliseconds, that removal markers and a write's `since` are measured in:
   * this process's clock for memory; Redis's own clock (as this process estimates it) for Redis,
   * so that instances of a sample need not agree on the time.
   */
  now(): number;
  /**
   * A value. `cacheable`: it may come from this process's copy, which a shared store keeps
   * current (Redis pushes an invalidation whenever any instance changes the key); otherwise it is
   * read from the store itself (a session: that read is also what orders this request after
   * every change the store had seen, its invalidations included).
   */
  get(key: string, options?: { cacheable?: boolean }): Promise<string | undefined>;
  /** Deletes `key` only if it still holds `expected` (nobody wrote it since), in one step. */
  deleteIfUnchanged(key: string, expected: string): Promise<boolean>;
  /**
   * Deletes keys for good: each keeps a removal marker, holding the time, for `markerSeconds`
   * ({@link REMOVAL_MARKER_SECONDS} unless said otherwise). A `write` guarded by the key is refused
   * meanwhile; afterwards nothing of the key is left.
   */
  remove(keys: readonly string[], markerSeconds?: number): Promise<void>;
  /**
   * Applies every write at once, or none of them if one of the guarded keys was removed at or
   * after its `since` (the time the writer read what it is writing back; 0 for "ever, while its
   * marker lives"). Returns whether it wrote.
   */
  write(
    writes: readonly Write[],
    guards?: readonly WriteGuard[],
    options?: WriteOptions,
  ): Promise<boolean>;
  /** Takes `member` out of the set at `key`; if the set is left empty, deletes it and `alsoDelete`. */
  removeFromSet(key: string, member: string, alsoDelete?: readonly string[]): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  /** The live keys that start with `prefix` (for inspection, never on a per-request hot path). */
  keys(prefix: string): Promise<string[]>;
  /** How many keys, and removal markers, under `prefix` (for inspection: what is left behind). */
  stats(prefix?: string): Promise<{ entries: number; removalMarkers: number }>;
  close(): Promise<void>;
}

export type Write =
  | { set: string; value: string; ttlSeconds: number }
  | { addToSet: string; member: string; ttlSeconds: number };

export interface WriteOptions {
  /**
   * The write must survive a failover (a shared store with replicas): it returns once a replica
   * has it too, as a removal does — the `sid` index entry a front-channel sign-out will look for.
   * Nothing to do for a store in one process.
   */
  durable?: boolean;
}

export interface WriteGuard {
  unlessRemoved: string;
  /** Epoch milliseconds. */
  since: number;
}

/**
 * How long a removal marker lives: longer than any request can run (each outbound call has a
 * timeout of seconds), short enough that signing out leaves nothing behind for long.
 */
export const REMOVAL_MARKER_SECONDS = 5 * 60;

interface Entry {
  value: string | Set<string>;
  expiresAt: number;
}

/**
 * A single process's store: the default, and what one instance of a sample needs. Each method
 * does its work without awaiting anything, so each is one step that no other request can
 * interleave with.
 */
export class MemoryStore implements KeyValueStore {
  private readonly entries = new Map<string, Entry>();
  /** Removal markers: the time of the removal, by key. */
  private readonly removals = new Map<string, { at: number; expiresAt: number }>();
  // Expired entries are dropped when read, and swept once a minute so unread ones do not pile up.
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();

  now(): number {
    return Date.now();
  }

  async get(key: string): Promise<string | undefined> {
    const value = this.live(key)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async deleteIfUnchanged(key: string, expected: string): Promise<boolean> {
    if (this.live(key)?.value !== expected) return false;
    this.entries.delete(key);
    return true;
  }

  async remove(keys: readonly string[], markerSeconds = REMOVAL_MARKER_SECONDS): Promise<void> {
    const at = Date.now();
    for (const key of keys) {
      this.entries.delete(key);
      const expiresAt = at + markerSeconds * 1000;
      this.removals.set(key, {
        at,
        expiresAt: Math.max(expiresAt, this.removals.get(key)?.expiresAt ?? 0),
      });
    }
  }

  // (`WriteOptions`: in one process a write is as durable as it gets.)
  async write(writes: readonly Write[], guards: readonly WriteGuard[] = []): Promise<boolean> {
    if (guards.some(({ unlessRemoved, since }) => (this.removedAt(unlessRemoved) ?? -1) >= since)) {
      return false;
    }
    const now = Date.now();
    for (const write of writes) {
      const expiresAt = now + write.ttlSeconds * 1000;
      if ('set' in write) {
        this.entries.set(write.set, { value: write.value, expiresAt });
      } else {
        const current = this.live(write.addToSet)?.value;
        const members = current instanceof Set ? current : new Set<string>();
        members.add(write.member);
        this.entries.set(write.addToSet, { value: members, expiresAt });
      }
    }
    return true;
  }

  async removeFromSet(key: string, member: string, alsoDelete: readonly string[] = []) {
    const members = this.live(key)?.value;
    if (!(members instanceof Set)) return;
    members.delete(member);
    if (members.size === 0) for (const each of [key, ...alsoDelete]) this.entries.delete(each);
  }

  async setMembers(key: string): Promise<string[]> {
    const value = this.live(key)?.value;
    return value instanceof Set ? [...value] : [];
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix) && this.live(key));
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.removals.clear();
  }

  async stats(prefix = ''): Promise<{ entries: number; removalMarkers: number }> {
    this.sweep();
    const under = (keys: Iterable<string>) => [...keys].filter((key) => key.startsWith(prefix));
    return {
      entries: under(this.entries.keys()).length,
      removalMarkers: under(this.removals.keys()).length,
    };
  }

  private sweep(): void {
    for (const key of this.entries.keys()) this.live(key);
    for (const key of this.removals.keys()) this.removedAt(key);
  }

  /** The entry if it has not expired; an expired one is dropped on the way. */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private removedAt(key: string): number | undefined {
    const marker = this.removals.get(key);
    if (marker && marker.expiresAt <= Date.now()) {
      this.removals.delete(key);
      return undefined;
    }
    return marker?.at;
  }
}

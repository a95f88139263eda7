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
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key`, replacing what was there; it expires after `ttlSeconds`. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Deletes keys, leaving no trace (see `remove` for what a sign-out does). */
  delete(...keys: string[]): Promise<void>;
  /** Deletes `key` only if it still holds `expected` (nobody wrote it since), in one step. */
  deleteIfUnchanged(key: string, expected: string): Promise<boolean>;
  /**
   * Deletes keys for good: each keeps a removal marker, holding the time, for
   * {@link REMOVAL_MARKER_SECONDS}. A `write` that began before then is refused; afterwards
   * nothing of the key is left.
   */
  remove(...keys: string[]): Promise<void>;
  /**
   * Applies every write at once, or none of them if one of `guard.unlessRemoved` was removed at or
   * after `guard.since` (when the writer read what it is writing back). Returns whether it wrote.
   */
  write(writes: readonly Write[], guard?: WriteGuard): Promise<boolean>;
  /** Takes `member` out of the set at `key`; if the set is left empty, deletes it and `alsoDelete`. */
  removeFromSet(key: string, member: string, alsoDelete?: readonly string[]): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  /** The live keys that start with `prefix` (for inspection, never on a per-request hot path). */
  keys(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

export type Write =
  | { set: string; value: string; ttlSeconds: number }
  | { addToSet: string; member: string; ttlSeconds: number };

export interface WriteGuard {
  unlessRemoved: readonly string[];
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
  constructor(private readonly removalMarkerSeconds = REMOVAL_MARKER_SECONDS) {}

  private readonly entries = new Map<string, Entry>();
  /** Removal markers: the time of the removal, by key. */
  private readonly removals = new Map<string, { at: number; expiresAt: number }>();
  // Expired entries are dropped when read, and swept once a minute so unread ones do not pile up.
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();

  async get(key: string): Promise<string | undefined> {
    const value = this.live(key)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async deleteIfUnchanged(key: string, expected: string): Promise<boolean> {
    if (this.live(key)?.value !== expected) return false;
    this.entries.delete(key);
    return true;
  }

  async remove(...keys: string[]): Promise<void> {
    const at = Date.now();
    for (const key of keys) {
      this.entries.delete(key);
      this.removals.set(key, { at, expiresAt: at + this.removalMarkerSeconds * 1000 });
    }
  }

  async write(writes: readonly Write[], guard?: WriteGuard): Promise<boolean> {
    if (guard?.unlessRemoved.some((key) => (this.removedAt(key) ?? -1) >= guard.since)) {
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

  /** How many keys and removal markers it holds (for measuring what is left behind). */
  get size(): { entries: number; removalMarkers: number } {
    this.sweep();
    return { entries: this.entries.size, removalMarkers: this.removals.size };
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

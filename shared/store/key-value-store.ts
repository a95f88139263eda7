/**
 * The server-side storage behind sessions, the `sid` index and the token cache partitions.
 * Deliberately small and asynchronous so that Redis (or any distributed cache) can implement it:
 * every value is a string with a time to live, and keys can be listed by prefix.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key`, replacing what was there; it expires after `ttlSeconds`. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  /** Deletes `key` only if it still holds `expected` (nobody wrote it since), in one step. */
  deleteIfUnchanged(key: string, expected: string): Promise<boolean>;
  /** The live keys that start with `prefix` (for inspection, never on a per-request hot path). */
  keys(prefix: string): Promise<string[]>;
  /** Adds `member` to the set stored at `key`, and (re)sets the set's time to live. */
  addToSet(key: string, member: string, ttlSeconds: number): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  close(): Promise<void>;
}

interface Entry {
  value: string | Set<string>;
  expiresAt: number;
}

/** A single process's store: the default, and what one instance of a sample needs. */
export class MemoryStore implements KeyValueStore {
  private readonly entries = new Map<string, Entry>();
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

  async keys(prefix: string): Promise<string[]> {
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix) && this.live(key));
  }

  async addToSet(key: string, member: string, ttlSeconds: number): Promise<void> {
    const current = this.live(key)?.value;
    const members = current instanceof Set ? current : new Set<string>();
    members.add(member);
    this.entries.set(key, { value: members, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  async setMembers(key: string): Promise<string[]> {
    const value = this.live(key)?.value;
    return value instanceof Set ? [...value] : [];
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  private sweep(): void {
    for (const key of this.entries.keys()) this.live(key);
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
}

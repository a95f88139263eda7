/**
 * A map whose entries vanish after a fixed lifetime, and that never holds more than `maxEntries`
 * (beyond that, the oldest go first): what the emulator keeps for whoever asks is bounded.
 * With one lifetime for all, insertion order is expiry order, so dropping the expired ones only
 * ever looks at the oldest.
 */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #lifetimeMs: number;

  constructor(
    lifetimeSeconds: number,
    private readonly maxEntries: number,
  ) {
    this.#lifetimeMs = lifetimeSeconds * 1000;
  }

  set(key: string, value: V): void {
    this.#dropExpired();
    this.#entries.delete(key); // a replaced entry moves to the end: it is now the newest
    this.#entries.set(key, { value, expiresAt: Date.now() + this.#lifetimeMs });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries) break;
      this.#entries.delete(oldest);
    }
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.#entries.delete(key);
    return this.#entries.get(key)?.value;
  }

  /** Every live value, oldest first. */
  *values(): IterableIterator<V> {
    const now = Date.now();
    for (const entry of this.#entries.values()) if (entry.expiresAt > now) yield entry.value;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    this.#dropExpired();
    return this.#entries.size;
  }

  #dropExpired(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#entries.delete(key);
    }
  }
}

/**
 * The in-memory store, refusing what Redis Cluster would refuse: a script (`write`, `removeFromSet`,
 * `deleteIfUnchanged`, each `REMOVE` of `remove`) whose keys, as `RedisStore` names them in Redis
 * (the namespace, `removed:` markers), lie in more than one hash slot (CROSSSLOT). `remove` with
 * keys of several slots is allowed, as `RedisStore` runs one script per slot; each key and its
 * marker must share one. The core's unit tests run on it, so the fast tier shows every script the
 * core runs is single-slot, without a cluster.
 */
import { hashSlot } from '../../shared/core/store/hash-slot.ts';
import {
  MemoryStore,
  type Write,
  type WriteGuard,
} from '../../shared/core/store/key-value-store.ts';
import { markerKey, NAMESPACE } from '../../shared/core/store/redis-store.ts';

export class CrossSlotError extends Error {
  override name = 'CrossSlotError';
}

export class SlotCheckingStore extends MemoryStore {
  /** The scripts run, each as the Redis keys it touched (for tests of `remove`'s grouping). */
  readonly scripts: Array<{ script: string; keys: string[] }> = [];

  override async deleteIfUnchanged(key: string, expected: string): Promise<boolean> {
    this.check('deleteIfUnchanged', [NAMESPACE + key]);
    return super.deleteIfUnchanged(key, expected);
  }

  override async remove(keys: readonly string[], markerSeconds?: number): Promise<void> {
    // As RedisStore: one REMOVE per slot, each with the keys of that slot and their markers.
    const bySlot = new Map<number, string[]>();
    for (const key of keys) {
      const slot = hashSlot(NAMESPACE + key);
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), key]);
    }
    for (const group of bySlot.values()) {
      this.check('remove', [...group.map((key) => NAMESPACE + key), ...group.map(markerKey)]);
    }
    return super.remove(keys, markerSeconds);
  }

  override async write(writes: readonly Write[], guards: readonly WriteGuard[] = []) {
    this.check('write', [
      ...guards.map(({ unlessRemoved }) => markerKey(unlessRemoved)),
      ...writes.map((write) => NAMESPACE + ('set' in write ? write.set : write.addToSet)),
    ]);
    return super.write(writes, guards);
  }

  override async removeFromSet(key: string, member: string, alsoDelete: readonly string[] = []) {
    this.check(
      'removeFromSet',
      [key, ...alsoDelete].map((each) => NAMESPACE + each),
    );
    return super.removeFromSet(key, member, alsoDelete);
  }

  /** Throws (before anything is done, as Redis refuses the whole script) if `keys` span slots. */
  private check(script: string, keys: string[]): void {
    const slots = new Set(keys.map(hashSlot));
    if (slots.size > 1) {
      throw new CrossSlotError(
        `CROSSSLOT: ${script} touches keys of ${slots.size} hash slots: ${keys.join(', ')}`,
      );
    }
    this.scripts.push({ script, keys });
  }
}

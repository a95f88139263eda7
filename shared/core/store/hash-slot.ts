import { createHash } from 'node:crypto';

/**
 * Hash tags: what keeps every key one script touches in one Redis Cluster hash slot.
 *
 * Redis Cluster hashes a key by the content of its first `{…}` (when not empty), else by the whole
 * key; a Lua script whose keys lie in several slots is refused (CROSSSLOT). So every key the core
 * writes carries the tag of the thing it belongs to, and everything one script touches has the same
 * tag: a user's token partition `{u:<home account id>}`, a `sid`'s index and its markers
 * `{s:<sid>}`, a session `{x:<session id>}` — or, once someone is signed in, a tag beside their
 * partition's (`tagBeside`). A removal marker is `removed:` + the key: no `{` comes
 * before the key's own tag, so a key and its marker always share a slot. The layout is the same on
 * a single Redis (where slots do not matter), so one layout serves both.
 */

/** What a tag names: a user (their token partition), a `sid` (its index and markers), a session. */
export type TagKind = 'u' | 's' | 'x';

/**
 * The hash tag of `value`: `{<kind>:<value>}`, or, for a value that could end the tag early or
 * make it empty (a `}` or `{`, anything but letters, digits and `_.~-`, or too long), a digest of
 * it in its place, `{<kind>:#<sha256, base64url>}` (`#` is never in a value kept as is, so the two
 * forms never meet; 256 bits, so two values never share a digest).
 */
export function tag(kind: TagKind, value: string): string {
  if (/^[\w.~-]{1,128}$/.test(value)) return `{${kind}:${value}}`;
  return `{${kind}:#${createHash('sha256').update(value).digest('base64url')}}`;
}

/**
 * The Redis Cluster hash slot of `key`, as Redis computes it (`keyHashSlot` in cluster.c): CRC16
 * (XMODEM) of the UTF-8 bytes of the first non-empty `{…}`, else of the whole key, modulo 16384.
 *
 * Our own rather than node-redis's `calculateSlot`: @redis/client 6.3.1 does not export it from its
 * entry point (only at `@redis/client/dist/lib/utils/calculate-slot.js`, a CommonJS default export
 * inside a dependency the samples do not declare), and the in-memory store of the tests needs it
 * without Redis. A test checks the two agree.
 */
export function hashSlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) & 0x3fff;
  }
  return crc16(bytes) & 0x3fff;
}

/**
 * A tag in the same hash slot as `tag(kind, value)` that tells nothing of `value` but that slot:
 * `{@<n>}`, for the smallest `n` whose `@<n>` hashes to it. A signed-in session's key carries the
 * tag beside its user's partition, and its id carries `@<n>` (one of 16,384 slots: not the user's
 * ids, though the same in all their sessions, so it can confirm a guess of who they are):
 * the session and the partition are then on one node of a Redis Cluster, read on one connection,
 * and the session read orders the partition's client-side copy after every change before it (see
 * `RedisStore.get`).
 */
export function tagBeside(kind: TagKind, value: string): string {
  return slotTag(hashSlot(tag(kind, value)));
}

/** `{@<n>}` for the smallest `n` in `slot`. */
export function slotTag(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot > 0x3fff) throw new RangeError(`No slot ${slot}`);
  slotTags ??= everySlotTag();
  return `{@${slotTags[slot]}}`;
}
let slotTags: Int32Array | undefined;

/**
 * For every slot, the smallest `n` whose `@<n>` hashes to it: one pass over `n` (up to 143,551,
 * the last slot reached), once per process (some 25 ms; `Sessions` asks for it at start-up).
 */
function everySlotTag(): Int32Array {
  const table = new Int32Array(0x4000).fill(-1);
  for (let n = 0, left = table.length; left > 0; n += 1) {
    const slot = crc16(Buffer.from(`@${n}`, 'latin1')) & 0x3fff;
    if (table[slot] === -1) {
      table[slot] = n;
      left -= 1;
    }
  }
  return table;
}

/**
 * Throws unless `prefix`, put before keys with tags, has no brace: one would make the prefix, not
 * the tag, what Redis Cluster hashes the keys by.
 */
export function checkKeyPrefix(prefix: string): void {
  if (/[{}]/.test(prefix)) throw new Error(`A key prefix has no braces: ${prefix}`);
}

/** `keys` by slot, each group in the order given. */
export function groupBySlot(keys: readonly string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const key of keys) {
    const slot = hashSlot(key);
    const group = groups.get(slot);
    if (group) group.push(key);
    else groups.set(slot, [key]);
  }
  return [...groups.values()];
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

/** CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as Redis's crc16.c. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes)
    crc = ((crc << 8) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0)) & 0xffff;
  return crc;
}

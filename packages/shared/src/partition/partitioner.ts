// A stable partitioner: the same user lands in the same partition in every
// process, on every restart and on every machine. The seed project used
// Python's hash(), which is salted per process, so a restart reshuffled users
// across partitions; FNV-1a over the UTF-8 bytes has no salt.

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/** FNV-1a, 32-bit, over the UTF-8 bytes of `text`. Returns an unsigned 32-bit integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  // ASCII fast path: most ids are ASCII, and charCodeAt avoids an allocation.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return fnv1a32Bytes(encoder.encode(text));
    hash ^= code;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

function fnv1a32Bytes(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

export interface PartitionKeySource {
  userId?: unknown;
  anonymousId?: unknown;
  messageId?: unknown;
}

/**
 * The key an event is partitioned by: userId, else anonymousId, else messageId,
 * so one user's events stay together (and in order) within a partition.
 */
export function partitionKey(event: PartitionKeySource): string {
  for (const candidate of [event.userId, event.anonymousId, event.messageId]) {
    if (typeof candidate === 'string' && candidate.length > 0) return candidate;
    if (typeof candidate === 'number') return String(candidate);
  }
  return '';
}

/** The partition (0 ≤ p < count) of an event. */
export function partitionFor(event: PartitionKeySource, count: number): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`partition count must be a positive integer, got ${count}`);
  }
  return fnv1a32(partitionKey(event)) % count;
}

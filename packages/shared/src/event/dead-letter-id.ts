// Dead-letter ids derived from what identifies the failure, never random.
//
// The same failure is recorded more than once in normal operation: Pub/Sub
// redelivers a message whose ack was lost, a client retries a request, and a
// replay of a letter that is still invalid fails again. Every store and the
// warehouse deduplicate letters on `id`, so one failure must always get one id.
import { createHash } from 'node:crypto';

/**
 * A UUID-shaped digest (SHA-256, first 128 bits) of `parts`, e.g.
 * `deadLetterId('validation', source, messageId, 'missing_event_name')`.
 * Parts are joined unambiguously, so ('a', 'bc') and ('ab', 'c') differ.
 */
export function deadLetterId(...parts: readonly string[]): string {
  const hex = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The reason codes of a failure as one id part (order-independent). */
export const reasonCodesPart = (reasons: readonly { code: string }[]): string =>
  [...new Set(reasons.map((r) => r.code))].sort().join(',');

// Turning a validated client event into the event eventkit stores.
//
// Rules (Segment semantics unless said otherwise):
// - `messageId`: the client's, else a new one. Clients resend the same id on
//   retry, which is what makes dedup work; an assigned id cannot dedup retries.
// - `receivedAt`: stamped from the gateway's clock; a client-sent one is replaced.
// - `originalTimestamp`: the client's, else the client's `timestamp` (Segment
//   libraries and analytics.js send the device time as `timestamp`;
//   rudder-sdk-node sends it as `originalTimestamp`).
// - `sentAt`: the event's own (analytics.js, rudder-sdk-node), else the batch's
//   (`{batch, sentAt}` from the Segment Node SDKs); an unreadable batch sentAt
//   is ignored, as if absent.
// - `timestamp = receivedAt − (sentAt − originalTimestamp)`: the device clock's
//   error cancels out because both device times come from the same clock. With
//   either missing no correction is possible: `originalTimestamp ?? receivedAt`.
//   Not clamped to receivedAt (Segment does not clamp either, and a future
//   timestamp is still derivable from the three fields kept beside it); only a
//   correction that would leave the years 0001–9999 the warehouse can store
//   falls back to originalTimestamp.
// - All four times are stored as ISO-8601 UTC with millisecond precision.
// - Numeric ids become strings; ids that are null or "" (anonymous users in
//   analytics.js and the Rudder browser SDK) are omitted, as are other known
//   fields that are null: null means "not set", and one spelling of absence
//   keeps warehouse queries simple (`user_id IS NULL`).
// - `writeKey` (analytics.js puts it in every event) is dropped: it is the
//   source's credential, already resolved to RoutedEvent.source, and must not
//   be copied into every stored event. Every other field is kept as sent.
//
// The result shares nested objects (properties, context, ...) with the input
// rather than deep-copying them; neither is mutated afterwards.

import { randomUUID } from 'node:crypto';
import { isPresent } from './required-fields.ts';
import { MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS, parseEventTime, toIsoTimestamp } from './time.ts';
import type { InboundEvent, SegmentEvent } from './types.ts';

export interface NormalizeContext {
  /** When the gateway received the request carrying the event. */
  receivedAt: Date;
  /** The batch body's `sentAt`, used when the event has no `sentAt` of its own. */
  batchSentAt?: string;
  /** Makes a messageId for events without one; default `crypto.randomUUID()`. */
  newMessageId?: () => string;
}

/** Fields normalizeEvent sets itself; the client's values are read, never copied as is. */
const DERIVED_FIELDS: ReadonlySet<string> = new Set([
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'groupId',
  'previousId',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'receivedAt',
  'writeKey',
]);

const ID_FIELDS = ['userId', 'anonymousId', 'groupId', 'previousId'] as const;

/** Other known fields, omitted when null. Unknown fields keep their nulls: they are the client's data. */
const NULL_MEANS_ABSENT: ReadonlySet<string> = new Set([
  'event',
  'name',
  'category',
  'context',
  'integrations',
  'properties',
  'traits',
]);

export function normalizeEvent(event: InboundEvent, ctx: NormalizeContext): SegmentEvent {
  const receivedAt = ctx.receivedAt.getTime();
  if (!Number.isFinite(receivedAt)) throw new TypeError('normalizeEvent: ctx.receivedAt is an invalid Date');
  const fromOriginal = parseEventTime(event.originalTimestamp);
  const originalTimestamp = fromOriginal ?? parseEventTime(event.timestamp);
  const originalText = fromOriginal !== undefined ? event.originalTimestamp : event.timestamp;
  const ownSentAt = parseEventTime(event.sentAt);
  const sentAt = ownSentAt ?? parseEventTime(ctx.batchSentAt);
  const sentAtText = ownSentAt !== undefined ? event.sentAt : ctx.batchSentAt;

  const normalized: SegmentEvent = {
    type: event.type,
    messageId: isPresent(event.messageId) ? String(event.messageId) : (ctx.newMessageId ?? randomUUID)(),
    timestamp: toIsoTimestamp(correctedTimestamp({ receivedAt, sentAt, originalTimestamp })),
    receivedAt: toIsoTimestamp(receivedAt),
  };
  if (originalTimestamp !== undefined)
    normalized.originalTimestamp = toIsoTimestamp(originalTimestamp, originalText);
  if (sentAt !== undefined) normalized.sentAt = toIsoTimestamp(sentAt, sentAtText);
  for (const field of ID_FIELDS) {
    const id = event[field];
    if (isPresent(id)) normalized[field] = String(id);
  }
  for (const key of Object.keys(event)) {
    const value = event[key];
    if (DERIVED_FIELDS.has(key) || (value === null && NULL_MEANS_ABSENT.has(key))) continue;
    setOwnField(normalized, key, value);
  }
  return normalized;
}

/** The times, in epoch milliseconds, that the skew correction reads. */
export interface EventClock {
  receivedAt: number;
  sentAt?: number | undefined;
  originalTimestamp?: number | undefined;
}

/**
 * `receivedAt − (sentAt − originalTimestamp)`: when the event happened by the
 * server's clock, assuming the device clock's offset did not change between
 * the call and the send and ignoring network transit (milliseconds, against
 * device clocks that are often minutes or years off).
 */
export function correctedTimestamp({ receivedAt, sentAt, originalTimestamp }: EventClock): number {
  if (originalTimestamp === undefined) return receivedAt;
  if (sentAt === undefined) return originalTimestamp;
  const corrected = receivedAt - (sentAt - originalTimestamp);
  return corrected >= MIN_EVENT_TIME_MS && corrected <= MAX_EVENT_TIME_MS ? corrected : originalTimestamp;
}

// `target[key] = value` with key "__proto__" would replace the object's prototype
// instead of keeping the client's field (JSON.parse makes it an ordinary own field).
function setOwnField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

// The stable, machine-readable codes `validateEvent` reports.
//
// Clients, dashboards and dead-letter queries match on these strings, so they
// are part of the public contract: add new ones, never rename or reuse one.

export const REASON_CODES = [
  /** The event is not a JSON object (null, an array, a string, ...). */
  'not_an_object',
  /** The event cannot be written back as JSON (nested too deeply, or holds a non-JSON value). */
  'not_serializable',
  /** Serialised, the event is larger than the per-event limit. */
  'event_too_large',
  /** `type` is absent, null or empty (and the route implies none). */
  'missing_type',
  /** `type` is a string but not one of the Segment spec types. */
  'unknown_type',
  /** Neither `userId` nor `anonymousId` (alias: no `userId`). */
  'missing_identity',
  /** A track call without an `event` name. */
  'missing_event_name',
  /** A group call without a `groupId`. */
  'missing_group_id',
  /** An alias call without a `previousId`. */
  'missing_previous_id',
  /** A known field has the wrong JSON type (e.g. `properties` is an array). */
  'invalid_field',
  /** `timestamp`, `originalTimestamp` or `sentAt` is not a date-time we can read. */
  'invalid_timestamp',
  /** `messageId` is not a non-empty string of sane length. */
  'invalid_message_id',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

// The event model every role shares: Segment spec v1.
//
// `SegmentEvent` is an event *after* the gateway normalised it: it has a
// messageId, a receivedAt and a skew-corrected timestamp. It keeps every
// top-level field the client sent (unknown ones included), because eventkit
// never silently drops data.

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type JsonObject = { [key: string]: unknown };

export interface SegmentEvent {
  type: EventType;
  messageId: string;
  userId?: string;
  anonymousId?: string;
  groupId?: string;
  previousId?: string;
  /** track: the event name. */
  event?: string;
  /** page/screen: the page or screen name. */
  name?: string;
  category?: string;
  /** ISO-8601, skew corrected: receivedAt − (sentAt − originalTimestamp). */
  timestamp: string;
  originalTimestamp?: string;
  sentAt?: string;
  /** ISO-8601, stamped by the gateway when the request arrived. */
  receivedAt: string;
  context?: JsonObject;
  integrations?: JsonObject;
  properties?: JsonObject;
  traits?: JsonObject;
  [key: string]: unknown;
}

/** An event as it travels from the gateway onwards: the event plus where it came from. */
export interface RoutedEvent {
  event: SegmentEvent;
  /** The write key's source name (`default` when the gateway is open). Dedup is keyed on (source, messageId). */
  source: string;
  /** The stream it belongs to: picks the table partition / Firestore subcollection. */
  stream: string;
  /** The id of the HTTP request that brought it, for tracing through logs. */
  requestId: string;
}

/** A machine-readable reason an event or request was refused. */
export interface Reason {
  code: string;
  message: string;
  /** JSON path of the offending field, e.g. `properties.price` (absent when the whole value is at fault). */
  path?: string;
}

export type ErrorType = 'validation' | 'processing';

/** An event (or raw message) that could not be processed, kept with why. Never dropped. */
export interface DeadLetter {
  /**
   * Id of this dead letter: UUID-shaped, derived from what identifies the
   * failure (deadLetterId), so the same failure recorded twice is one letter.
   */
  id: string;
  errorType: ErrorType;
  reasons: Reason[];
  /** ISO-8601 time the failure was recorded. */
  failedAt: string;
  stream?: string;
  source?: string;
  requestId?: string;
  receivedAt?: string;
  messageId?: string;
  /**
   * The event as it was validated (validation errors): the client's item with
   * its batch's context and integrations and the type its route implies.
   */
  payload?: unknown;
  /** The raw bytes, base64, when the payload could not be decoded at all (processing errors). */
  raw?: string;
}

/**
 * An id as clients send it. Segment clients do send numeric user ids
 * (`userId: 42`); normalizeEvent turns them into strings.
 */
export type ClientId = string | number;

/** A date-time as clients send it: ISO-8601 text, or epoch milliseconds (see event/time.ts). */
export type ClientTime = string | number;

/**
 * One event as a client sent it, after `validateEvent` accepted it and before
 * `normalizeEvent`: known fields have the right JSON types, `type` is a known
 * type in lowercase, and null stands for "absent" in every known field (SDKs
 * send `userId: null` and `userId: ""` for anonymous users). Unknown top-level
 * fields (`channel`, `rudderId`, `_metadata`, ...) are kept as they came.
 */
export interface InboundEvent {
  type: EventType;
  messageId?: string | null;
  userId?: ClientId | null;
  anonymousId?: ClientId | null;
  groupId?: ClientId | null;
  previousId?: ClientId | null;
  event?: string | null;
  name?: string | null;
  category?: string | null;
  timestamp?: ClientTime | null;
  originalTimestamp?: ClientTime | null;
  sentAt?: ClientTime | null;
  context?: JsonObject | null;
  integrations?: JsonObject | null;
  properties?: JsonObject | null;
  traits?: JsonObject | null;
  [key: string]: unknown;
}

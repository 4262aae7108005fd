// Streams: the named flows events are routed into.
//
// A stream name becomes a GCS path segment (`stream=<name>`), a Firestore
// collection id and a value clustered on in the warehouse, so it is kept to a
// character set that is safe, unambiguous and the same in all three.

import type { EventType } from './types.ts';

/** Where an event goes when nothing more specific applies. */
export const DEFAULT_STREAM = 'events';

/**
 * The seed project's routing of `/v1/<type>` calls: identify → users,
 * page → pages, everything else → events.
 */
export const STREAM_FOR_TYPE: Readonly<Record<EventType, string>> = {
  identify: 'users',
  track: 'events',
  page: 'pages',
  screen: DEFAULT_STREAM,
  group: DEFAULT_STREAM,
  alias: DEFAULT_STREAM,
};

export function streamForType(type: EventType): string {
  // The fallback covers JavaScript callers passing an unchecked string.
  return STREAM_FOR_TYPE[type] ?? DEFAULT_STREAM;
}

/** The rule isValidStreamName enforces, for error messages that tell the sender what to send instead. */
export const STREAM_NAME_RULE = '1–64 characters of a-z, 0-9, _ and -, starting with a letter or digit';

// Lowercase only: GCS paths are case-sensitive and Firestore ids too, so "Events" and "events" would be
// two streams that look like one. A leading letter or digit rules out Firestore's reserved `__x__` ids and
// names that read as command-line flags.
const STREAM_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isValidStreamName(name: unknown): name is string {
  return typeof name === 'string' && STREAM_NAME.test(name);
}

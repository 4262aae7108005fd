// Size limits for events and the requests that carry them.
//
// The defaults are Segment's published Tracking API limits. Keeping them means
// an SDK tuned for Segment (analytics-node flushes at 500 KiB, analytics.js and
// rudder-sdk-node cap a batch well below that) never meets a limit here that it
// would not have met at Segment, and a payload Segment would refuse is refused
// here too, so a source can move back and forth without surprises.

/**
 * Largest single event, measured as its JSON serialisation in UTF-8 bytes.
 * Segment refuses events over 32 KiB; one event this big is almost always a
 * bug (a whole DOM node or API response in `properties`), and bounding it keeps
 * every downstream buffer (WAL row, Pub/Sub message, Parquet row) bounded too.
 */
export const DEFAULT_MAX_EVENT_BYTES = 32 * 1024;

/**
 * Largest request body (after decompression). Segment's batch limit: 500 KiB.
 * Checked before JSON parsing so an oversized body costs no parse work.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 500 * 1024;

/**
 * Most events in one `/v1/batch` request. Segment documents 2,500; with the
 * 32 KiB event limit and the 500 KiB body limit this mostly bites on floods of
 * tiny events, which would otherwise multiply per-event work per request.
 */
export const DEFAULT_MAX_BATCH_EVENTS = 2500;

/**
 * Longest accepted `messageId`, in characters. Client ids are UUIDs or
 * `ajs-next-<ms>-<uuid>`-style strings well under 100 characters; the id is part
 * of dedup keys and Firestore document ids (max 1,500 bytes), so an unbounded
 * one would be a way to break storage rather than a real client's need.
 */
export const MAX_MESSAGE_ID_LENGTH = 200;

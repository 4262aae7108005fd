// The `firestore` event sink.
//
// Events: `streams/{stream}/events/{docId}`, written with set(), so a
// redelivered event overwrites its own document: Firestore never holds
// duplicates, and a batch written twice succeeds twice.
//
// Document ids: the SHA-256 (hex) of source and messageId. Message ids are not
// always random (analytics.js sends `ajs-next-<ms>-<uuid>`), and ids that grow
// with time put every write of a collection on the same key range, which caps
// it near 500 writes/s (https://cloud.google.com/firestore/docs/best-practices,
// "Document IDs" and "Hotspots"). The hash spreads them, is the same on every
// delivery and keeps sources apart. `source` and `message_id` stay readable in
// the document; to find an event, compute its id (firestoreDocId). Ids written
// before this scheme (`{source}:{percent-encoded messageId}`) always contain a
// ":", a hash never does: see legacyFirestoreDocId and the README (migration).
//
// Commits: a batch is cut into commits of at most 500 writes and at most
// `maxCommitBytes` encoded bytes (firestore-size.ts), because Firestore refuses
// a request over 10 MiB as a whole and no retry can fix that. A document over
// Firestore's 1 MiB is rejected before anything is written (EventsRejectedError:
// the worker dead-letters it) instead of failing its batch forever.
//
// Document fields: source, stream, message_id, type, request_id, timestamp and
// received_at (Firestore timestamps), written_at (server time) and the event
// itself as a map in `event`. Firestore cannot store every JSON value (arrays
// directly inside arrays, empty or `__x__` keys, nesting deeper than 20); such
// an event is stored as JSON text in `event_json` instead of `event`, never
// refused. Fields that grow with time or are large are exempt from indexing
// (UNINDEXED_EVENT_FIELDS; deploy/firestore/firestore.indexes.json).
//
// Dead letters: firestore-dead-letters.ts.
import { createHash } from 'node:crypto';
import type { Reason, RoutedEvent } from '@eventkit/shared/event';
import type { EventBatch, EventSink, WriteReceipt } from '@eventkit/shared/ports';
import {
  type DocumentData,
  type DocumentReference,
  FieldValue,
  type Firestore,
  Timestamp,
} from '@google-cloud/firestore';
import { EventsRejectedError } from '../core/errors.ts';
import {
  EMULATOR_MAX_REQUEST_BYTES,
  FIRESTORE_MAX_DOCUMENT_BYTES,
  storedDocumentBytes,
  wireCommitOverheadBytes,
  wireWriteBytes,
} from './firestore-size.ts';

const INVALID_ARGUMENT = 3;
const isInvalidArgument = (err: unknown) => (err as { code?: unknown }).code === INVALID_ARGUMENT;

/** At most this many writes per commit (Firestore's former limit; it keeps a retried commit small). */
export const FIRESTORE_BATCH_LIMIT = 500;
/**
 * Default bound of a commit's encoded size. Firestore takes 10 MiB, the
 * emulator 4 MiB; one bound below both keeps local runs and production alike.
 * A 4 MiB commit still holds 500 events of 8 KB, or 120 at the 32 KB limit.
 */
export const DEFAULT_MAX_COMMIT_BYTES = EMULATOR_MAX_REQUEST_BYTES - 64 * 1024;
const MAX_DOC_ID_BYTES = 1500;
/** Firestore allows 20 levels; the event map itself sits one level down in the document. */
const MAX_EVENT_DEPTH = 18;
const RESERVED_FIELD = /^__.*__$/;

/**
 * Fields of an event document that are never queried through an index: times
 * that grow (a collection with a monotonically increasing indexed field takes
 * about 500 writes/s), ids that may grow (`ajs-next-<ms>-…`, client request
 * ids) and the large event itself. deploy/firestore/firestore.indexes.json and
 * the README's gcloud commands exempt exactly these; a test keeps them in step.
 */
export const UNINDEXED_EVENT_FIELDS = [
  'message_id',
  'request_id',
  'timestamp',
  'received_at',
  'written_at',
  'event',
  'event_json',
] as const;

/**
 * The id of an event's document: SHA-256 (hex) of source and messageId, so
 * ids spread over the key range whatever the messageId looks like. The JSON
 * array form keeps every (source, messageId) pair distinct, lone surrogates
 * included.
 */
export function firestoreDocId(source: string, messageId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([source, messageId]))
    .digest('hex');
}

/**
 * The id the sink used before hashed ids: `{source}:{percent-encoded
 * messageId}`, or `{source}:sha256:{hex}` when too long or not valid Unicode.
 * Kept to find documents written by older workers (README: migration).
 */
export function legacyFirestoreDocId(source: string, messageId: string): string {
  let encoded: string | undefined;
  try {
    encoded = `${source}:${encodeURIComponent(messageId)}`;
  } catch {
    encoded = undefined; // lone surrogates: not valid Unicode
  }
  if (encoded !== undefined && Buffer.byteLength(encoded, 'utf8') <= MAX_DOC_ID_BYTES) return encoded;
  return `${source}:sha256:${createHash('sha256').update(JSON.stringify(messageId)).digest('hex')}`;
}

/** True when Firestore can store the value as a native map/array tree. */
export function firestoreRepresentable(value: unknown, depth = 1, insideArray = false): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (depth > MAX_EVENT_DEPTH) return false;
  if (Array.isArray(value)) {
    if (insideArray) return false;
    return value.every((v) => firestoreRepresentable(v, depth + 1, true));
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === '' || RESERVED_FIELD.test(key)) return false;
    if (!firestoreRepresentable(v, depth + 1, false)) return false;
  }
  return true;
}

function timestampOf(iso: string | undefined): Timestamp | null {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(ms) ? Timestamp.fromMillis(ms) : null;
}

/** The document an event is stored as (without its id). */
export function eventDocument(routed: RoutedEvent): DocumentData {
  const { event } = routed;
  return {
    source: routed.source,
    stream: routed.stream,
    message_id: event.messageId,
    type: event.type,
    request_id: routed.requestId,
    timestamp: timestampOf(event.timestamp),
    received_at: timestampOf(event.receivedAt),
    written_at: FieldValue.serverTimestamp(),
    ...(firestoreRepresentable(event) ? { event } : { event_json: JSON.stringify(event) }),
  };
}

/** A stored event document back as a routed event (tests, tools). */
export function routedEventOf(doc: DocumentData): RoutedEvent {
  const event = doc.event ?? JSON.parse(String(doc.event_json));
  return {
    event,
    source: String(doc.source),
    stream: String(doc.stream),
    requestId: String(doc.request_id ?? ''),
  };
}

/** One set() of a commit, with its encoded size (wireWriteBytes). */
export interface PlannedWrite {
  ref: DocumentReference;
  data: DocumentData;
  bytes: number;
}

export function planned(ref: DocumentReference, data: DocumentData): PlannedWrite {
  return { ref, data, bytes: wireWriteBytes(ref.firestore.databaseId, ref.path, data) };
}

/**
 * Cuts writes, in order, into commits of at most FIRESTORE_BATCH_LIMIT writes
 * whose encoded size (`overhead` + their bytes) stays within `maxBytes`. A
 * write too large for any commit goes alone (callers reject those first).
 * Returns the indexes of each commit's writes.
 */
export function planCommits(bytes: readonly number[], overhead: number, maxBytes: number): number[][] {
  const commits: number[][] = [];
  let current: number[] = [];
  let size = overhead;
  for (const [index, b] of bytes.entries()) {
    if (current.length > 0 && (current.length === FIRESTORE_BATCH_LIMIT || size + b > maxBytes)) {
      commits.push(current);
      current = [];
      size = overhead;
    }
    current.push(index);
    size += b;
  }
  if (current.length > 0) commits.push(current);
  return commits;
}

export async function commitInChunks(
  db: Firestore,
  writes: readonly PlannedWrite[],
  maxBytes: number,
): Promise<void> {
  const overhead = wireCommitOverheadBytes(db.databaseId);
  for (const commit of planCommits(
    writes.map((w) => w.bytes),
    overhead,
    maxBytes,
  )) {
    const batch = db.batch();
    for (const i of commit) batch.set(writes[i]!.ref, writes[i]!.data);
    await batch.commit();
  }
}

export interface FirestoreSinkOptions {
  /** Bound of one commit's encoded size; default DEFAULT_MAX_COMMIT_BYTES (Firestore's own limit is 10 MiB). */
  maxCommitBytes?: number;
}

export class FirestoreEventSink implements EventSink {
  readonly kind = 'firestore';
  readonly #db: Firestore;
  readonly #maxCommitBytes: number;

  constructor(db: Firestore, options: FirestoreSinkOptions = {}) {
    this.#db = db;
    this.#maxCommitBytes = options.maxCommitBytes ?? DEFAULT_MAX_COMMIT_BYTES;
  }

  async write(batch: EventBatch): Promise<WriteReceipt> {
    const collection = this.#db.collection('streams').doc(batch.stream).collection('events');
    const writes = batch.events.map((routed) =>
      planned(collection.doc(firestoreDocId(routed.source, routed.event.messageId)), eventDocument(routed)),
    );
    const tooLarge = this.#tooLarge(writes);
    if (tooLarge.length > 0) throw new EventsRejectedError(tooLarge);
    try {
      await commitInChunks(this.#db, writes, this.#maxCommitBytes);
    } catch (err) {
      if (!isInvalidArgument(err)) throw err; // transient: the worker retries the batch
      await this.#writeEach(writes);
    }
    return { count: batch.events.length, location: collection.path };
  }

  /** Documents Firestore can never take (over 1 MiB), or that no commit within the bound can carry. */
  #tooLarge(writes: readonly PlannedWrite[]): { index: number; reason: Reason }[] {
    const rejected: { index: number; reason: Reason }[] = [];
    const overhead = wireCommitOverheadBytes(this.#db.databaseId);
    for (const [index, { ref, data, bytes }] of writes.entries()) {
      const stored = storedDocumentBytes(ref.path, data);
      if (stored > FIRESTORE_MAX_DOCUMENT_BYTES) {
        rejected.push({
          index,
          reason: {
            code: 'firestore_document_too_large',
            message: `the event's Firestore document would be ${stored} bytes; Firestore stores at most ${FIRESTORE_MAX_DOCUMENT_BYTES} bytes (1 MiB) per document`,
          },
        });
      } else if (overhead + bytes > this.#maxCommitBytes) {
        rejected.push({
          index,
          reason: {
            code: 'firestore_request_too_large',
            message: `writing the event takes a ${overhead + bytes}-byte request; the sink sends at most ${this.#maxCommitBytes} bytes per commit`,
          },
        });
      }
    }
    return rejected;
  }

  /**
   * Firestore refused a commit as invalid although every document passed the
   * checks: write the documents one by one. The ones it refuses are named
   * (EventsRejectedError), so one event never blocks its partition; when it
   * refuses none, every document is now written and the batch is done.
   */
  async #writeEach(writes: readonly PlannedWrite[]): Promise<void> {
    const rejected: { index: number; reason: Reason }[] = [];
    for (const [index, { ref, data }] of writes.entries()) {
      try {
        await ref.set(data);
      } catch (err) {
        if (!isInvalidArgument(err)) throw err;
        rejected.push({
          index,
          reason: { code: 'firestore_invalid', message: (err as Error).message.slice(0, 200) },
        });
      }
    }
    if (rejected.length > 0) throw new EventsRejectedError(rejected);
  }

  async check(): Promise<void> {
    await this.#db.collection('streams').limit(1).get();
  }

  async close(): Promise<void> {}
}

// The `firestore` event sink and dead-letter store.
//
// Events: `streams/{stream}/events/{docId}`, written with set() in batches of
// at most 500 (Firestore's limit per commit), so a redelivered event
// overwrites its own document: Firestore never holds duplicates.
//
// Document ids: `{source}:{messageId}` with the messageId percent-encoded
// (encodeURIComponent: no "/", injective, readable for the usual UUIDs), so one
// source can never overwrite another's event. Sources are 1–64 of [A-Za-z0-9_.-]
// starting with a letter or digit, which also rules out Firestore's reserved
// ids ("." "..", "__x__"). When the encoded id would pass Firestore's
// 1,500-byte limit (or the id is not valid Unicode), the id becomes
// `{source}:sha256:{hex of the messageId}`; an encoded messageId never
// contains ":", so the two forms cannot collide.
//
// Document fields: source, stream, message_id, type, request_id, timestamp and
// received_at (Firestore timestamps, for queries), written_at (server time)
// and the event itself as a map in `event`. Firestore cannot store every JSON
// value (arrays directly inside arrays, empty or `__x__` keys, nesting deeper
// than 20); such an event is stored as JSON text in `event_json` instead of
// `event`, never refused.
//
// Dead letters: `errors/{id}` holding the toErrorRow fields (the errors table
// columns: JSON columns as text). Replays are recorded in `dlq_replays/{id}`.
import { createHash } from 'node:crypto';
import {
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterStore,
  type ErrorRow,
  type EventBatch,
  type EventSink,
  type Reason,
  type RoutedEvent,
  toErrorRow,
  type WriteReceipt,
} from '@eventkit/shared';
import {
  type DocumentData,
  type DocumentReference,
  FieldValue,
  type Firestore,
  type QueryDocumentSnapshot,
  Timestamp,
  type WriteBatch,
} from '@google-cloud/firestore';
import { EventsRejectedError } from '../core/errors.ts';
import { fromErrorRow } from './object-store-dead-letters.ts';
import type { ReplayLedger } from './replay-ledger.ts';

const INVALID_ARGUMENT = 3;
const isInvalidArgument = (err: unknown) => (err as { code?: unknown }).code === INVALID_ARGUMENT;

/** Firestore's limit of writes per commit. */
export const FIRESTORE_BATCH_LIMIT = 500;
const MAX_DOC_ID_BYTES = 1500;
/** Firestore allows 20 levels; the event map itself sits one level down in the document. */
const MAX_EVENT_DEPTH = 18;
const RESERVED_FIELD = /^__.*__$/;

export function firestoreDocId(source: string, messageId: string): string {
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

function eventDocument(routed: RoutedEvent): DocumentData {
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

async function commitInChunks<T>(
  db: Firestore,
  items: readonly T[],
  add: (batch: WriteBatch, item: T) => void,
): Promise<void> {
  for (let start = 0; start < items.length; start += FIRESTORE_BATCH_LIMIT) {
    const batch = db.batch();
    for (const item of items.slice(start, start + FIRESTORE_BATCH_LIMIT)) add(batch, item);
    await batch.commit();
  }
}

export class FirestoreEventSink implements EventSink {
  readonly kind = 'firestore';
  readonly #db: Firestore;

  constructor(db: Firestore) {
    this.#db = db;
  }

  async write(batch: EventBatch): Promise<WriteReceipt> {
    const collection = this.#db.collection('streams').doc(batch.stream).collection('events');
    const ref = (routed: RoutedEvent) =>
      collection.doc(firestoreDocId(routed.source, routed.event.messageId));
    try {
      await commitInChunks(this.#db, batch.events, (b, routed) => {
        b.set(ref(routed), eventDocument(routed));
      });
    } catch (err) {
      if (!isInvalidArgument(err)) throw err; // transient: the worker retries the batch
      await this.#findRejected(batch.events, ref);
      throw err;
    }
    return { count: batch.events.length, location: collection.path };
  }

  /**
   * Firestore refused a commit as invalid although every document passed
   * firestoreRepresentable: write the documents one by one to name the ones it
   * refuses (EventsRejectedError), so one event never blocks its partition.
   */
  async #findRejected(
    events: readonly RoutedEvent[],
    ref: (r: RoutedEvent) => DocumentReference,
  ): Promise<void> {
    const rejected: { index: number; reason: Reason }[] = [];
    for (const [index, routed] of events.entries()) {
      try {
        await ref(routed).set(eventDocument(routed));
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

/** How many dead letters scan() reads per query. */
const SCAN_PAGE = 500;

export class FirestoreDeadLetterStore implements DeadLetterStore, ReplayLedger {
  readonly #db: Firestore;

  constructor(db: Firestore) {
    this.#db = db;
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    const errors = this.#db.collection('errors');
    await commitInChunks(this.#db, letters, (b, letter) => {
      b.set(errors.doc(letter.id), toErrorRow(letter));
    });
  }

  /**
   * Oldest first by failed_at (ISO text, which sorts as time), one page at a
   * time. The error type is filtered here rather than in the query, so no
   * composite index is needed.
   */
  async *scan(filter: DeadLetterFilter = {}): AsyncIterable<DeadLetter> {
    let query = this.#db.collection('errors').orderBy('failed_at');
    if (filter.since) query = query.where('failed_at', '>=', filter.since.toISOString());
    let last: QueryDocumentSnapshot | undefined;
    for (;;) {
      const page = await (last ? query.startAfter(last) : query).limit(SCAN_PAGE).get();
      for (const doc of page.docs) {
        const letter = fromErrorRow(doc.data() as ErrorRow);
        if (!filter.errorType || letter.errorType === filter.errorType) yield letter;
      }
      if (page.size < SCAN_PAGE) return;
      last = page.docs[page.docs.length - 1];
    }
  }

  async replayed(): Promise<Set<string>> {
    const snapshot = await this.#db.collection('dlq_replays').select().get();
    return new Set(snapshot.docs.map((d) => d.id));
  }

  async recordReplayed(ids: readonly string[]): Promise<void> {
    const replays = this.#db.collection('dlq_replays');
    const replayedAt = new Date().toISOString();
    await commitInChunks(this.#db, ids, (b, id) => {
      b.set(replays.doc(id), { replayed_at: replayedAt });
    });
  }
}

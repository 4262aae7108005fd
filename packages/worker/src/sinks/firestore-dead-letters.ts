// The `firestore` dead-letter store: `errors/{id}` holding the toErrorRow
// fields (the errors table columns: JSON columns as text), with ids from the
// letters (deterministic: a redelivered failure overwrites its own letter).
// Replays are recorded in `dlq_replays/{id}`. Commits are cut like the event
// sink's (firestore.ts).
import { type DeadLetter, type ErrorRow, toErrorRow } from '@eventkit/shared/event';
import type { DeadLetterFilter, DeadLetterStore } from '@eventkit/shared/ports';
import type { DocumentData, Firestore, QueryDocumentSnapshot } from '@google-cloud/firestore';
import { commitInChunks, DEFAULT_MAX_COMMIT_BYTES, type PlannedWrite, planned } from './firestore.ts';
import { FIRESTORE_MAX_DOCUMENT_BYTES, storedDocumentBytes } from './firestore-size.ts';
import { fromErrorRow } from './object-store-dead-letters.ts';
import type { ReplayLedger } from './replay-ledger.ts';

/** How many dead letters scan() reads per query. */
const SCAN_PAGE = 500;

/**
 * A dead letter's payload or raw bytes can pass Firestore's 1 MiB per document
 * (a rejected event over 1 MiB, the raw bytes of a poison message): that
 * letter's text is then stored in `errors/{id}/parts/{field}-{n}` documents of
 * at most this many UTF-16 units (at most 768 KiB of UTF-8), and the letter
 * keeps only how many parts each field has (`payload_parts`, `raw_parts`).
 */
const PART_CHARS = 256 * 1024;
const SPLIT_FIELDS = ['payload', 'raw'] as const;

function splitText(text: string): string[] {
  const parts: string[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + PART_CHARS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1; // a surrogate pair stays whole
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

export class FirestoreDeadLetterStore implements DeadLetterStore, ReplayLedger {
  readonly #db: Firestore;

  constructor(db: Firestore) {
    this.#db = db;
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    await commitInChunks(
      this.#db,
      letters.flatMap((letter) => this.#letterWrites(letter)),
      DEFAULT_MAX_COMMIT_BYTES,
    );
  }

  /** The letter's document, after its parts when it is too large for one (so it is listed only once whole). */
  #letterWrites(letter: DeadLetter): PlannedWrite[] {
    const ref = this.#db.collection('errors').doc(letter.id);
    const row: DocumentData = toErrorRow(letter);
    if (storedDocumentBytes(ref.path, row) <= FIRESTORE_MAX_DOCUMENT_BYTES) return [planned(ref, row)];
    const writes: PlannedWrite[] = [];
    for (const field of SPLIT_FIELDS) {
      const text = row[field];
      if (typeof text !== 'string') continue;
      const parts = splitText(text);
      for (const [n, part] of parts.entries()) {
        const partRef = ref.collection('parts').doc(`${field}-${String(n).padStart(6, '0')}`);
        writes.push(planned(partRef, { field, n, text: part }));
      }
      row[field] = null;
      row[`${field}_parts`] = parts.length;
    }
    writes.push(planned(ref, row));
    return writes;
  }

  async #rowOf(doc: QueryDocumentSnapshot): Promise<ErrorRow> {
    const row = doc.data();
    if (!SPLIT_FIELDS.some((f) => typeof row[`${f}_parts`] === 'number')) return row as ErrorRow;
    const parts = (await doc.ref.collection('parts').get()).docs;
    for (const field of SPLIT_FIELDS) {
      const count = row[`${field}_parts`];
      delete row[`${field}_parts`];
      if (typeof count !== 'number') continue;
      const texts = parts
        .filter((p) => p.get('field') === field)
        .sort((a, b) => Number(a.get('n')) - Number(b.get('n')))
        .map((p) => String(p.get('text')));
      if (texts.length !== count) {
        throw new Error(`dead letter ${doc.id}: ${texts.length} of ${count} parts of ${field} found`);
      }
      row[field] = texts.join('');
    }
    return row as ErrorRow;
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
        if (filter.errorType && doc.get('error_type') !== filter.errorType) continue;
        yield fromErrorRow(await this.#rowOf(doc));
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
    const writes = ids.map((id) => planned(replays.doc(id), { replayed_at: replayedAt }));
    await commitInChunks(this.#db, writes, DEFAULT_MAX_COMMIT_BYTES);
  }
}

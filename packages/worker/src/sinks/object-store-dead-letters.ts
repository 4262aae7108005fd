// The dead-letter store of the `gcs` and `file` sinks: NDJSON files of
// toErrorRow objects (the ERROR_COLUMNS, so BigQuery and DuckDB load them into
// the errors table as they are), one file per write and error type, under
// errors/date=…/error_type=…/ (date of the write, like event files).
//
// scan() walks the date folders in order, skipping those before `since` and
// the other error type by their keys, and yields each folder's letters sorted
// by failedAt: memory holds the matching letters of one day at a time. (A
// letter that failed just before midnight UTC and was written just after sits
// in the next day's folder, so order across midnight is only as good as the
// write latency.)
//
// Replays are recorded in a ledger under dlq-replays/ (one NDJSON file per
// replay run), so `dlq replay` skips what it already re-published.
import { createHash } from 'node:crypto';
import { type DeadLetter, type ErrorRow, type ErrorType, toErrorRow } from '@eventkit/shared/event';
import { errorFileKey, errorsRoot, parseKey, replayLedgerKey, replaysRoot } from '@eventkit/shared/layout';
import {
  type DeadLetterFilter,
  type DeadLetterStore,
  listAll,
  ObjectExistsError,
  type ObjectStore,
} from '@eventkit/shared/ports';
import type { ReplayLedger } from './replay-ledger.ts';

export interface ObjectStoreDeadLetterStoreOptions {
  store: ObjectStore;
  prefix: string;
  workerId: string;
  now?: () => Date;
}

const NDJSON = 'application/x-ndjson';

/** A UUID-shaped id derived from the letters' ids. */
function idOf(ids: readonly string[]): string {
  const hex = createHash('sha256').update(ids.join('\n')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** An ErrorRow (as stored) back into a DeadLetter. */
export function fromErrorRow(row: ErrorRow): DeadLetter {
  const letter: DeadLetter = {
    id: row.id,
    errorType: row.error_type as ErrorType,
    reasons: JSON.parse(row.reasons),
    failedAt: row.failed_at,
  };
  if (row.stream !== null) letter.stream = row.stream;
  if (row.source !== null) letter.source = row.source;
  if (row.request_id !== null) letter.requestId = row.request_id;
  if (row.received_at !== null) letter.receivedAt = row.received_at;
  if (row.message_id !== null) letter.messageId = row.message_id;
  if (row.payload !== null) letter.payload = JSON.parse(row.payload);
  if (row.raw !== null) letter.raw = row.raw;
  return letter;
}

export class ObjectStoreDeadLetterStore implements DeadLetterStore, ReplayLedger {
  readonly #o: ObjectStoreDeadLetterStoreOptions;

  constructor(options: ObjectStoreDeadLetterStoreOptions) {
    this.#o = options;
  }

  #now(): Date {
    return (this.#o.now ?? (() => new Date()))();
  }

  async #putNew(makeKey: () => string, body: Buffer, contentType: string): Promise<void> {
    for (;;) {
      const key = makeKey();
      try {
        await this.#o.store.put(key, body, { ifNotExists: true, contentType });
        return;
      } catch (err) {
        if (!(err instanceof ObjectExistsError)) throw err;
        if ((await this.#o.store.stat(key))?.size === body.length) return; // our own earlier attempt
      }
    }
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    const at = this.#now();
    for (const errorType of ['validation', 'processing'] as const) {
      const group = letters.filter((l) => l.errorType === errorType);
      if (group.length === 0) continue;
      const body = Buffer.from(`${group.map((l) => JSON.stringify(toErrorRow(l))).join('\n')}\n`, 'utf8');
      const { prefix, workerId } = this.#o;
      // Named after the letters: when the worker retries a write whose first attempt stored one
      // file of two, the retry finds that file (same name, same size) instead of adding a copy.
      const id = idOf(group.map((l) => l.id));
      let attempt = 0;
      await this.#putNew(
        () => errorFileKey({ prefix, workerId, at, errorType, ...(attempt++ === 0 ? { id } : {}) }),
        body,
        NDJSON,
      );
    }
  }

  async *scan(filter: DeadLetterFilter = {}): AsyncIterable<DeadLetter> {
    const base = errorsRoot(this.#o.prefix);
    const since = filter.since?.getTime();
    const sinceDay = filter.since?.toISOString().slice(0, 10);
    // Folders before the day of `since` hold only letters written (so failed) earlier.
    const startAfter = sinceDay ? `${base}date=${sinceDay}` : undefined;
    let folder: string | undefined;
    let keys: string[] = [];
    const readFolder = async (): Promise<DeadLetter[]> => {
      const letters: DeadLetter[] = [];
      for (const key of keys) letters.push(...(await this.#readFile(key, filter.errorType, since)));
      keys = [];
      return letters.sort((a, b) => Date.parse(a.failedAt) - Date.parse(b.failedAt));
    };
    for await (const info of listAll(this.#o.store, base, startAfter ? { startAfter } : {})) {
      const parsed = parseKey(this.#o.prefix, info.key);
      if (parsed?.table !== 'errors') continue;
      if (filter.errorType && parsed.errorType !== filter.errorType) continue;
      if (sinceDay && parsed.date < sinceDay) continue;
      if (parsed.date !== folder) {
        yield* await readFolder();
        folder = parsed.date;
      }
      keys.push(info.key);
    }
    yield* await readFolder();
  }

  async #readFile(
    key: string,
    errorType: ErrorType | undefined,
    since: number | undefined,
  ): Promise<DeadLetter[]> {
    const text = (await this.#o.store.get(key)).toString('utf8');
    const letters: DeadLetter[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const letter = fromErrorRow(JSON.parse(line) as ErrorRow);
      if (errorType && letter.errorType !== errorType) continue;
      if (since !== undefined && Date.parse(letter.failedAt) < since) continue;
      letters.push(letter);
    }
    return letters;
  }

  async replayed(): Promise<Set<string>> {
    const ids = new Set<string>();
    for await (const info of listAll(this.#o.store, replaysRoot(this.#o.prefix))) {
      const text = (await this.#o.store.get(info.key)).toString('utf8');
      for (const line of text.split('\n')) {
        if (line.trim() !== '') ids.add((JSON.parse(line) as { id: string }).id);
      }
    }
    return ids;
  }

  async recordReplayed(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const at = this.#now();
    const replayedAt = at.toISOString();
    const body = Buffer.from(
      `${ids.map((id) => JSON.stringify({ id, replayed_at: replayedAt })).join('\n')}\n`,
    );
    await this.#putNew(() => replayLedgerKey(this.#o.prefix, this.#o.workerId, at), body, NDJSON);
  }
}

// The `gcs` and `file` event sinks: one Parquet file per flush (per stream of
// a partition), created with a create-only precondition. A retry after an
// ambiguous failure never overwrites anything and never leaves two copies
// under one name; if the first attempt did land, the retry finds a file of
// the same size under its own fresh name and counts it as written. (A
// duplicate file with the same events is possible after a crash between the
// upload and the ack: the loader's merge deduplicates on source + message_id.)
import { eventFileKey, keyPrefix } from '@eventkit/shared/layout';
import {
  type EventBatch,
  type EventSink,
  ObjectExistsError,
  type ObjectStore,
  type WriteReceipt,
} from '@eventkit/shared/ports';
import type { ParquetEncoder } from './parquet.ts';

export interface ObjectStoreEventSinkOptions {
  /** `gcs` or `file`, for logs and metrics. */
  kind: string;
  store: ObjectStore & { check?(): Promise<void> };
  encoder: ParquetEncoder;
  /** EVENTKIT_STORAGE_PREFIX. */
  prefix: string;
  workerId: string;
  /** The clock of the date/hour folders (tests pin it). */
  now?: () => Date;
}

const PARQUET = 'application/vnd.apache.parquet';

export class ObjectStoreEventSink implements EventSink {
  readonly kind: string;
  readonly #o: ObjectStoreEventSinkOptions;

  constructor(options: ObjectStoreEventSinkOptions) {
    this.kind = options.kind;
    this.#o = options;
  }

  async write(batch: EventBatch): Promise<WriteReceipt> {
    const data = await this.#o.encoder.encode(batch.events);
    const at = (this.#o.now ?? (() => new Date()))();
    let key = eventFileKey({ prefix: this.#o.prefix, workerId: this.#o.workerId, at, stream: batch.stream });
    for (;;) {
      try {
        const info = await this.#o.store.put(key, data, { ifNotExists: true, contentType: PARQUET });
        return { count: batch.events.length, location: info.uri };
      } catch (err) {
        if (!(err instanceof ObjectExistsError)) throw err;
        // The name is fresh, so the object is our own earlier attempt, unless it differs.
        const existing = await this.#o.store.stat(key);
        if (existing?.size === data.length) return { count: batch.events.length, location: existing.uri };
        key = eventFileKey({ prefix: this.#o.prefix, workerId: this.#o.workerId, at, stream: batch.stream });
      }
    }
  }

  async check(): Promise<void> {
    if (this.#o.store.check) await this.#o.store.check();
    else await this.#o.store.list(keyPrefix(this.#o.prefix), { pageSize: 1 });
  }

  async close(): Promise<void> {}
}

// Where the worker lands events: GCS (Parquet), Firestore, or local files.
import type { Reason, RoutedEvent } from '../event/types.ts';

/** Events of one stream and one partition, written together. */
export interface EventBatch {
  stream: string;
  partition: number;
  events: readonly RoutedEvent[];
}

export interface WriteReceipt {
  /** How many events the sink wrote. */
  count: number;
  /** Where they went (an object key, a collection path), for logs. */
  location: string;
}

export interface EventSink {
  /** `gcs`, `firestore`, `file`, `memory`: for logs and metrics. */
  readonly kind: string;
  /**
   * Durably writes the batch. Resolves only when the events would survive a
   * crash of this process; rejects on failure (the caller retries: a transient
   * error never turns an event into a dead letter). Writing the same events
   * again must be harmless (at-least-once delivery).
   */
  write(batch: EventBatch): Promise<WriteReceipt>;
  /** Resolves when the backing store is reachable (readiness). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Some events of a batch can never be written by this sink (e.g. a value the
 * store cannot represent), whatever the retries. Thrown before anything of
 * the batch is written; the worker dead-letters the listed events as
 * `processing` errors and writes the rest. Transient failures must never be
 * reported this way.
 */
export class EventsRejectedError extends Error {
  /** Indexes into the batch's events, each with why. */
  readonly rejected: readonly { index: number; reason: Reason }[];
  constructor(rejected: readonly { index: number; reason: Reason }[]) {
    super(`${rejected.length} event(s) cannot be stored by this sink`);
    this.name = 'EventsRejectedError';
    this.rejected = rejected;
  }
}

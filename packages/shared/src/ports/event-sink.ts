// Where the worker lands events: GCS (Parquet), Firestore, or local files.
import type { RoutedEvent } from '../event/types.ts';

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

// What the worker core needs to know, in plain numbers (milliseconds, counts,
// bytes), so that it can be built from the worker's configuration (compose.ts)
// or by the local all-in-one mode with its own values.
import type { WorkerConfig } from '@eventkit/shared/config';
import type { FlowControl } from '@eventkit/shared/ports';

export interface WorkerSettings {
  /** Partitions events are batched into (EVENTKIT_PARTITIONS). */
  partitions: number;
  /** Events per partition that trigger a flush (EVENTKIT_EVENTLOADER_BATCH_SIZE). */
  batchSize: number;
  /** Event bytes per partition that trigger a flush (EVENTKIT_EVENTLOADER_BATCH_BYTES). */
  batchBytes: number;
  /** Age of a partition's oldest event that triggers a flush (EVENTKIT_EVENTLOADER_FLUSH_INTERVAL). */
  flushIntervalMs: number;
  /** Hard limit of events buffered per partition: backpressure beyond it (EVENTKIT_BUFFER_MAX_SIZE). */
  bufferMaxSize: number;
  /** Deliveries after which a message is dead-lettered whole (EVENTKIT_MAX_DELIVERY_ATTEMPTS). */
  maxDeliveryAttempts: number;
  /** Per-event size limit of the schema (EVENTKIT_MAX_EVENT_BYTES). */
  maxEventBytes: number;
  /**
   * The subscriber's flow control. The worker holds a message until its
   * events are written, so when this many are held the subscriber delivers
   * nothing more: the worker then flushes at once instead of waiting for the
   * interval ("pressure" flush).
   */
  flowControl: FlowControl;
  /** How long stop() may take before it gives up and nacks (EVENTKIT_SHUTDOWN_TIMEOUT). */
  shutdownTimeoutMs: number;
  /** Backoff of retried writes. */
  retry?: { minDelayMs?: number; maxDelayMs?: number };
}

/** The worker settings from the worker's configuration. */
export function workerSettingsFromConfig(config: WorkerConfig): WorkerSettings {
  return {
    partitions: config.partitions,
    batchSize: config.eventloaderBatchSize,
    batchBytes: config.eventloaderBatchBytes,
    flushIntervalMs: Math.round(config.eventloaderFlushInterval * 1000),
    bufferMaxSize: config.bufferMaxSize,
    maxDeliveryAttempts: config.maxDeliveryAttempts,
    maxEventBytes: config.maxEventBytes,
    flowControl: { maxMessages: config.pubsubMaxMessages, maxBytes: config.pubsubMaxBytes },
    shutdownTimeoutMs: Math.round(config.shutdownTimeout * 1000),
  };
}

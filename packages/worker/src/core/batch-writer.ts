// The batch writer: writes what the batcher flushes to the event sink, and
// dead letters to the dead-letter sink, retrying transient failures until
// they succeed or the worker gives up at its shutdown deadline (`signal`).
//
// An outage of the bucket or of Firestore must never turn events into dead
// letters: the messages stay unacknowledged meanwhile (the Pub/Sub client
// extends their leases), the partition fills up and backpressure stops the
// pulling, so the backlog waits in Pub/Sub, not in memory. Only events the
// sink rejects for good (EventsRejectedError) become dead letters.
//
// Trackers are settled here: complete() once an event is durably written or
// dead-lettered, fail() when the write was abandoned (the message is nacked
// and comes back whole).
import type { DeadLetter } from '@eventkit/shared/event';
import type { Logger } from '@eventkit/shared/logging';
import type { DeadLetterSink, EventSink, WriteReceipt } from '@eventkit/shared/ports';
import { retryForever } from '@eventkit/shared/retry';
import type { Buffered, FlushTrigger } from './batcher.ts';
import { eventLetter } from './dead-letters.ts';
import { EventsRejectedError } from './errors.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { WorkerSettings } from './settings.ts';

/** Log the first failure of a write and then every tenth, not every retry. */
const RETRY_LOG_EVERY = 10;

export interface BatchWriterDeps {
  sink: EventSink;
  deadLetters: DeadLetterSink;
  logger: Logger;
  metrics: WorkerMetrics;
  retry: WorkerSettings['retry'];
  /** Aborted at the shutdown deadline: retries stop and throw RetryAbortedError. */
  signal: AbortSignal;
}

export class BatchWriter {
  readonly #d: BatchWriterDeps;

  constructor(deps: BatchWriterDeps) {
    this.#d = deps;
  }

  /** Durably stores dead letters, retrying until it works or the worker gives up. */
  async writeLetters(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const { deadLetters, metrics } = this.#d;
    await retryForever(() => deadLetters.write(letters), {
      signal: this.#d.signal,
      ...this.#d.retry,
      onRetry: this.#onRetry('dead_letters', { event_count: letters.length }),
    });
    for (const l of letters) metrics.eventsDeadLettered.inc({ error_type: l.errorType });
  }

  /**
   * Writes one partition's flush, one sink write per stream. Never rejects:
   * every item's tracker is completed (written) or failed (abandoned).
   */
  async flush(partition: number, items: Buffered[], trigger: FlushTrigger): Promise<void> {
    // Events of messages that already failed are left out: those messages come back whole.
    const live = items.filter((i) => !i.tracker.settled);
    if (live.length === 0) return;
    this.#d.metrics.flushes.inc({ trigger });
    const byStream = new Map<string, Buffered[]>();
    for (const item of live) {
      const group = byStream.get(item.routed.stream);
      if (group) group.push(item);
      else byStream.set(item.routed.stream, [item]);
    }
    for (const [stream, group] of byStream) await this.#flushStream(partition, stream, group, trigger);
  }

  async #flushStream(partition: number, stream: string, group: Buffered[], trigger: FlushTrigger) {
    const { sink, logger, metrics } = this.#d;
    const startedAt = performance.now();
    try {
      const { receipt, written } = await this.#writeBatch(partition, stream, group);
      const durationMs = performance.now() - startedAt;
      const now = Date.now();
      for (const item of written) {
        item.tracker.complete();
        const receivedAt = Date.parse(item.routed.event.receivedAt);
        if (Number.isFinite(receivedAt)) metrics.lagSeconds.observe(Math.max(0, now - receivedAt) / 1000);
      }
      metrics.eventsWritten.inc({ sink: sink.kind }, written.length);
      metrics.flushEvents.observe(written.length);
      metrics.flushSeconds.observe({ sink: sink.kind }, durationMs / 1000);
      const requestIds = new Set(written.map((i) => i.routed.requestId));
      logger.info(
        {
          partition,
          stream,
          event_count: written.length,
          duration_ms: Math.round(durationMs * 100) / 100,
          trigger,
          sink: sink.kind,
          location: receipt?.location,
          ...(requestIds.size === 1
            ? { request_id: [...requestIds][0] }
            : { request_count: requestIds.size }),
        },
        'events_flushed',
      );
    } catch (err) {
      for (const item of group) item.tracker.fail();
      logger.warn(
        { partition, stream, event_count: group.length, sink: sink.kind, error: (err as Error).message },
        'flush_abandoned',
      );
    }
  }

  /**
   * Writes one stream's events of a partition, retrying transient failures
   * until the shutdown deadline. Events the sink can never store are
   * dead-lettered and the write is retried at once without them. Returns the
   * events written.
   */
  #writeBatch(
    partition: number,
    stream: string,
    items: Buffered[],
  ): Promise<{ receipt: WriteReceipt | undefined; written: Buffered[] }> {
    const { sink } = this.#d;
    let current = items;
    const attempt = async () => {
      for (;;) {
        try {
          const receipt = await sink.write({ stream, partition, events: current.map((i) => i.routed) });
          return { receipt, written: current };
        } catch (err) {
          if (!(err instanceof EventsRejectedError) || err.rejected.length === 0) throw err;
          current = await this.#deadLetterRejected(partition, stream, current, err);
          if (current.length === 0) return { receipt: undefined, written: [] };
        }
      }
    };
    return retryForever(attempt, {
      signal: this.#d.signal,
      ...this.#d.retry,
      onRetry: this.#onRetry('events', { sink: sink.kind, partition, stream }),
    });
  }

  /** Stores the rejected events as dead letters, completes them, and returns the rest. */
  async #deadLetterRejected(
    partition: number,
    stream: string,
    current: Buffered[],
    err: EventsRejectedError,
  ): Promise<Buffered[]> {
    const rejected = new Set(err.rejected.map((r) => r.index));
    const letters = err.rejected.flatMap((r) => {
      const item = current[r.index];
      // Accepted events always carry a messageId, which names the letter.
      return item
        ? [eventLetter(item.routed, 'processing', [r.reason], new Date(), item.routed.requestId)]
        : [];
    });
    await this.writeLetters(letters);
    this.#d.logger.warn(
      { sink: this.#d.sink.kind, partition, stream, event_count: letters.length },
      'events_rejected',
    );
    for (const i of rejected) current[i]?.tracker.complete();
    return current.filter((_, i) => !rejected.has(i));
  }

  #onRetry(target: 'events' | 'dead_letters', fields: Record<string, unknown>) {
    const { logger, metrics } = this.#d;
    return (err: unknown, attempt: number, delayMs: number) => {
      metrics.writeRetries.inc({ target });
      if (attempt === 1 || attempt % RETRY_LOG_EVERY === 0) {
        logger.warn(
          { ...fields, target, attempt, delay_ms: delayMs, error: (err as Error)?.message ?? String(err) },
          'store_write_failed',
        );
      }
    };
  }
}

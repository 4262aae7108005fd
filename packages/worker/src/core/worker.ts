// The worker core: queue messages in, events durably out, every message acked
// only once all of its events are written to the event sink or the
// dead-letter sink. Plain TypeScript over ports: the Pub/Sub subscriber (or
// the local mode's in-process queue), the event sink and the dead-letter sink
// are passed in.
//
// The parts, in the order a message meets them (split the way
// @google-cloud/pubsub splits its subscriber):
//   intake.ts        poison / decode / re-validate and adapt / partition: a
//                    function of the message, the settings and the time
//   batcher.ts       per-partition buffers, bounded, flushed on size, bytes,
//                    age, pressure or shutdown
//   batch-writer.ts  writes flushes and dead letters, retrying until the
//                    shutdown deadline; settles the message trackers
//   flow.ts          messages and bytes held, and the pressure flush
//   tracker.ts       per message: acked once every event is durable
// This file wires them and owns start, stop and stats.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '@eventkit/shared/logging';
import type { Registry } from '@eventkit/shared/metrics';
import type {
  DeadLetterSink,
  Disposition,
  EventSink,
  QueueMessage,
  QueueSubscriber,
} from '@eventkit/shared/ports';
import { RetryAbortedError } from '@eventkit/shared/retry';
import { BatchWriter } from './batch-writer.ts';
import { Batcher } from './batcher.ts';
import { Flow } from './flow.ts';
import { type Accepted, type Intake, intake } from './intake.ts';
import { defineWorkerMetrics, type WorkerMetrics } from './metrics.ts';
import type { WorkerSettings } from './settings.ts';
import { MessageTracker } from './tracker.ts';

export interface WorkerDeps {
  subscriber: QueueSubscriber;
  sink: EventSink;
  deadLetters: DeadLetterSink;
  logger: Logger;
  metrics: Registry;
  settings: WorkerSettings;
}

export interface WorkerStats {
  started: boolean;
  stopping: boolean;
  inFlightMessages: number;
  inFlightBytes: number;
  bufferedEvents: number;
  flushing: number;
  messages: { received: number; acked: number; nacked: number; deadLettered: number };
  events: { received: number; written: number; deadLettered: number };
}

export interface StopResult {
  /** False when the shutdown timeout ran out: what was not written was nacked. */
  drained: boolean;
  durationMs: number;
}

export interface Worker {
  /** Starts consuming. */
  start(): Promise<void>;
  /**
   * Stops pulling, flushes every partition, acks what was written and nacks
   * the rest, within settings.shutdownTimeoutMs. Idempotent.
   */
  stop(): Promise<StopResult>;
  stats(): WorkerStats;
}

export function createWorker(deps: WorkerDeps): Worker {
  return new WorkerCore(deps);
}

class WorkerCore implements Worker {
  readonly #d: WorkerDeps;
  readonly #abort = new AbortController();
  /** Messages whose events are buffered or being written: failed all at once at the shutdown deadline. */
  readonly #trackers = new Set<MessageTracker>();
  readonly #flow: Flow;
  readonly #batcher: Batcher;
  readonly #writer: BatchWriter;
  readonly #metrics: WorkerMetrics;
  /** The last message's turn for intake (see #process). */
  #intakeTurn: Promise<void> = Promise.resolve();
  #started = false;
  #stopping = false;
  #stopped: Promise<StopResult> | undefined;

  constructor(deps: WorkerDeps) {
    this.#d = deps;
    const { settings } = deps;
    this.#flow = new Flow(settings.flowControl);
    const batcher = new Batcher({
      partitions: settings.partitions,
      batchSize: settings.batchSize,
      batchBytes: settings.batchBytes,
      flushIntervalMs: settings.flushIntervalMs,
      maxBuffered: settings.bufferMaxSize,
      flush: (partition, items, trigger) => this.#writer.flush(partition, items, trigger),
      onFlushed: () => this.#flow.schedulePressureCheck(batcher),
    });
    this.#batcher = batcher;
    this.#metrics = defineWorkerMetrics(deps.metrics, {
      inFlightMessages: () => this.#flow.messages,
      inFlightBytes: () => this.#flow.bytes,
      bufferedEvents: () => batcher.buffered,
      bufferedBytes: () => batcher.bufferedBytes,
    });
    this.#writer = new BatchWriter({
      sink: deps.sink,
      deadLetters: deps.deadLetters,
      logger: deps.logger,
      metrics: this.#metrics,
      retry: settings.retry,
      signal: this.#abort.signal,
    });
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { subscriber, sink, logger, settings } = this.#d;
    await subscriber.start((message) => this.#handle(message));
    logger.info(
      {
        sink: sink.kind,
        partitions: settings.partitions,
        batch_size: settings.batchSize,
        flush_interval_ms: settings.flushIntervalMs,
        max_messages: settings.flowControl.maxMessages,
      },
      'worker_started',
    );
  }

  stop(): Promise<StopResult> {
    this.#stopped ??= this.#drain();
    return this.#stopped;
  }

  stats(): WorkerStats {
    const m = this.#metrics;
    return {
      started: this.#started,
      stopping: this.#stopping,
      inFlightMessages: this.#flow.messages,
      inFlightBytes: this.#flow.bytes,
      bufferedEvents: this.#batcher.buffered,
      flushing: this.#batcher.flushing,
      messages: {
        received: m.messagesReceived.total,
        acked: m.messagesAcked.total,
        nacked: m.messagesNacked.total,
        deadLettered: m.messagesDeadLettered.total,
      },
      events: {
        received: m.eventsReceived.total,
        written: m.eventsWritten.total,
        deadLettered: m.eventsDeadLettered.total,
      },
    };
  }

  async #handle(message: QueueMessage): Promise<Disposition> {
    if (this.#stopping && this.#abort.signal.aborted) return 'nack';
    const size = message.data.length;
    this.#flow.begin(size);
    this.#metrics.messagesReceived.inc();
    let disposition: Disposition = 'nack';
    try {
      disposition = await this.#process(message);
    } catch (err) {
      if (!(err instanceof RetryAbortedError)) {
        this.#d.logger.error(
          { queue_message_id: message.id, error: (err as Error).message, stack: (err as Error).stack },
          'message_failed',
        );
      }
      disposition = 'nack';
    } finally {
      this.#flow.end(size);
      if (disposition === 'ack') this.#metrics.messagesAcked.inc();
      else this.#metrics.messagesNacked.inc();
      this.#flow.schedulePressureCheck(this.#batcher);
    }
    return disposition;
  }

  async #process(message: QueueMessage): Promise<Disposition> {
    const { logger, settings } = this.#d;
    // One message per turn of the event loop. A streaming pull hands over
    // hundreds of messages at once, and their intake (decompress, parse,
    // validate: ~2-3 ms per 100-event envelope) would otherwise run back to
    // back: the loop stalled for up to a second, and meanwhile no ack went
    // out, no lease was extended and the encoding thread, whose results wait
    // in the loop's queue, sat idle. A setImmediate each is not enough: the
    // immediates queued together all run in the same turn, so each message
    // queues its immediate only once the one before it has run.
    const turn = this.#intakeTurn.then(() => nextTurn());
    this.#intakeTurn = turn;
    await turn;
    const taken = await intake(message, settings, new Date());
    if (taken.kind === 'dead-letter') {
      await this.#writer.writeLetters([taken.letter]);
      this.#metrics.messagesDeadLettered.inc({ reason: taken.reason });
      logger.warn(
        {
          queue_message_id: message.id,
          delivery_attempt: message.deliveryAttempt,
          stream: message.attributes.stream,
          request_id: message.attributes.request_id,
          reason: taken.letter.reasons[0]?.code,
        },
        'message_dead_lettered',
      );
      return 'ack';
    }
    this.#metrics.eventsReceived.inc(taken.received.length);
    if (logger.isLevelEnabled('debug')) this.#logIntake(taken);
    if (taken.invalid.length > 0) {
      await this.#writer.writeLetters(taken.invalid);
      logger.warn(
        {
          stream: taken.stream,
          request_id: message.attributes.request_id,
          event_count: taken.invalid.length,
          reasons: [...new Set(taken.invalid.flatMap((l) => l.reasons.map((r) => r.code)))],
        },
        'events_invalid',
      );
    }
    if (taken.accepted.length === 0) return 'ack';
    return this.#buffer(taken.accepted);
  }

  /** Buffers the message's accepted events and resolves once all are written ('ack') or one failed ('nack'). */
  async #buffer(accepted: Accepted[]): Promise<Disposition> {
    const batcher = this.#batcher;
    const tracker = new MessageTracker(accepted.length);
    this.#trackers.add(tracker);
    try {
      for (const { routed, bytes, partition } of accepted) {
        const item = { routed, bytes, tracker };
        while (!batcher.tryAdd(partition, item)) {
          this.#metrics.backpressureWaits.inc();
          await batcher.waitForSpace(partition, this.#abort.signal);
        }
        if (this.#stopping) batcher.flush(partition, 'shutdown');
      }
      this.#flow.schedulePressureCheck(batcher);
      return await tracker.done;
    } catch (err) {
      tracker.fail();
      throw err;
    } finally {
      this.#trackers.delete(tracker);
    }
  }

  #logIntake(taken: Extract<Intake, { kind: 'events' }>): void {
    const { logger } = this.#d;
    for (const routed of taken.received) {
      logger.debug(
        { stream: routed.stream, event_type: routed.event?.type, request_id: routed.requestId },
        'event_received',
      );
    }
    for (const { routed, partition } of taken.accepted) {
      logger.debug({ event_type: routed.event.type, request_id: routed.requestId }, 'event_adapted');
      logger.debug({ partition, request_id: routed.requestId }, 'event_sequenced');
    }
  }

  async #drain(): Promise<StopResult> {
    const { subscriber, logger, settings } = this.#d;
    const batcher = this.#batcher;
    const startedAt = performance.now();
    this.#stopping = true;
    this.#flow.close();
    const deadline = setTimeout(() => this.#giveUp(), settings.shutdownTimeoutMs);
    try {
      logger.info(
        { in_flight_messages: this.#flow.messages, buffered_events: batcher.buffered },
        'worker_stopping',
      );
      const subscriberStopped = this.#started ? subscriber.stop() : Promise.resolve();
      batcher.flushAll('shutdown');
      await subscriberStopped;
      await batcher.drain('shutdown');
    } finally {
      clearTimeout(deadline);
      batcher.close();
    }
    const result = {
      drained: !this.#abort.signal.aborted,
      durationMs: Math.round(performance.now() - startedAt),
    };
    logger.info(
      { drained: result.drained, duration_ms: result.durationMs, ...this.stats().messages },
      'worker_stopped',
    );
    return result;
  }

  /** The shutdown deadline: fail every message still waiting, so the subscriber can nack them. */
  #giveUp(): void {
    this.#abort.abort();
    for (const item of this.#batcher.takeAll()) item.tracker.fail();
    for (const tracker of this.#trackers) tracker.fail();
  }
}

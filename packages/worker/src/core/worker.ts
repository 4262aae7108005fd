// The worker core: queue messages in, events durably out, every message acked
// only once all of its events are written to the event sink or the
// dead-letter sink. Plain TypeScript over ports: the Pub/Sub subscriber (or
// the local mode's in-process queue), the event sink and the dead-letter sink
// are passed in.
//
// Per message: decode the envelope (undecodable → dead letter, with the raw
// bytes) → re-validate and adapt every event (invalid → dead letter, with the
// reasons) → partition → buffer. A MessageTracker counts the message's events
// still to be written; the handler resolves 'ack' when that reaches zero and
// 'nack' when anything fails. A message delivered more than
// maxDeliveryAttempts times is a poison message: dead-lettered whole.
import {
  type DeadLetter,
  type DeadLetterSink,
  type Disposition,
  decodeEnvelope,
  EnvelopeError,
  type EventSink,
  type Logger,
  partitionFor,
  type QueueMessage,
  type QueueSubscriber,
  type Registry,
  type RoutedEvent,
  type WriteReceipt,
} from '@eventkit/shared';
import { adaptEvent } from './adapt.ts';
import { Batcher, type Buffered, type FlushTrigger } from './batcher.ts';
import { eventLetter, messageLetter } from './dead-letters.ts';
import { EventsRejectedError } from './errors.ts';
import { defineWorkerMetrics } from './metrics.ts';
import { AbortedError, retryUntilAborted } from './retry.ts';
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

/** Log the first failure of a write and then every tenth, not every retry. */
const RETRY_LOG_EVERY = 10;

export function createWorker(deps: WorkerDeps): Worker {
  const { subscriber, sink, deadLetters, logger, settings } = deps;
  const abort = new AbortController();
  const trackers = new Set<MessageTracker>();
  const counts = {
    messages: { received: 0, acked: 0, nacked: 0, deadLettered: 0 },
    events: { received: 0, written: 0, deadLettered: 0 },
  };
  let inFlight = 0;
  let inFlightBytes = 0;
  let lastMessageBytes = 0;
  let started = false;
  let stopping = false;
  let stopped: Promise<StopResult> | undefined;
  let pressureCheck: NodeJS.Immediate | undefined;
  const debug = () => logger.isLevelEnabled('debug');

  const batcher: Batcher = new Batcher({
    partitions: settings.partitions,
    batchSize: settings.batchSize,
    batchBytes: settings.batchBytes,
    flushIntervalMs: settings.flushIntervalMs,
    maxBuffered: settings.bufferMaxSize,
    flush: flushPartition,
    onFlushed: schedulePressureCheck,
  });

  const metrics = defineWorkerMetrics(deps.metrics, {
    inFlightMessages: () => inFlight,
    inFlightBytes: () => inFlightBytes,
    bufferedEvents: () => batcher.buffered,
    bufferedBytes: () => batcher.bufferedBytes,
  });

  function onRetry(target: 'events' | 'dead_letters', fields: Record<string, unknown>) {
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

  /** Durably stores dead letters, retrying until it works or the worker gives up. */
  async function writeLetters(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await retryUntilAborted(() => deadLetters.write(letters), {
      signal: abort.signal,
      ...settings.retry,
      onRetry: onRetry('dead_letters', { event_count: letters.length }),
    });
    for (const l of letters) metrics.eventsDeadLettered.inc({ error_type: l.errorType });
    counts.events.deadLettered += letters.length;
  }

  /**
   * Writes one stream's events of a partition, retrying transient failures
   * forever (until the shutdown deadline). Events the sink rejects for good are
   * dead-lettered and the rest written. Returns the events written.
   */
  async function writeBatch(
    partition: number,
    stream: string,
    items: Buffered[],
  ): Promise<{ receipt: WriteReceipt | undefined; written: Buffered[] }> {
    let current = items;
    // Events the sink can never store are dead-lettered and the write is
    // retried at once without them; anything else is retried with backoff.
    const attempt = async () => {
      for (;;) {
        try {
          const receipt = await sink.write({ stream, partition, events: current.map((i) => i.routed) });
          return { receipt, written: current };
        } catch (err) {
          if (!(err instanceof EventsRejectedError) || err.rejected.length === 0) throw err;
          const rejected = new Set(err.rejected.map((r) => r.index));
          const letters = err.rejected.flatMap((r) => {
            const item = current[r.index];
            // Accepted events always carry a messageId, which names the letter.
            return item
              ? [eventLetter(item.routed, 'processing', [r.reason], new Date(), item.routed.requestId)]
              : [];
          });
          await writeLetters(letters);
          logger.warn({ sink: sink.kind, partition, stream, event_count: letters.length }, 'events_rejected');
          for (const i of rejected) current[i]?.tracker.complete();
          current = current.filter((_, i) => !rejected.has(i));
          if (current.length === 0) return { receipt: undefined, written: [] };
        }
      }
    };
    return retryUntilAborted(attempt, {
      signal: abort.signal,
      ...settings.retry,
      onRetry: onRetry('events', { sink: sink.kind, partition, stream }),
    });
  }

  async function flushPartition(partition: number, items: Buffered[], trigger: FlushTrigger): Promise<void> {
    // Events of messages that already failed are left out: those messages come back whole.
    const live = items.filter((i) => !i.tracker.settled);
    if (live.length === 0) return;
    metrics.flushes.inc({ trigger });
    const byStream = new Map<string, Buffered[]>();
    for (const item of live) {
      const group = byStream.get(item.routed.stream);
      if (group) group.push(item);
      else byStream.set(item.routed.stream, [item]);
    }
    for (const [stream, group] of byStream) {
      const startedAt = performance.now();
      try {
        const { receipt, written } = await writeBatch(partition, stream, group);
        const durationMs = performance.now() - startedAt;
        const now = Date.now();
        for (const item of written) {
          item.tracker.complete();
          const receivedAt = Date.parse(item.routed.event.receivedAt);
          if (Number.isFinite(receivedAt)) metrics.lagSeconds.observe(Math.max(0, now - receivedAt) / 1000);
        }
        counts.events.written += written.length;
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
  }

  /** When the subscriber cannot deliver more until something is acked, waiting for the interval only adds latency. */
  function schedulePressureCheck(): void {
    if (pressureCheck || stopping) return;
    pressureCheck = setImmediate(() => {
      pressureCheck = undefined;
      if (stopping || inFlight === 0) return;
      const { maxMessages, maxBytes } = settings.flowControl;
      const starved = inFlight >= maxMessages || inFlightBytes + lastMessageBytes > maxBytes;
      if (starved && batcher.flushing === 0 && batcher.buffered > 0) batcher.flushAll('pressure');
    });
  }

  async function deadLetterMessage(
    message: QueueMessage,
    reason: 'poison' | 'undecodable',
    letter: DeadLetter,
  ) {
    await writeLetters([letter]);
    counts.messages.deadLettered++;
    metrics.messagesDeadLettered.inc({ reason });
    logger.warn(
      {
        queue_message_id: message.id,
        delivery_attempt: message.deliveryAttempt,
        stream: message.attributes.stream,
        request_id: message.attributes.request_id,
        reason: letter.reasons[0]?.code,
      },
      'message_dead_lettered',
    );
  }

  async function processMessage(message: QueueMessage): Promise<Disposition> {
    const now = new Date();
    if (message.deliveryAttempt > settings.maxDeliveryAttempts) {
      const reason = {
        code: 'poison_message',
        message: `delivered ${message.deliveryAttempt} times (limit ${settings.maxDeliveryAttempts}) without being processed; kept whole`,
      };
      await deadLetterMessage(message, 'poison', messageLetter(message, [reason], now));
      return 'ack';
    }
    let envelope: Awaited<ReturnType<typeof decodeEnvelope>>;
    try {
      envelope = await decodeEnvelope(message.data);
    } catch (err) {
      if (!(err instanceof EnvelopeError)) throw err;
      await deadLetterMessage(message, 'undecodable', messageLetter(message, [err.toReason()], now));
      return 'ack';
    }

    counts.events.received += envelope.events.length;
    metrics.eventsReceived.inc(envelope.events.length);
    // Events the gateway already refused travel as dead letters (stream
    // `_dead_letters`): stored like the worker's own, before the ack.
    const invalid: DeadLetter[] = [...envelope.deadLetters];
    const accepted: { routed: RoutedEvent; bytes: number }[] = [];
    for (const [index, routed] of envelope.events.entries()) {
      if (debug()) {
        logger.debug(
          { stream: routed.stream, event_type: routed.event?.type, request_id: routed.requestId },
          'event_received',
        );
      }
      const adapted = adaptEvent(routed, settings.maxEventBytes);
      if (!adapted.ok) {
        invalid.push(eventLetter(routed, 'validation', adapted.reasons, now, `${message.id}#${index}`));
        continue;
      }
      if (debug()) {
        logger.debug(
          { event_type: adapted.routed.event.type, request_id: routed.requestId },
          'event_adapted',
        );
      }
      accepted.push({ routed: adapted.routed, bytes: adapted.bytes });
    }
    if (invalid.length > 0) {
      await writeLetters(invalid);
      logger.warn(
        {
          stream: envelope.stream,
          request_id: message.attributes.request_id,
          event_count: invalid.length,
          reasons: [...new Set(invalid.flatMap((l) => l.reasons.map((r) => r.code)))],
        },
        'events_invalid',
      );
    }
    if (accepted.length === 0) return 'ack';

    const tracker = new MessageTracker(accepted.length);
    trackers.add(tracker);
    try {
      for (const { routed, bytes } of accepted) {
        const item: Buffered = { routed, bytes, tracker };
        const partition = partitionFor(item.routed.event, settings.partitions);
        if (debug()) logger.debug({ partition, request_id: item.routed.requestId }, 'event_sequenced');
        while (!batcher.tryAdd(partition, item)) {
          metrics.backpressureWaits.inc();
          await batcher.waitForSpace(partition, abort.signal);
        }
        if (stopping) batcher.flush(partition, 'shutdown');
      }
      schedulePressureCheck();
      return await tracker.done;
    } catch (err) {
      tracker.fail();
      throw err;
    } finally {
      trackers.delete(tracker);
    }
  }

  async function handle(message: QueueMessage): Promise<Disposition> {
    if (stopping && abort.signal.aborted) return 'nack';
    const size = message.data.length;
    inFlight++;
    inFlightBytes += size;
    lastMessageBytes = size;
    counts.messages.received++;
    metrics.messagesReceived.inc();
    let disposition: Disposition = 'nack';
    try {
      disposition = await processMessage(message);
    } catch (err) {
      if (!(err instanceof AbortedError)) {
        logger.error(
          { queue_message_id: message.id, error: (err as Error).message, stack: (err as Error).stack },
          'message_failed',
        );
      }
      disposition = 'nack';
    } finally {
      inFlight--;
      inFlightBytes -= size;
      if (disposition === 'ack') {
        counts.messages.acked++;
        metrics.messagesAcked.inc();
      } else {
        counts.messages.nacked++;
        metrics.messagesNacked.inc();
      }
      schedulePressureCheck();
    }
    return disposition;
  }

  /** The shutdown deadline: fail every message still waiting, so the subscriber can nack them. */
  function giveUp(): void {
    abort.abort();
    for (const item of batcher.takeAll()) item.tracker.fail();
    for (const tracker of trackers) tracker.fail();
  }

  return {
    async start() {
      if (started) return;
      started = true;
      await subscriber.start(handle);
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
    },

    stop() {
      stopped ??= (async () => {
        const startedAt = performance.now();
        stopping = true;
        if (pressureCheck) clearImmediate(pressureCheck);
        const deadline = setTimeout(giveUp, settings.shutdownTimeoutMs);
        try {
          logger.info({ in_flight_messages: inFlight, buffered_events: batcher.buffered }, 'worker_stopping');
          const subscriberStopped = started ? subscriber.stop() : Promise.resolve();
          batcher.flushAll('shutdown');
          await subscriberStopped;
          await batcher.drain('shutdown');
        } finally {
          clearTimeout(deadline);
          batcher.close();
        }
        const result = {
          drained: !abort.signal.aborted,
          durationMs: Math.round(performance.now() - startedAt),
        };
        logger.info(
          { drained: result.drained, duration_ms: result.durationMs, ...counts.messages },
          'worker_stopped',
        );
        return result;
      })();
      return stopped;
    },

    stats() {
      return {
        started,
        stopping,
        inFlightMessages: inFlight,
        inFlightBytes,
        bufferedEvents: batcher.buffered,
        flushing: batcher.flushing,
        messages: { ...counts.messages },
        events: { ...counts.events },
      };
    },
  };
}

// The worker's Prometheus metrics (GET /metrics). Counters follow a message
// and its events: received → written or dead-lettered → acked or nacked.
import {
  type Counter,
  defineCounter,
  defineGauge,
  defineHistogram,
  type Histogram,
  type Registry,
  SIZE_BUCKETS,
} from '@eventkit/shared/metrics';

/** End-to-end lag buckets, seconds: from 100 ms to a day (a backlog drained after an outage). */
const LAG_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600, 86400];

export interface WorkerGaugeSource {
  inFlightMessages(): number;
  inFlightBytes(): number;
  bufferedEvents(): number;
  bufferedBytes(): number;
}

/**
 * A counter that also keeps its total over all labels in a plain number:
 * `worker.stats()` (and the local mode's status line) read the metrics
 * themselves instead of a second set of counts kept beside them.
 */
export interface Tally<L extends string = never> {
  readonly total: number;
  inc(value?: number): void;
  inc(labels: Partial<Record<L, string | number>>, value?: number): void;
}

function tally<L extends string = never>(counter: Counter<L>): Tally<L> {
  let total = 0;
  return {
    get total() {
      return total;
    },
    inc(labelsOrValue?: number | Partial<Record<L, string | number>>, value?: number) {
      if (typeof labelsOrValue === 'object') {
        const n = value ?? 1;
        total += n;
        counter.inc(labelsOrValue, n);
      } else {
        const n = labelsOrValue ?? 1;
        total += n;
        counter.inc(n);
      }
    },
  };
}

export interface WorkerMetrics {
  messagesReceived: Tally;
  messagesAcked: Tally;
  messagesNacked: Tally;
  messagesDeadLettered: Tally<'reason'>;
  eventsReceived: Tally;
  eventsWritten: Tally<'sink'>;
  eventsDeadLettered: Tally<'error_type'>;
  flushes: Counter<'trigger'>;
  flushEvents: Histogram;
  flushSeconds: Histogram<'sink'>;
  writeRetries: Counter<'target'>;
  backpressureWaits: Counter;
  lagSeconds: Histogram;
}

export function defineWorkerMetrics(registry: Registry, source: WorkerGaugeSource): WorkerMetrics {
  defineGauge(registry, {
    name: 'eventkit_worker_in_flight_messages',
    help: 'Queue messages being processed (received, not yet acked or nacked).',
    collect: (g) => g.set(source.inFlightMessages()),
  });
  defineGauge(registry, {
    name: 'eventkit_worker_in_flight_bytes',
    help: 'Bytes of the queue messages in flight (compressed envelopes).',
    collect: (g) => g.set(source.inFlightBytes()),
  });
  defineGauge(registry, {
    name: 'eventkit_worker_buffered_events',
    help: 'Events waiting in partition buffers for a flush.',
    collect: (g) => g.set(source.bufferedEvents()),
  });
  defineGauge(registry, {
    name: 'eventkit_worker_buffered_bytes',
    help: 'Bytes (event JSON) waiting in partition buffers for a flush.',
    collect: (g) => g.set(source.bufferedBytes()),
  });
  return { ...messageMetrics(registry), ...eventMetrics(registry), ...flushMetrics(registry) };
}

function messageMetrics(registry: Registry) {
  return {
    messagesReceived: tally(
      defineCounter(registry, {
        name: 'eventkit_worker_messages_received_total',
        help: 'Queue messages received (redeliveries included).',
      }),
    ),
    messagesAcked: tally(
      defineCounter(registry, {
        name: 'eventkit_worker_messages_acked_total',
        help: 'Queue messages acked: every event durably written or dead-lettered.',
      }),
    ),
    messagesNacked: tally(
      defineCounter(registry, {
        name: 'eventkit_worker_messages_nacked_total',
        help: 'Queue messages nacked (they are redelivered).',
      }),
    ),
    messagesDeadLettered: tally(
      defineCounter(registry, {
        name: 'eventkit_worker_messages_dead_lettered_total',
        help: 'Whole queue messages kept in the dead-letter store: undecodable, or poison (too many deliveries).',
        labelNames: ['reason'],
      }),
    ),
  };
}

function eventMetrics(registry: Registry) {
  return {
    eventsReceived: tally(
      defineCounter(registry, {
        name: 'eventkit_worker_events_received_total',
        help: 'Events decoded from queue messages.',
      }),
    ),
    eventsWritten: tally(
      defineCounter(registry, {
        name: 'eventkit_worker_events_written_total',
        help: 'Events durably written to the event sink.',
        labelNames: ['sink'],
      }),
    ),
    eventsDeadLettered: tally(
      defineCounter(registry, {
        name: 'eventkit_worker_events_dead_lettered_total',
        help: 'Events written to the dead-letter store, by error type.',
        labelNames: ['error_type'],
      }),
    ),
  };
}

function flushMetrics(registry: Registry) {
  return {
    flushes: defineCounter(registry, {
      name: 'eventkit_worker_flushes_total',
      help: 'Partition flushes, by what triggered them (size, bytes, interval, pressure, shutdown).',
      labelNames: ['trigger'],
    }),
    flushEvents: defineHistogram(registry, {
      name: 'eventkit_worker_flush_events',
      help: 'Events per partition flush.',
      buckets: SIZE_BUCKETS,
    }),
    flushSeconds: defineHistogram(registry, {
      name: 'eventkit_worker_flush_duration_seconds',
      help: 'Time to write one partition flush to the sink, retries included.',
      labelNames: ['sink'],
    }),
    writeRetries: defineCounter(registry, {
      name: 'eventkit_worker_write_retries_total',
      help: 'Failed writes retried with backoff, by target (events, dead_letters).',
      labelNames: ['target'],
    }),
    backpressureWaits: defineCounter(registry, {
      name: 'eventkit_worker_backpressure_waits_total',
      help: 'Times an event waited for room in a full partition buffer (EVENTKIT_BUFFER_MAX_SIZE).',
    }),
    lagSeconds: defineHistogram(registry, {
      name: 'eventkit_worker_end_to_end_lag_seconds',
      help: 'Time from the gateway receiving an event (receivedAt) to the worker having written it.',
      buckets: LAG_BUCKETS,
    }),
  };
}

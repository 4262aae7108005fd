// The settings of the group "Worker" (see ../settings.ts).
import { hostname } from 'node:os';
import { setting, str } from './define.ts';
import { bytes, integer, oneOf, seconds, text } from './parsers.ts';

export const WORKER_SETTINGS = {
  // ── Worker ─────────────────────────────────────────────────────────────────
  eventStore: setting({
    env: 'EVENTKIT_EVENT_STORE',
    description:
      'Where workers write events: gcs (Parquet files in GCP_GCS_BUCKET), firestore, or file (the GCS layout under the data directory).',
    group: 'Worker (event loader)',
    roles: ['worker', 'loader'],
    parser: oneOf(['gcs', 'firestore', 'file']),
    default: (ctx) => (ctx.get('gcpGcsBucket') !== undefined ? 'gcs' : 'file'),
    defaultText: 'gcs when GCP_GCS_BUCKET is set, else file',
  }),
  partitions: setting({
    env: 'EVENTKIT_PARTITIONS',
    description: 'Partitions a worker batches events into (stable hash of userId, anonymousId or messageId).',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: integer(1, 1024),
    default: 16,
  }),
  eventloaderBatchSize: setting({
    env: 'EVENTKIT_EVENTLOADER_BATCH_SIZE',
    description: 'Events per partition that trigger a flush to the event store.',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: integer(1, 1_000_000),
    // Files: a flush costs a COPY, an upload or fsync and, later, a file for the
    // loader to list and load, whatever its size; 5,000-event files took the
    // worker from ~25k to ~34k events/s on the bench machine (worker README).
    default: (ctx) => (str(ctx, 'eventStore') === 'firestore' ? 100 : 5000),
    defaultText: '5000 (gcs, file); 100 (firestore)',
    aliases: [{ env: 'EVENTKIT_BUFFER_SIZE', note: 'deprecated alias of EVENTKIT_EVENTLOADER_BATCH_SIZE' }],
  }),
  eventloaderFlushInterval: setting({
    env: 'EVENTKIT_EVENTLOADER_FLUSH_INTERVAL',
    description: 'Seconds after which a partition is flushed however few events it holds.',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: seconds({ min: 0, minExclusive: true }),
    // Locally, events should be queryable within seconds.
    default: (ctx) => (ctx.role === 'dev' ? 1 : str(ctx, 'eventStore') === 'firestore' ? 5 : 60),
    defaultText: '60 (gcs, file); 5 (firestore); dev: 1',
    aliases: [
      { env: 'EVENTKIT_BUFFER_TIMEOUT', note: 'deprecated alias of EVENTKIT_EVENTLOADER_FLUSH_INTERVAL' },
    ],
  }),
  bufferMaxSize: setting({
    env: 'EVENTKIT_BUFFER_MAX_SIZE',
    description:
      'Hard limit of events buffered per partition; when reached the worker stops pulling (backpressure) until a flush.',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: integer(1, 1_000_000),
    // At least one batch, so that raising the batch size alone is enough.
    default: (ctx) => Math.max(1000, Number(ctx.get('eventloaderBatchSize'))),
    defaultText: '1000, or EVENTKIT_EVENTLOADER_BATCH_SIZE when larger (5000 for gcs, file)',
  }),
  eventloaderBatchBytes: setting({
    env: 'EVENTKIT_EVENTLOADER_BATCH_BYTES',
    description:
      'Bytes of events (their JSON) per partition that trigger a flush, whatever their number: bounds the memory of partitions holding large events.',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: bytes(1024, 512 * 1024 * 1024),
    default: 8 * 1024 * 1024,
  }),
  maxDeliveryAttempts: setting({
    env: 'EVENTKIT_MAX_DELIVERY_ATTEMPTS',
    description:
      'Deliveries of one queue message after which the worker stops trying and keeps it whole in the dead-letter store as a processing error (a poison message must not block the subscription).',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: integer(1, 1000),
    default: 5,
  }),
  workerId: setting({
    env: 'EVENTKIT_WORKER_ID',
    description:
      'Name of this worker in the files it writes ({worker}-{uuid}.parquet) and in logs. Default: the host name (the pod name on GKE).',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: text({
      metavar: '<id>',
      expected: '1–64 letters, digits, ".", "_" or "-"',
      pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    }),
    default: () =>
      hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '')
        .slice(0, 64) || 'worker',
    defaultText: 'the host name',
  }),
  metricsPort: setting({
    env: 'EVENTKIT_METRICS_PORT',
    description: 'TCP port of the worker’s /health, /ready and /metrics.',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: integer(1, 65535),
    default: 9090,
  }),
  metricsHost: setting({
    env: 'EVENTKIT_METRICS_HOST',
    description:
      'Interface the worker’s /health, /ready and /metrics server binds: all interfaces for probes and scrapers in a pod; loopback only for the local mode.',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: text({
      metavar: '<host>',
      expected: 'a host name or IP address',
      pattern: /^[A-Za-z0-9.:[\]-]+$/,
    }),
    default: (ctx) => (ctx.role === 'dev' ? '127.0.0.1' : '0.0.0.0'),
    defaultText: '0.0.0.0 (dev: 127.0.0.1)',
  }),
} as const;

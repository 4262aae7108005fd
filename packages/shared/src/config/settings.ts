// The settings table: every configuration variable of every eventkit
// executable, declared once. The loader, the CLI flags, `--help`, the
// `config` command and the README's configuration table are all generated
// from it, so they cannot disagree.
//
// Names, meanings and defaults follow the seed project (the Python eventkit)
// wherever it had the setting; new settings use the EVENTKIT_ prefix.
// Conventions:
// - the flag is the variable's name without `EVENTKIT_`, lower-case, with
//   dashes (`EVENTKIT_RING_BUFFER_DB_PATH` → `--ring-buffer-db-path`,
//   `GCP_PROJECT_ID` → `--gcp-project-id`), and the config key is the flag in
//   camelCase, which is also what commander hands back (`ringBufferDbPath`);
// - durations are seconds (floats allowed, as in the seed), sizes are bytes;
// - an empty variable counts as unset.
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_MAX_BATCH_EVENTS,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
} from '../event/limits.ts';
import {
  baseUrl,
  boolean,
  bytes,
  corsOrigins,
  hostPort,
  integer,
  keyValueMap,
  oneOf,
  type Parser,
  positiveNumber,
  seconds,
  text,
} from './parsers.ts';

/** An executable that loads configuration. `dev` is the local all-in-one mode: it uses every setting. */
export type Role = 'gateway' | 'worker' | 'loader' | 'dev';
export const ROLES: readonly Role[] = ['gateway', 'worker', 'loader', 'dev'];

export type SettingGroup =
  | 'General'
  | 'Google Cloud'
  | 'Gateway HTTP'
  | 'Write-ahead log (ring buffer)'
  | 'Queue'
  | 'Worker (event loader)'
  | 'Warehouse loader'
  | 'Local all-in-one mode';

/** What a computed default can see: other settings (resolved on demand) and the executable. */
export interface DefaultContext {
  readonly role: Role;
  get(key: string): unknown;
}

export type DefaultValue<T> = T | ((ctx: DefaultContext) => T | undefined);

export interface DeprecatedAlias {
  readonly env: string;
  /** Shown in the configuration table. */
  readonly note: string;
}

export interface SettingSpec<T = unknown, R extends Role = Role, O extends boolean = boolean> {
  readonly env: string;
  readonly flag: string;
  readonly description: string;
  readonly group: SettingGroup;
  /** Executables that use the setting; `dev` uses all of them, listed or not. */
  readonly roles: readonly R[];
  readonly parser: Parser<T>;
  /** A value, or a function of other settings; absent means "unset unless given". */
  readonly default: DefaultValue<T> | undefined;
  /** The default as the docs and `--help` show it. */
  readonly defaultText: string;
  /** True when the value may be absent (no default, or a computed one that can be unset). */
  readonly optional: O;
  /** Masked by `redactedConfig`, never echoed in error messages. */
  readonly secret: boolean;
  readonly aliases: readonly DeprecatedAlias[];
}

interface SettingInput<T, R extends Role, O extends boolean> {
  env: string;
  flag?: string;
  description: string;
  group: SettingGroup;
  roles: readonly R[];
  parser: Parser<T>;
  default?: DefaultValue<NoInfer<T>>;
  defaultText?: string;
  optional?: O;
  secret?: boolean;
  aliases?: readonly DeprecatedAlias[];
}

/** `EVENTKIT_RING_BUFFER_DB_PATH` → `--ring-buffer-db-path`. */
export function flagForEnv(env: string): string {
  return `--${env
    .replace(/^EVENTKIT_/, '')
    .toLowerCase()
    .replaceAll('_', '-')}`;
}

/** `--ring-buffer-db-path` → `ringBufferDbPath`, as commander names option values. */
export function keyForFlag(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function setting<T, const R extends Role, O extends boolean = false>(
  input: SettingInput<T, R, O>,
): SettingSpec<T, R, O> {
  const def = input.default;
  let defaultText = input.defaultText;
  if (defaultText === undefined) {
    if (def === undefined) defaultText = '';
    else if (typeof def === 'function') throw new Error(`${input.env}: a computed default needs defaultText`);
    else defaultText = input.parser.format(def as T);
  }
  return {
    env: input.env,
    flag: input.flag ?? flagForEnv(input.env),
    description: input.description,
    group: input.group,
    roles: input.roles,
    parser: input.parser,
    default: def,
    defaultText,
    optional: (input.optional ?? false) as O,
    secret: input.secret ?? false,
    aliases: input.aliases ?? [],
  };
}

const str = (ctx: DefaultContext, key: string): string | undefined => ctx.get(key) as string | undefined;

// BigQuery dataset and table ids (and DuckDB schema/table names): letters,
// digits, underscores. Checked here because they end up inside SQL.
const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,1023}$/;
// Pub/Sub topic and subscription ids.
const PUBSUB_ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
// Source names travel into dedup keys and Firestore document ids.
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const SETTINGS = {
  // ── General ────────────────────────────────────────────────────────────────
  logLevel: setting({
    env: 'EVENTKIT_LOG_LEVEL',
    description:
      'Lowest log level written. The seed spellings (DEBUG, INFO, WARNING, ERROR, CRITICAL) work; silent turns logging off.',
    group: 'General',
    roles: ['gateway', 'worker', 'loader'],
    parser: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      warning: 'warn',
      critical: 'fatal',
    }),
    default: 'info',
  }),
  jsonLogs: setting({
    env: 'EVENTKIT_JSON_LOGS',
    description:
      'One JSON object per line with Cloud Logging keys (severity, message, time) instead of colored human-readable lines.',
    group: 'General',
    roles: ['gateway', 'worker', 'loader'],
    parser: boolean(),
    default: false,
  }),
  dataDir: setting({
    env: 'EVENTKIT_DATA_DIR',
    description:
      'Directory for local state: the gateway WAL, the file event store, dead letters and the DuckDB warehouse (relative paths are from the working directory).',
    group: 'General',
    roles: ['gateway', 'worker', 'loader'],
    parser: text({ metavar: '<dir>', expected: 'a directory path' }),
    default: './.eventkit',
  }),
  shutdownTimeout: setting({
    env: 'EVENTKIT_SHUTDOWN_TIMEOUT',
    description:
      'Seconds a SIGTERM drain may take (publish the WAL, flush partitions, finish a load) before exiting; below the usual 30 s grace period of GKE and Cloud Run.',
    group: 'General',
    roles: ['gateway', 'worker', 'loader'],
    parser: seconds({ min: 0, minExclusive: true }),
    default: 25,
  }),

  // ── Google Cloud ───────────────────────────────────────────────────────────
  gcpProjectId: setting({
    env: 'GCP_PROJECT_ID',
    description:
      'Google Cloud project. Required for Pub/Sub (the gateway and worker), Firestore and BigQuery; not needed by the local mode on its defaults.',
    group: 'Google Cloud',
    roles: ['gateway', 'worker', 'loader'],
    parser: text({ metavar: '<project>', expected: 'a project id', pattern: /^[a-z][a-z0-9:.-]{0,62}$/ }),
    optional: true,
    defaultText: '— (required for Pub/Sub, Firestore, BigQuery)',
  }),
  gcpGcsBucket: setting({
    env: 'GCP_GCS_BUCKET',
    description:
      'GCS bucket for event files and dead letters. Setting it makes gcs the default event store. Required with EVENTKIT_EVENT_STORE=gcs.',
    group: 'Google Cloud',
    roles: ['worker', 'loader'],
    parser: text({
      metavar: '<bucket>',
      expected: 'a bucket name (lower-case letters, digits, -, _ and .)',
      pattern: /^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/,
    }),
    optional: true,
    defaultText: '— (required for gcs)',
  }),
  storagePrefix: setting({
    env: 'EVENTKIT_STORAGE_PREFIX',
    description:
      'Path prefix of the object layout ({prefix}/events/stream=…/date=…/hour=…/, {prefix}/errors/…) in the bucket, or under the data directory for the file store. Empty: at the root.',
    group: 'Google Cloud',
    roles: ['worker', 'loader'],
    parser: text({
      metavar: '<prefix>',
      expected: 'a relative path of letters, digits, -, _, . and / (no leading /, no ..)',
      pattern: /^(?!\/)(?!.*\.\.)[A-Za-z0-9._\-/]+$/,
    }),
    default: '',
    defaultText: '(empty)',
  }),
  gcpBigqueryDataset: setting({
    env: 'GCP_BIGQUERY_DATASET',
    description:
      'BigQuery dataset of the events table; with the DuckDB warehouse, the schema name. Required for BigQuery, as in the seed.',
    group: 'Google Cloud',
    roles: ['loader'],
    parser: text({
      metavar: '<dataset>',
      expected: 'letters, digits and underscores',
      pattern: SQL_IDENTIFIER,
    }),
    default: (ctx) => (str(ctx, 'warehouse') === 'duckdb' ? 'events' : undefined),
    optional: true,
    defaultText: 'events with duckdb; required with bigquery',
  }),
  gcpBigqueryTable: setting({
    env: 'GCP_BIGQUERY_TABLE',
    description: 'Events table (dead letters go to {table}_errors).',
    group: 'Google Cloud',
    roles: ['loader'],
    parser: text({
      metavar: '<table>',
      expected: 'letters, digits and underscores',
      pattern: SQL_IDENTIFIER,
    }),
    default: 'raw_events',
  }),
  gcpBigqueryLocation: setting({
    env: 'GCP_BIGQUERY_LOCATION',
    description:
      'BigQuery location (US, EU, europe-west1, …) of the dataset and of every job. A dataset the loader creates goes there; an existing dataset elsewhere stops the loader. Unset: a new dataset goes to US, an existing one is used where it is.',
    group: 'Google Cloud',
    roles: ['loader'],
    parser: text({
      metavar: '<location>',
      expected: 'a BigQuery location such as US, EU or europe-west1',
      pattern: /^[A-Za-z][A-Za-z0-9-]{1,40}$/,
    }),
    optional: true,
    defaultText: '— (new datasets: US)',
  }),
  firestoreEmulatorHost: setting({
    env: 'FIRESTORE_EMULATOR_HOST',
    description: 'Firestore emulator address (e.g. localhost:8080); unset uses Firestore in the project.',
    group: 'Google Cloud',
    roles: ['worker'],
    parser: hostPort(),
    optional: true,
  }),
  pubsubEmulatorHost: setting({
    env: 'PUBSUB_EMULATOR_HOST',
    description:
      'Pub/Sub emulator address (e.g. localhost:8085); unset uses Pub/Sub in the project. Makes EVENTKIT_PUBSUB_CREATE default to true.',
    group: 'Google Cloud',
    roles: ['gateway', 'worker'],
    parser: hostPort(),
    optional: true,
  }),
  storageEmulatorHost: setting({
    env: 'STORAGE_EMULATOR_HOST',
    description:
      'GCS emulator or test server base URL (e.g. http://localhost:9023; http:// is added to host:port). The adapters pass it to the client as apiEndpoint.',
    group: 'Google Cloud',
    roles: ['worker', 'loader'],
    parser: baseUrl(),
    optional: true,
  }),

  // ── Gateway HTTP ───────────────────────────────────────────────────────────
  host: setting({
    env: 'EVENTKIT_HOST',
    description:
      'Interface the HTTP server binds. All interfaces for the gateway (containers); loopback only for the local mode.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: text({
      metavar: '<host>',
      expected: 'a host name or IP address',
      pattern: /^[A-Za-z0-9.:[\]-]+$/,
    }),
    default: (ctx) => (ctx.role === 'dev' ? '127.0.0.1' : '0.0.0.0'),
    defaultText: '0.0.0.0 (dev: 127.0.0.1)',
  }),
  port: setting({
    env: 'EVENTKIT_PORT',
    description: 'TCP port of the HTTP API (collect, Segment routes, health, ready, metrics).',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: integer(1, 65535),
    default: 8000,
  }),
  writeKeys: setting({
    env: 'EVENTKIT_WRITE_KEYS',
    description:
      'Accepted write keys and the source each stands for: key1=source1,key2=source2. Unset: the gateway is open (as the seed) and events get source "default".',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: keyValueMap({
      expected: 'comma-separated key=source pairs',
      metavar: '<key=source,...>',
      valuePattern: SOURCE_NAME,
      valueExpected: 'source names are 1–64 letters, digits, ".", "_" or "-"',
    }),
    optional: true,
    secret: true,
    defaultText: '— (open: no key needed)',
  }),
  corsOrigins: setting({
    env: 'EVENTKIT_CORS_ORIGINS',
    description: 'Browser origins allowed by CORS: * (any) or a comma-separated list of origins.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: corsOrigins(),
    default: ['*'],
  }),
  maxEventBytes: setting({
    env: 'EVENTKIT_MAX_EVENT_BYTES',
    description: 'Largest event (its JSON in UTF-8) accepted; larger ones are rejected (Segment: 32 KB).',
    group: 'Gateway HTTP',
    roles: ['gateway', 'worker'],
    parser: bytes(256, 10 * 1024 * 1024),
    default: DEFAULT_MAX_EVENT_BYTES,
  }),
  maxRequestBytes: setting({
    env: 'EVENTKIT_MAX_REQUEST_BYTES',
    description:
      'Largest request body after decompression; larger ones get 413 (Segment: 500 KB). Also caps gzip inflation.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: bytes(1024, 64 * 1024 * 1024),
    default: DEFAULT_MAX_REQUEST_BYTES,
  }),
  maxBatchEvents: setting({
    env: 'EVENTKIT_MAX_BATCH_EVENTS',
    description: 'Most events in one request; more get 400 too_many_events (Segment: 2,500).',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: integer(1, 100_000),
    default: DEFAULT_MAX_BATCH_EVENTS,
  }),

  // ── Write-ahead log ────────────────────────────────────────────────────────
  walSync: setting({
    env: 'EVENTKIT_WAL_SYNC',
    description:
      'SQLite synchronous mode of the WAL: full fsyncs before every acknowledgement (survives power loss); normal may lose the last commits on power loss, never on a crash.',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: oneOf(['full', 'normal']),
    default: 'full',
  }),
  ringBufferMode: setting({
    env: 'EVENTKIT_RING_BUFFER_MODE',
    description: 'Ring buffer (WAL) implementation; sqlite is the only one, as in the seed.',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: oneOf(['sqlite']),
    default: 'sqlite',
  }),
  ringBufferDbPath: setting({
    env: 'EVENTKIT_RING_BUFFER_DB_PATH',
    description:
      'SQLite file of the WAL. The seed default eventkit_ring_buffer.db (relative to the working directory) now lives in the data directory.',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: text({ metavar: '<file>', expected: 'a file path' }),
    default: (ctx) => join(str(ctx, 'dataDir') ?? '.', 'eventkit_ring_buffer.db'),
    defaultText: '{EVENTKIT_DATA_DIR}/eventkit_ring_buffer.db',
  }),
  ringBufferMaxSize: setting({
    env: 'EVENTKIT_RING_BUFFER_MAX_SIZE',
    description: 'Published events kept in the WAL (size-based cleanup); pending events are never removed.',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: integer(0),
    default: 100_000,
  }),
  walMaxPendingEvents: setting({
    env: 'EVENTKIT_WAL_MAX_PENDING_EVENTS',
    description:
      'High-water mark of unpublished events in the WAL: above it new events get 429 with Retry-After and /ready turns 503, so the WAL never fills the disk.',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: integer(1),
    default: 1_000_000,
  }),
  walMaxPendingBytes: setting({
    env: 'EVENTKIT_WAL_MAX_PENDING_BYTES',
    description: 'High-water mark of unpublished event bytes in the WAL (same behaviour as the event count).',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: bytes(1024),
    default: 1024 * 1024 * 1024,
  }),
  ringBufferRetentionHours: setting({
    env: 'EVENTKIT_RING_BUFFER_RETENTION_HOURS',
    description: 'Hours a published event is kept in the WAL (time-based cleanup).',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: positiveNumber('hours'),
    default: 24,
  }),
  ringBufferPublisherBatchSize: setting({
    env: 'EVENTKIT_RING_BUFFER_PUBLISHER_BATCH_SIZE',
    description: 'Events the publisher reads from the WAL per batch.',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: integer(1, 100_000),
    default: 100,
  }),
  ringBufferPublisherPollInterval: setting({
    env: 'EVENTKIT_RING_BUFFER_PUBLISHER_POLL_INTERVAL',
    description: 'Seconds between WAL polls when the publisher is idle.',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: seconds({ min: 0, minExclusive: true }),
    default: 0.1,
  }),
  ringBufferCleanupInterval: setting({
    env: 'EVENTKIT_RING_BUFFER_CLEANUP_INTERVAL',
    description: 'Seconds between WAL cleanup runs.',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: seconds({ min: 0, minExclusive: true }),
    default: 3600,
  }),

  // ── Queue ──────────────────────────────────────────────────────────────────
  queueMode: setting({
    env: 'EVENTKIT_QUEUE_MODE',
    description:
      'Local mode only: async is the in-process queue (as in the seed); pubsub goes through Pub/Sub. The separate gateway and worker always use Pub/Sub.',
    group: 'Queue',
    roles: ['dev'],
    parser: oneOf(['async', 'pubsub']),
    default: 'async',
  }),
  asyncWorkers: setting({
    env: 'EVENTKIT_ASYNC_WORKERS',
    description:
      'Kept from the seed for compatibility, with no effect: the in-process worker handles as many envelopes at once as its flow control allows (32), matched to the publisher so full batches flush at once. Setting it logs a warning.',
    group: 'Queue',
    roles: ['dev'],
    parser: integer(1, 1024),
    default: 4,
  }),
  pubsubWorkers: setting({
    env: 'EVENTKIT_PUBSUB_WORKERS',
    description: 'Concurrent Pub/Sub subscriber streams of a worker.',
    group: 'Queue',
    roles: ['worker'],
    parser: integer(1, 1024),
    default: 4,
  }),
  pubsubTopic: setting({
    env: 'EVENTKIT_PUBSUB_TOPIC',
    description: 'Pub/Sub topic between gateway and worker.',
    group: 'Queue',
    roles: ['gateway', 'worker'],
    parser: text({ metavar: '<topic>', expected: 'a Pub/Sub topic id', pattern: PUBSUB_ID }),
    default: 'eventkit-events',
  }),
  pubsubSubscription: setting({
    env: 'EVENTKIT_PUBSUB_SUBSCRIPTION',
    description: 'Pub/Sub subscription the workers pull from.',
    group: 'Queue',
    roles: ['worker'],
    parser: text({ metavar: '<subscription>', expected: 'a Pub/Sub subscription id', pattern: PUBSUB_ID }),
    default: 'eventkit-workers',
  }),
  pubsubMaxMessages: setting({
    env: 'EVENTKIT_PUBSUB_MAX_MESSAGES',
    description:
      'Flow control: most Pub/Sub messages a worker holds unacknowledged (being decoded, buffered or written); it stops pulling at this many. With ~100-event envelopes this bounds the events in memory.',
    group: 'Queue',
    roles: ['worker'],
    parser: integer(1, 100_000),
    default: 500,
  }),
  pubsubMaxBytes: setting({
    env: 'EVENTKIT_PUBSUB_MAX_BYTES',
    description:
      'Flow control: most bytes of Pub/Sub messages (compressed envelopes) a worker holds unacknowledged; it stops pulling at this size. One message larger than this is still taken alone.',
    group: 'Queue',
    roles: ['worker'],
    parser: bytes(64 * 1024, 1024 * 1024 * 1024),
    default: 64 * 1024 * 1024,
  }),
  pubsubCreate: setting({
    env: 'EVENTKIT_PUBSUB_CREATE',
    description: 'Create the topic and subscription when missing.',
    group: 'Queue',
    roles: ['gateway', 'worker'],
    parser: boolean(),
    default: (ctx) => ctx.get('pubsubEmulatorHost') !== undefined,
    defaultText: 'true with PUBSUB_EMULATOR_HOST, else false',
  }),

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
    default: (ctx) => (str(ctx, 'eventStore') === 'firestore' ? 100 : 1000),
    defaultText: '1000 (gcs, file); 100 (firestore)',
    aliases: [{ env: 'EVENTKIT_BUFFER_SIZE', note: 'deprecated alias of EVENTKIT_EVENTLOADER_BATCH_SIZE' }],
  }),
  eventloaderFlushInterval: setting({
    env: 'EVENTKIT_EVENTLOADER_FLUSH_INTERVAL',
    description: 'Seconds after which a partition is flushed however few events it holds.',
    group: 'Worker (event loader)',
    roles: ['worker'],
    parser: seconds({ min: 0, minExclusive: true }),
    default: (ctx) => (str(ctx, 'eventStore') === 'firestore' ? 5 : 60),
    defaultText: '60 (gcs, file); 5 (firestore)',
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
    default: 1000,
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

  // ── Warehouse loader ───────────────────────────────────────────────────────
  warehouse: setting({
    env: 'EVENTKIT_WAREHOUSE',
    description:
      'Warehouse the loader fills: bigquery (loads files from GCS) or duckdb (a local file reading the Parquet files directly).',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: oneOf(['bigquery', 'duckdb']),
    default: (ctx) => (str(ctx, 'eventStore') === 'gcs' ? 'bigquery' : 'duckdb'),
    defaultText: 'bigquery with the gcs event store, else duckdb',
  }),
  warehouseLoaderInterval: setting({
    env: 'EVENTKIT_WAREHOUSE_LOADER_INTERVAL',
    description:
      'Seconds between loader runs in loop mode. The local mode loads every 5 s so events show up within seconds.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: seconds({ min: 0, minExclusive: true }),
    default: (ctx) => (ctx.role === 'dev' ? 5 : 300),
    defaultText: '300 (dev: 5)',
  }),
  warehouseLoaderLease: setting({
    env: 'EVENTKIT_WAREHOUSE_LOADER_LEASE',
    description:
      'Seconds the loader lease lasts without renewal: one loader per dataset and table merges at a time. Renewed every quarter of it while a run lasts; a loader killed while holding it blocks the others at most this long. The local mode uses 15 s, so a restart after a crash loads again soon.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: seconds({ min: 4, max: 3600 }),
    default: (ctx) => (ctx.role === 'dev' ? 15 : 120),
    defaultText: '120 (dev: 15)',
  }),
  dedupWindowDays: setting({
    env: 'EVENTKIT_DEDUP_WINDOW_DAYS',
    description:
      'Days of received_at partitions the merge looks back over to drop events already loaded (same source and message_id).',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: integer(1, 3650),
    default: 7,
  }),
  warehouseLookbackHours: setting({
    env: 'EVENTKIT_WAREHOUSE_LOOKBACK_HOURS',
    description:
      'Hours of folders before the newest loaded one that every loader run lists again, to catch files whose upload finished late; older late files need backfill.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: integer(0, 24 * 31),
    default: 2,
  }),
  localRetentionDays: setting({
    env: 'EVENTKIT_LOCAL_RETENTION_DAYS',
    description:
      'Local event store only (EVENTKIT_DATA_DIR): days after its folder ends that a loaded file is kept before the loader deletes it; never less than EVENTKIT_DEDUP_WINDOW_DAYS plus the look-back; 0 keeps files forever. On GCS a lifecycle rule does this.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: integer(0, 3650),
    default: 8,
  }),
  duckdbPath: setting({
    env: 'EVENTKIT_DUCKDB_PATH',
    description: 'DuckDB database file of the local warehouse.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: text({ metavar: '<file>', expected: 'a file path' }),
    default: (ctx) => join(str(ctx, 'dataDir') ?? '.', 'warehouse.duckdb'),
    defaultText: '{EVENTKIT_DATA_DIR}/warehouse.duckdb',
  }),

  // ── Local all-in-one mode ─────────────────────────────────────────────────
  warehouseEnabled: setting({
    env: 'EVENTKIT_WAREHOUSE_ENABLED',
    description:
      'Local mode: run the warehouse loader in the same process (ignored with the firestore event store, which writes no files).',
    group: 'Local all-in-one mode',
    roles: ['dev'],
    parser: boolean(),
    default: true,
  }),
} as const;

export type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;

type ValueOf<S> =
  S extends SettingSpec<infer T, Role, infer O> ? (O extends true ? T | undefined : T) : never;
type RolesOf<S> = S extends SettingSpec<unknown, infer R, boolean> ? R : never;

/** Keys of the settings an executable uses (`dev`: all of them). */
export type SettingKeyFor<R extends Role> = R extends 'dev'
  ? SettingKey
  : { [K in SettingKey]: R extends RolesOf<Settings[K]> ? K : never }[SettingKey];

/** The typed, frozen configuration of one executable: flat, camelCase keys. */
export type ConfigFor<R extends Role> = { readonly [K in SettingKeyFor<R>]: ValueOf<Settings[K]> };

export type GatewayConfig = ConfigFor<'gateway'>;
export type WorkerConfig = ConfigFor<'worker'>;
export type LoaderConfig = ConfigFor<'loader'>;
export type DevConfig = ConfigFor<'dev'>;
/** Any executable's configuration. */
export type AnyConfig = GatewayConfig | WorkerConfig | LoaderConfig | DevConfig;

/** A setting with its key, as listed for a role. */
export type SettingEntry = SettingSpec<unknown, Role, boolean> & { readonly key: SettingKey };

const ALL: readonly SettingEntry[] = Object.entries(SETTINGS).map(([key, spec]) => ({
  ...(spec as unknown as SettingSpec<unknown, Role, boolean>),
  key: key as SettingKey,
}));

/** Every setting, in table order. */
export function allSettings(): readonly SettingEntry[] {
  return ALL;
}

/** The settings an executable reads, in table order. `dev` reads all. */
export function settingsFor(role: Role): readonly SettingEntry[] {
  return role === 'dev' ? ALL : ALL.filter((s) => (s.roles as readonly Role[]).includes(role));
}

/** The roles that read a setting, `dev` included. */
export function rolesOf(entry: Pick<SettingEntry, 'roles'>): readonly Role[] {
  const listed = entry.roles as readonly Role[];
  return ROLES.filter((r) => r === 'dev' || listed.includes(r));
}

// Which settings each part of eventkit reads. A command names the parts it
// uses (`eventkit-worker dlq list`: logging and the event store) and gets
// exactly their settings: as flags (so its --help lists what it reads and
// nothing else) and in the checks of its configuration (a rule about a part
// it does not use never refuses it, rules.ts). A role's main command (serve,
// run) uses every part of the role.
//
// Groups (settings/define.ts) order the configuration table and --help; parts
// say who reads what, and are finer: the worker group holds both the batching
// that `run` reads and the metrics port that `dlq list` does not.
import { type Role, type SettingEntry, type SettingKey, settingsFor } from './settings.ts';

export const SETTING_PARTS = {
  /** The logger (every command that logs, if only configuration warnings). */
  logging: ['logLevel', 'jsonLogs'],
  /** How long a drain may take (serve, run, wal drain). */
  shutdown: ['shutdownTimeout'],
  /** The gateway's HTTP API: listener, write keys, CORS, request limits. */
  http: [
    'host',
    'port',
    'adminPort',
    'writeKeys',
    'corsOrigins',
    'trustedProxyHops',
    'ipCapture',
    'maxEventBytes',
    'maxRequestBytes',
    'maxBatchEvents',
  ],
  /** The live events page (/live) and whether it shows payloads. */
  liveEvents: ['liveEvents', 'liveEventsPayloads'],
  /** Where the WAL file is (enough to read it: wal status, wal inspect). */
  walFile: ['dataDir', 'ringBufferDbPath'],
  /** Writing the WAL. */
  wal: ['walSync', 'ringBufferMode'],
  /** The WAL's high-water marks and cleanup, while serving. */
  walUpkeep: [
    'walMaxPendingEvents',
    'walMaxPendingBytes',
    'ringBufferMaxSize',
    'ringBufferRetentionHours',
    'ringBufferCleanupInterval',
  ],
  /** The WAL relay: WAL rows to the queue. */
  relay: ['ringBufferPublisherBatchSize', 'ringBufferPublisherPollInterval'],
  /** Pub/Sub and its topic (publishing, and the topic a subscription hangs on). */
  pubsub: ['gcpProjectId', 'pubsubEmulatorHost', 'pubsubTopic', 'pubsubCreate'],
  /** Pulling from the subscription, with flow control. */
  subscription: ['pubsubSubscription', 'pubsubWorkers', 'pubsubMaxMessages', 'pubsubMaxBytes'],
  /** The event store and its dead letters: a bucket, the data directory, or Firestore. */
  eventStore: [
    'eventStore',
    'dataDir',
    'storagePrefix',
    'gcpProjectId',
    'gcpGcsBucket',
    'storageEmulatorHost',
    'firestoreEmulatorHost',
  ],
  /** The name files and ledgers written by this worker carry. */
  workerId: ['workerId'],
  /** The worker's processing: re-validation, partitions, batches, poison messages. */
  batching: [
    'maxEventBytes',
    'partitions',
    'eventloaderBatchSize',
    'eventloaderFlushInterval',
    'bufferMaxSize',
    'eventloaderBatchBytes',
    'maxDeliveryAttempts',
  ],
  /** The worker's /health, /ready and /metrics server. */
  opsServer: ['metricsPort', 'metricsHost'],
  /** Which warehouse, and the DuckDB file (enough to query it). */
  warehouse: ['warehouse', 'dataDir', 'duckdbPath'],
  /** The table loaded into (BigQuery, or the DuckDB schema and table). */
  warehouseTable: ['gcpProjectId', 'gcpBigqueryDataset', 'gcpBigqueryTable', 'gcpBigqueryLocation'],
  /** How the loader loads: its lease, dedup window, look-back and the data directory's retention. */
  loads: ['warehouseLoaderLease', 'dedupWindowDays', 'warehouseLookbackHours', 'localRetentionDays'],
  /** The loader's loop. */
  loop: ['warehouseLoaderInterval'],
  /** The local all-in-one mode's own switches. */
  local: ['queueMode', 'asyncWorkers', 'warehouseEnabled'],
} as const satisfies Record<string, readonly SettingKey[]>;

export type SettingPart = keyof typeof SETTING_PARTS;

export const ALL_PARTS = Object.keys(SETTING_PARTS) as readonly SettingPart[];

/** The settings of these parts (every setting when `parts` is absent). */
export function keysOfParts(parts: readonly SettingPart[] | undefined): ReadonlySet<SettingKey> {
  const used = parts ?? ALL_PARTS;
  return new Set(used.flatMap((p) => SETTING_PARTS[p]));
}

/** The settings `role` reads for a command using `parts` (all of the role's when absent), in table order. */
export function settingsUsed(role: Role, parts?: readonly SettingPart[]): readonly SettingEntry[] {
  const all = settingsFor(role);
  if (!parts) return all;
  const keys = keysOfParts(parts);
  return all.filter((s) => keys.has(s.key));
}

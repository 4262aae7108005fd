// What the gateway needs to know, in its own words and units (milliseconds,
// counts, bytes), so that it can be built from the gateway's configuration
// (compose.ts, the wal commands) or by the local all-in-one mode. The
// configuration keeps the seed's names, EVENTKIT_RING_BUFFER_* for the WAL and
// "publisher" for the WAL relay; they are mapped once, here.
import type { GatewayConfig } from '@eventkit/shared/config';
import type { Enrichment } from './http/types.ts';

export interface GatewaySettings {
  /** The WAL's SQLite file (EVENTKIT_RING_BUFFER_DB_PATH). */
  walPath: string;
  /** SQLite synchronous mode of the WAL (EVENTKIT_WAL_SYNC). */
  walSync: GatewayConfig['walSync'];
  /** High-water marks of unpublished events and bytes: 429 above them (EVENTKIT_WAL_MAX_PENDING_*). */
  walMaxPendingEvents: number;
  walMaxPendingBytes: number;
  /** Published rows kept, by count and by age (EVENTKIT_RING_BUFFER_MAX_SIZE, _RETENTION_HOURS). */
  walMaxPublished: number;
  walRetentionMs: number;
  /** Between two cleanups of published rows (EVENTKIT_RING_BUFFER_CLEANUP_INTERVAL). */
  walCleanupIntervalMs: number;
  /** Events per envelope the relay reads and publishes (EVENTKIT_RING_BUFFER_PUBLISHER_BATCH_SIZE). */
  relayBatchSize: number;
  /** The idle relay's poll interval (EVENTKIT_RING_BUFFER_PUBLISHER_POLL_INTERVAL). */
  relayPollIntervalMs: number;
  /** Request limits (EVENTKIT_MAX_EVENT_BYTES, EVENTKIT_MAX_REQUEST_BYTES, EVENTKIT_MAX_BATCH_EVENTS). */
  maxEventBytes: number;
  maxRequestBytes: number;
  maxBatchEvents: number;
  corsOrigins: readonly string[];
  /** Server-side enrichment (EVENTKIT_TRUSTED_PROXY_HOPS, EVENTKIT_IP_CAPTURE). */
  enrichment: Enrichment;
  /** A second listener for /metrics and the probes (EVENTKIT_ADMIN_PORT); absent: all on the public port. */
  adminPort?: number | undefined;
  /** The project of the trace field in log lines (GCP_PROJECT_ID). */
  traceProject?: string | undefined;
  /** Write key → source; absent: open (EVENTKIT_WRITE_KEYS). */
  writeKeys: Readonly<Record<string, string>> | undefined;
  /**
   * The live events page (EVENTKIT_LIVE_EVENTS, _PAYLOADS); absent: off.
   * `publicPort`: served on the public listener when there is no admin one
   * (eventkit-dev, on loopback); the gateway serves it on its admin port only.
   */
  liveEvents?: { payloads: boolean; publicPort: boolean } | undefined;
}

/** The configuration settings the gateway is built from. */
export type GatewaySettingsConfig = Pick<
  GatewayConfig,
  | 'ringBufferDbPath'
  | 'walSync'
  | 'walMaxPendingEvents'
  | 'walMaxPendingBytes'
  | 'ringBufferMaxSize'
  | 'ringBufferRetentionHours'
  | 'ringBufferCleanupInterval'
  | 'ringBufferPublisherBatchSize'
  | 'ringBufferPublisherPollInterval'
  | 'maxEventBytes'
  | 'maxRequestBytes'
  | 'maxBatchEvents'
  | 'corsOrigins'
  | 'trustedProxyHops'
  | 'adminPort'
  | 'gcpProjectId'
  | 'ipCapture'
  | 'writeKeys'
  | 'liveEvents'
  | 'liveEventsPayloads'
>;

/** The gateway settings from the gateway's configuration. */
export function gatewaySettingsFromConfig(config: GatewaySettingsConfig): GatewaySettings {
  return {
    walPath: config.ringBufferDbPath,
    walSync: config.walSync,
    walMaxPendingEvents: config.walMaxPendingEvents,
    walMaxPendingBytes: config.walMaxPendingBytes,
    walMaxPublished: config.ringBufferMaxSize,
    walRetentionMs: config.ringBufferRetentionHours * 3_600_000,
    walCleanupIntervalMs: config.ringBufferCleanupInterval * 1000,
    relayBatchSize: config.ringBufferPublisherBatchSize,
    relayPollIntervalMs: config.ringBufferPublisherPollInterval * 1000,
    maxEventBytes: config.maxEventBytes,
    maxRequestBytes: config.maxRequestBytes,
    maxBatchEvents: config.maxBatchEvents,
    corsOrigins: config.corsOrigins,
    enrichment: { trustedProxyHops: config.trustedProxyHops, ipCapture: config.ipCapture },
    adminPort: config.adminPort,
    traceProject: config.gcpProjectId,
    writeKeys: config.writeKeys,
    liveEvents: config.liveEvents ? { payloads: config.liveEventsPayloads, publicPort: false } : undefined,
  };
}

// The gateway's Prometheus metrics. Label values are bounded sets (route
// patterns, status codes, reason codes), never user input such as stream names.
import {
  defineCounter,
  defineGauge,
  defineHistogram,
  LATENCY_BUCKETS_SECONDS,
  type Registry,
  SIZE_BUCKETS,
} from '@eventkit/shared/metrics';

export interface WalGauges {
  pendingCount(): number;
  pendingBytes(): number;
  oldestPendingAgeSeconds(): number;
}

export function createGatewayMetrics(registry: Registry, wal?: WalGauges) {
  return {
    requests: defineCounter(registry, {
      name: 'eventkit_gateway_requests_total',
      help: 'HTTP requests by route pattern and status code',
      labelNames: ['route', 'status'],
    }),
    requestDuration: defineHistogram(registry, {
      name: 'eventkit_gateway_request_duration_seconds',
      help: 'HTTP request latency by route pattern',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS_SECONDS,
    }),
    eventsAccepted: defineCounter(registry, {
      name: 'eventkit_gateway_events_accepted_total',
      help: 'Events written to the WAL',
    }),
    eventsRejected: defineCounter(registry, {
      name: 'eventkit_gateway_events_rejected_total',
      help: 'Events refused by validation (kept as dead letters), by reason code',
      labelNames: ['code'],
    }),
    walPendingEvents: defineGauge(registry, {
      name: 'eventkit_gateway_wal_pending_events',
      help: 'Events in the WAL not yet published',
      ...(wal ? { collect: (g) => g.set(wal.pendingCount()) } : {}),
    }),
    walPendingBytes: defineGauge(registry, {
      name: 'eventkit_gateway_wal_pending_bytes',
      help: 'Payload bytes in the WAL not yet published',
      ...(wal ? { collect: (g) => g.set(wal.pendingBytes()) } : {}),
    }),
    walOldestPendingAge: defineGauge(registry, {
      name: 'eventkit_gateway_wal_oldest_pending_age_seconds',
      help: 'Age of the oldest unpublished WAL row',
      ...(wal ? { collect: (g) => g.set(wal.oldestPendingAgeSeconds()) } : {}),
    }),
    groupCommitRows: defineHistogram(registry, {
      name: 'eventkit_gateway_wal_group_commit_rows',
      help: 'Rows per WAL commit (group commit size)',
      buckets: SIZE_BUCKETS,
    }),
    groupCommitDuration: defineHistogram(registry, {
      name: 'eventkit_gateway_wal_commit_duration_seconds',
      help: 'Duration of one WAL commit, fsync included',
      buckets: LATENCY_BUCKETS_SECONDS,
    }),
    publishDuration: defineHistogram(registry, {
      name: 'eventkit_gateway_publish_duration_seconds',
      help: 'Latency of one envelope publish, until the queue confirmed it',
      buckets: LATENCY_BUCKETS_SECONDS,
    }),
    publishFailures: defineCounter(registry, {
      name: 'eventkit_gateway_publish_failures_total',
      help: 'Failed publish attempts (each is retried with backoff)',
    }),
    publishRefused: defineCounter(registry, {
      name: 'eventkit_gateway_publish_refused_total',
      help: 'Events the queue refused for good (too large for a message): sent to the dead-letter stream instead',
    }),
    eventsPublished: defineCounter(registry, {
      name: 'eventkit_gateway_events_published_total',
      help: 'Events the queue durably accepted',
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

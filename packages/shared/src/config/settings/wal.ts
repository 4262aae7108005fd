import { join } from 'node:path';
import { setting, str } from './define.ts';
import { bytes, integer, oneOf, positiveNumber, seconds, text } from './parsers.ts';

export const WAL_SETTINGS = {
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
      'High-water mark of unpublished events in the WAL: above it new events get 429 with Retry-After (and /ready stays 200: the 429 says overload), so the WAL never fills the disk.',
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
    description: 'Events per envelope the WAL relay (the seed’s publisher) publishes from the WAL.',
    group: 'Write-ahead log (ring buffer)',
    roles: ['gateway'],
    parser: integer(1, 100_000),
    default: 100,
  }),
  ringBufferPublisherPollInterval: setting({
    env: 'EVENTKIT_RING_BUFFER_PUBLISHER_POLL_INTERVAL',
    description: 'Seconds between WAL polls when the WAL relay (the seed’s publisher) is idle.',
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
} as const;

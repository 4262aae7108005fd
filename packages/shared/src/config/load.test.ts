import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { ConfigError } from './errors.ts';
import { loadConfig, loadDevConfig, loadGatewayConfig, loadLoaderConfig, loadWorkerConfig } from './load.ts';
import { REDACTED, redactedConfig } from './redact.ts';

const PROJECT = { GCP_PROJECT_ID: 'test-project' };

/** Runs `fn`, expecting a ConfigError; returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/, 'a ConfigError is one line');
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('defaults (the seed’s, where it had the setting)', () => {
  test('the local mode starts on an empty environment', () => {
    const { config, warnings } = loadDevConfig({});
    assert.deepEqual(warnings, []);
    assert.equal(config.port, 8000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, './.eventkit');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.jsonLogs, false);
    assert.equal(config.eventStore, 'file');
    assert.equal(config.queueMode, 'async');
    assert.equal(config.asyncWorkers, 4);
    assert.equal(config.pubsubWorkers, 4);
    assert.equal(config.warehouse, 'duckdb');
    assert.equal(config.warehouseEnabled, true);
    assert.equal(config.warehouseLoaderInterval, 5);
    // What `eventkit-dev config` prints is what the local mode runs with (it printed 60 and ran 1).
    assert.equal(config.eventloaderFlushInterval, 1);
    assert.equal(config.gcpBigqueryDataset, 'events');
    assert.equal(config.gcpBigqueryTable, 'raw_events');
    assert.equal(config.ringBufferDbPath, '.eventkit/eventkit_ring_buffer.db');
    assert.equal(config.duckdbPath, '.eventkit/warehouse.duckdb');
    assert.equal(config.writeKeys, undefined);
    assert.equal(config.gcpProjectId, undefined);
  });

  test('the gateway keeps the seed’s ring buffer numbers and Segment’s limits', () => {
    const { config } = loadGatewayConfig(PROJECT);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.ringBufferMode, 'sqlite');
    assert.equal(config.ringBufferMaxSize, 100_000);
    assert.equal(config.ringBufferRetentionHours, 24);
    assert.equal(config.ringBufferPublisherBatchSize, 100);
    assert.equal(config.ringBufferPublisherPollInterval, 0.1);
    assert.equal(config.ringBufferCleanupInterval, 3600);
    assert.equal(config.walSync, 'full');
    assert.equal(config.maxEventBytes, 32 * 1024);
    assert.equal(config.maxRequestBytes, 500 * 1024);
    assert.equal(config.maxBatchEvents, 2500);
    assert.deepEqual(config.corsOrigins, ['*']);
    assert.equal(config.pubsubTopic, 'eventkit-events');
    assert.equal(config.pubsubCreate, false);
  });

  test('the worker and loader defaults', () => {
    const w = loadWorkerConfig(PROJECT).config;
    assert.equal(w.pubsubSubscription, 'eventkit-workers');
    assert.equal(w.partitions, 16);
    assert.equal(w.metricsPort, 9090);
    assert.equal(w.eventloaderBatchSize, 5000);
    assert.equal(w.bufferMaxSize, 5000);
    const firestore = loadWorkerConfig({ ...PROJECT, EVENTKIT_EVENT_STORE: 'firestore' }).config;
    assert.equal(firestore.eventloaderBatchSize, 100);
    assert.equal(firestore.bufferMaxSize, 1000);
    assert.equal(w.eventloaderFlushInterval, 60);
    assert.equal(
      loadWorkerConfig({ ...PROJECT, EVENTKIT_EVENT_STORE: 'firestore' }).config.eventloaderFlushInterval,
      5,
    );
    assert.equal(
      loadDevConfig({ EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '30' }).config.eventloaderFlushInterval,
      30,
    );
    const l = loadLoaderConfig({}).config;
    assert.equal(l.warehouseLoaderInterval, 300);
    assert.equal(l.dedupWindowDays, 7);
  });

  test('the ring buffer file and the DuckDB file follow EVENTKIT_DATA_DIR', () => {
    const { config } = loadDevConfig({ EVENTKIT_DATA_DIR: '/var/lib/eventkit' });
    assert.equal(config.ringBufferDbPath, '/var/lib/eventkit/eventkit_ring_buffer.db');
    assert.equal(config.duckdbPath, '/var/lib/eventkit/warehouse.duckdb');
  });

  test('an empty variable counts as unset', () => {
    assert.equal(loadDevConfig({ EVENTKIT_PORT: '', GCP_GCS_BUCKET: '  ' }).config.port, 8000);
    assert.equal(loadDevConfig({ GCP_GCS_BUCKET: '' }).config.eventStore, 'file');
  });

  test('the live events page: on in the local mode, opt-in on the gateway; payloads hidden in both', () => {
    assert.equal(loadDevConfig({}).config.liveEvents, true);
    assert.equal(loadDevConfig({}).config.liveEventsPayloads, false);
    assert.equal(loadGatewayConfig(PROJECT).config.liveEvents, false);
    assert.equal(loadGatewayConfig(PROJECT).config.liveEventsPayloads, false);
    assert.equal(loadGatewayConfig({ ...PROJECT, EVENTKIT_LIVE_EVENTS: 'true' }).config.liveEvents, true);
    assert.equal(loadDevConfig({ EVENTKIT_LIVE_EVENTS: '0' }).config.liveEvents, false);
  });
});

describe('adaptive defaults', () => {
  test('a bucket makes gcs the event store and BigQuery the warehouse', () => {
    const { config } = loadLoaderConfig({
      ...PROJECT,
      GCP_GCS_BUCKET: 'test-events',
      GCP_BIGQUERY_DATASET: 'ds',
    });
    assert.equal(config.eventStore, 'gcs');
    assert.equal(config.warehouse, 'bigquery');
  });

  test('the event loader batches 5000 / 60 s for gcs and file, 100 / 5 s for firestore', () => {
    const file = loadWorkerConfig(PROJECT).config;
    assert.equal(file.eventStore, 'file');
    assert.deepEqual([file.eventloaderBatchSize, file.eventloaderFlushInterval], [5000, 60]);
    const gcs = loadWorkerConfig({ ...PROJECT, GCP_GCS_BUCKET: 'test-events' }).config;
    assert.deepEqual([gcs.eventloaderBatchSize, gcs.eventloaderFlushInterval], [5000, 60]);
    const fs = loadWorkerConfig({ ...PROJECT, EVENTKIT_EVENT_STORE: 'firestore' }).config;
    assert.deepEqual([fs.eventloaderBatchSize, fs.eventloaderFlushInterval], [100, 5]);
  });

  test('the Pub/Sub emulator turns on topic creation', () => {
    const { config } = loadGatewayConfig({ ...PROJECT, PUBSUB_EMULATOR_HOST: 'localhost:8085' });
    assert.equal(config.pubsubCreate, true);
    const off = loadGatewayConfig({
      ...PROJECT,
      PUBSUB_EMULATOR_HOST: 'localhost:8085',
      EVENTKIT_PUBSUB_CREATE: '0',
    });
    assert.equal(off.config.pubsubCreate, false);
  });
});

describe('deprecated aliases', () => {
  test('EVENTKIT_BUFFER_SIZE and EVENTKIT_BUFFER_TIMEOUT still work, with a warning each', () => {
    const { config, warnings, sources } = loadWorkerConfig({
      ...PROJECT,
      EVENTKIT_BUFFER_SIZE: '250',
      EVENTKIT_BUFFER_TIMEOUT: '2.5',
    });
    assert.equal(config.eventloaderBatchSize, 250);
    assert.equal(config.eventloaderFlushInterval, 2.5);
    assert.equal(sources.eventloaderBatchSize, 'alias');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /EVENTKIT_BUFFER_SIZE is deprecated; use EVENTKIT_EVENTLOADER_BATCH_SIZE/);
    assert.match(
      warnings[1]!,
      /EVENTKIT_BUFFER_TIMEOUT is deprecated; use EVENTKIT_EVENTLOADER_FLUSH_INTERVAL/,
    );
  });

  test('the new name wins over the alias, and the warning says the alias is ignored', () => {
    const { config, warnings } = loadWorkerConfig({
      ...PROJECT,
      EVENTKIT_BUFFER_SIZE: '250',
      EVENTKIT_EVENTLOADER_BATCH_SIZE: '500',
    });
    assert.equal(config.eventloaderBatchSize, 500);
    assert.match(warnings[0]!, /EVENTKIT_BUFFER_SIZE is deprecated and ignored/);
  });

  test('a bad alias value names the alias', () => {
    const err = configError(() => loadWorkerConfig({ ...PROJECT, EVENTKIT_BUFFER_SIZE: 'lots' }));
    assert.equal(err.variable, 'EVENTKIT_BUFFER_SIZE');
    assert.match(
      err.message,
      /^EVENTKIT_BUFFER_SIZE: deprecated alias of EVENTKIT_EVENTLOADER_BATCH_SIZE: expected/,
    );
  });

  test('EVENTKIT_BUFFER_MAX_SIZE is a setting of its own, not deprecated', () => {
    const { config, warnings } = loadWorkerConfig({ ...PROJECT, EVENTKIT_BUFFER_MAX_SIZE: '5000' });
    assert.equal(config.bufferMaxSize, 5000);
    assert.deepEqual(warnings, []);
  });
});

describe('flags override the environment', () => {
  test('a flag beats its variable, and booleans given bare mean true', () => {
    const { config, sources } = loadGatewayConfig(
      { ...PROJECT, EVENTKIT_PORT: '8000', EVENTKIT_JSON_LOGS: 'false' },
      { port: '9000', jsonLogs: true },
    );
    assert.equal(config.port, 9000);
    assert.equal(config.jsonLogs, true);
    assert.equal(sources.port, 'flag');
    assert.equal(sources.gcpProjectId, 'env');
  });

  test('a flag beats a deprecated alias too, silently for the flag', () => {
    const { config } = loadWorkerConfig(
      { ...PROJECT, EVENTKIT_BUFFER_SIZE: '250' },
      { eventloaderBatchSize: '700' },
    );
    assert.equal(config.eventloaderBatchSize, 700);
  });

  test('a bad flag value is reported with the variable and the flag', () => {
    const err = configError(() => loadGatewayConfig(PROJECT, { port: 'http' }));
    assert.equal(err.message, 'EVENTKIT_PORT (--port): expected an integer from 1 to 65535, got "http"');
  });

  test('option values that are not settings (like --json) are ignored', () => {
    assert.equal(loadGatewayConfig(PROJECT, { json: true }).config.port, 8000);
  });
});

describe('errors name the variable, the flag and what was expected', () => {
  test('the example from the house style', () => {
    const err = configError(() => loadGatewayConfig({ ...PROJECT, EVENTKIT_PORT: 'abc' }));
    assert.equal(err.message, 'EVENTKIT_PORT (--port): expected an integer from 1 to 65535, got "abc"');
    assert.equal(err.variable, 'EVENTKIT_PORT');
    assert.equal(err.flag, '--port');
  });

  test('values with newlines stay on one line', () => {
    const err = configError(() => loadDevConfig({ EVENTKIT_LOG_LEVEL: 'loud\nand clear' }));
    assert.match(err.message, /^EVENTKIT_LOG_LEVEL \(--log-level\): expected one of trace, debug/);
    assert.match(err.message, /got "loud\\nand clear"$/);
  });

  test('a malformed write key list never echoes the keys', () => {
    const err = configError(() => loadGatewayConfig({ ...PROJECT, EVENTKIT_WRITE_KEYS: 'sekrit-key' }));
    assert.equal(err.variable, 'EVENTKIT_WRITE_KEYS');
    assert.doesNotMatch(err.message, /sekrit/);
    assert.match(err.message, /entry 1 has no "="/);
  });

  test('every malformed setting of the dev role fails with its own name', () => {
    const bad: Record<string, string> = {
      EVENTKIT_JSON_LOGS: 'yes',
      EVENTKIT_SHUTDOWN_TIMEOUT: '0',
      EVENTKIT_QUEUE_MODE: 'kafka',
      EVENTKIT_EVENT_STORE: 's3',
      EVENTKIT_WAREHOUSE: 'snowflake',
      EVENTKIT_PARTITIONS: '0',
      EVENTKIT_DEDUP_WINDOW_DAYS: '-3',
      EVENTKIT_RING_BUFFER_MODE: 'redis',
      EVENTKIT_WAL_SYNC: 'off',
      EVENTKIT_CORS_ORIGINS: 'example.com',
      EVENTKIT_MAX_EVENT_BYTES: '32gb',
      GCP_BIGQUERY_TABLE: 'raw-events; drop table x',
      PUBSUB_EMULATOR_HOST: 'localhost',
      EVENTKIT_LIVE_EVENTS: 'on',
      EVENTKIT_LIVE_EVENTS_PAYLOADS: 'yes',
    };
    for (const [name, raw] of Object.entries(bad)) {
      const err = configError(() => loadDevConfig({ [name]: raw }));
      assert.equal(err.variable, name);
      assert.ok(err.message.startsWith(`${name} (--`), err.message);
    }
  });
});

describe('rules between settings fail fast', () => {
  test('gcs event store without a bucket', () => {
    const err = configError(() => loadWorkerConfig({ ...PROJECT, EVENTKIT_EVENT_STORE: 'gcs' }));
    assert.equal(
      err.message,
      'GCP_GCS_BUCKET (--gcp-gcs-bucket): required when EVENTKIT_EVENT_STORE is "gcs"',
    );
  });

  test('the duckdb warehouse with the gcs event store: a warning at start, naming the fix', () => {
    const gcs = { GCP_GCS_BUCKET: 'events-bucket', EVENTKIT_EVENT_STORE: 'gcs' };
    const { warnings } = loadLoaderConfig({ ...gcs, EVENTKIT_WAREHOUSE: 'duckdb' });
    assert.ok(
      warnings.some((w) => /EVENTKIT_WAREHOUSE=duckdb .* every load will fail; use "bigquery"/.test(w)),
      warnings.join('\n'),
    );
    // Its neighbours say nothing: duckdb on files, bigquery on gcs.
    assert.deepEqual(loadLoaderConfig({ EVENTKIT_WAREHOUSE: 'duckdb' }).warnings, []);
    const bq = loadLoaderConfig({ ...gcs, GCP_PROJECT_ID: 'p', GCP_BIGQUERY_DATASET: 'd' });
    assert.equal(bq.config.warehouse, 'bigquery');
    assert.deepEqual(bq.warnings, []);
  });

  test('firestore without a project', () => {
    const err = configError(() => loadDevConfig({ EVENTKIT_EVENT_STORE: 'firestore' }));
    assert.equal(err.variable, 'GCP_PROJECT_ID');
    assert.match(err.message, /required when EVENTKIT_EVENT_STORE is "firestore"/);
  });

  test('Pub/Sub without a project: the gateway and worker always, dev in pubsub mode', () => {
    assert.equal(configError(() => loadGatewayConfig({})).variable, 'GCP_PROJECT_ID');
    assert.equal(configError(() => loadWorkerConfig({})).variable, 'GCP_PROJECT_ID');
    const dev = configError(() => loadDevConfig({ EVENTKIT_QUEUE_MODE: 'pubsub' }));
    assert.match(
      dev.message,
      /^GCP_PROJECT_ID \(--gcp-project-id\): required when EVENTKIT_QUEUE_MODE is "pubsub"/,
    );
  });

  test('BigQuery needs GCS files, a project and a dataset', () => {
    const noGcs = configError(() => loadLoaderConfig({ ...PROJECT, EVENTKIT_WAREHOUSE: 'bigquery' }));
    assert.equal(noGcs.variable, 'EVENTKIT_WAREHOUSE');
    const noDataset = configError(() => loadLoaderConfig({ ...PROJECT, GCP_GCS_BUCKET: 'test-events' }));
    assert.equal(noDataset.variable, 'GCP_BIGQUERY_DATASET');
    const noProject = configError(() =>
      loadLoaderConfig({ GCP_GCS_BUCKET: 'test-events', GCP_BIGQUERY_DATASET: 'events' }),
    );
    assert.equal(noProject.variable, 'GCP_PROJECT_ID');
  });

  test('the loader has no files to load from firestore; dev only warns and skips the loader', () => {
    const err = configError(() => loadLoaderConfig({ ...PROJECT, EVENTKIT_EVENT_STORE: 'firestore' }));
    assert.equal(err.variable, 'EVENTKIT_EVENT_STORE');
    const { warnings } = loadDevConfig({ ...PROJECT, EVENTKIT_EVENT_STORE: 'firestore' });
    assert.match(warnings[0]!, /EVENTKIT_WAREHOUSE_ENABLED is ignored with EVENTKIT_EVENT_STORE=firestore/);
    assert.deepEqual(
      loadDevConfig({ ...PROJECT, EVENTKIT_EVENT_STORE: 'firestore', EVENTKIT_WAREHOUSE_ENABLED: 'false' })
        .warnings,
      [],
    );
  });

  test('a batch larger than the per-partition hard limit', () => {
    const err = configError(() =>
      loadWorkerConfig({
        ...PROJECT,
        EVENTKIT_EVENTLOADER_BATCH_SIZE: '5001',
        EVENTKIT_BUFFER_MAX_SIZE: '5000',
      }),
    );
    assert.equal(err.variable, 'EVENTKIT_EVENTLOADER_BATCH_SIZE');
    assert.match(err.message, /EVENTKIT_BUFFER_MAX_SIZE=5000/);
    assert.doesNotThrow(() =>
      loadWorkerConfig({
        ...PROJECT,
        EVENTKIT_EVENTLOADER_BATCH_SIZE: '5000',
        EVENTKIT_BUFFER_MAX_SIZE: '5000',
      }),
    );
    // Unset, the hard limit follows the batch size.
    const { config } = loadWorkerConfig({ ...PROJECT, EVENTKIT_EVENTLOADER_BATCH_SIZE: '20000' });
    assert.equal(config.bufferMaxSize, 20000);
  });

  test('an event limit larger than the request limit', () => {
    const err = configError(() => loadGatewayConfig({ ...PROJECT, EVENTKIT_MAX_EVENT_BYTES: '1mb' }));
    assert.equal(err.variable, 'EVENTKIT_MAX_EVENT_BYTES');
  });

  test('the seed’s three cloud options load', () => {
    const emulators = { ...PROJECT, FIRESTORE_EMULATOR_HOST: 'localhost:8080' };
    const a = loadDevConfig({
      STORAGE_EMULATOR_HOST: 'http://localhost:9023',
      ...PROJECT,
      GCP_GCS_BUCKET: 'test-events',
      GCP_BIGQUERY_DATASET: 'events',
      GCP_BIGQUERY_TABLE: 'raw_events',
      EVENTKIT_EVENT_STORE: 'gcs',
      EVENTKIT_WAREHOUSE_ENABLED: 'true',
      EVENTKIT_QUEUE_MODE: 'async',
      EVENTKIT_ASYNC_WORKERS: '4',
      EVENTKIT_RING_BUFFER_DB_PATH: './eventkit_ring_buffer.db',
    });
    assert.equal(a.config.warehouse, 'bigquery');
    assert.equal(a.config.ringBufferDbPath, './eventkit_ring_buffer.db');
    const b = loadDevConfig({
      ...emulators,
      EVENTKIT_EVENT_STORE: 'firestore',
      EVENTKIT_QUEUE_MODE: 'async',
    });
    assert.equal(b.config.eventloaderBatchSize, 100);
    const c = loadDevConfig({
      ...emulators,
      PUBSUB_EMULATOR_HOST: 'localhost:8085',
      EVENTKIT_EVENT_STORE: 'firestore',
      EVENTKIT_QUEUE_MODE: 'pubsub',
      EVENTKIT_PUBSUB_WORKERS: '4',
    });
    assert.equal(c.config.pubsubCreate, true);
  });
});

describe('the loaded configuration', () => {
  test('is frozen, nested values included', () => {
    const { config } = loadGatewayConfig({ ...PROJECT, EVENTKIT_WRITE_KEYS: 'k1=web' });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.corsOrigins));
    assert.ok(Object.isFrozen(config.writeKeys));
  });

  test('holds only the settings of its role', () => {
    const gateway = loadGatewayConfig(PROJECT).config as object;
    assert.ok(!('eventStore' in gateway));
    assert.ok(!('warehouse' in gateway));
    const loader = loadLoaderConfig({}).config as object;
    assert.ok(!('port' in loader));
    assert.ok(!('writeKeys' in loader));
  });

  test('redactedConfig masks write keys and keeps their absence visible', () => {
    const { config } = loadGatewayConfig({
      ...PROJECT,
      EVENTKIT_WRITE_KEYS: 'wk_live_123=web,wk_live_456=server',
    });
    assert.deepEqual({ ...config.writeKeys }, { wk_live_123: 'web', wk_live_456: 'server' });
    const shown = redactedConfig(config);
    assert.equal(shown.writeKeys, REDACTED);
    assert.doesNotMatch(JSON.stringify(shown), /wk_live/);
    assert.equal(shown.port, 8000);
    assert.equal(redactedConfig(loadGatewayConfig(PROJECT).config).writeKeys, null);
  });

  test('loadConfig(role) is what the named loaders call', () => {
    assert.deepEqual(loadConfig('worker', PROJECT).config, loadWorkerConfig(PROJECT).config);
  });
});

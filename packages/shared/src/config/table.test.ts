import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { allSettings, flagForEnv, keyForFlag, settingsFor } from './settings.ts';
import { configTableRows, renderConfigTable } from './table.ts';

/** Every variable the seed documents, plus the ones the eventkit issues add. */
const EXPECTED_VARIABLES = [
  // the seed's table
  'GCP_PROJECT_ID',
  'FIRESTORE_EMULATOR_HOST',
  'PUBSUB_EMULATOR_HOST',
  'STORAGE_EMULATOR_HOST',
  'EVENTKIT_EVENT_STORE',
  'GCP_GCS_BUCKET',
  'GCP_BIGQUERY_DATASET',
  'GCP_BIGQUERY_TABLE',
  'EVENTKIT_WAREHOUSE_ENABLED',
  'EVENTKIT_WAREHOUSE_LOADER_INTERVAL',
  'EVENTKIT_QUEUE_MODE',
  'EVENTKIT_ASYNC_WORKERS',
  'EVENTKIT_PUBSUB_WORKERS',
  'EVENTKIT_RING_BUFFER_MODE',
  'EVENTKIT_RING_BUFFER_DB_PATH',
  'EVENTKIT_RING_BUFFER_MAX_SIZE',
  'EVENTKIT_RING_BUFFER_RETENTION_HOURS',
  'EVENTKIT_RING_BUFFER_PUBLISHER_BATCH_SIZE',
  'EVENTKIT_RING_BUFFER_PUBLISHER_POLL_INTERVAL',
  'EVENTKIT_RING_BUFFER_CLEANUP_INTERVAL',
  'EVENTKIT_EVENTLOADER_BATCH_SIZE',
  'EVENTKIT_EVENTLOADER_FLUSH_INTERVAL',
  'EVENTKIT_BUFFER_SIZE',
  'EVENTKIT_BUFFER_MAX_SIZE',
  'EVENTKIT_BUFFER_TIMEOUT',
  'EVENTKIT_LOG_LEVEL',
  'EVENTKIT_JSON_LOGS',
  // eventkit's
  'EVENTKIT_DATA_DIR',
  'EVENTKIT_PORT',
  'EVENTKIT_HOST',
  'EVENTKIT_WRITE_KEYS',
  'EVENTKIT_CORS_ORIGINS',
  'EVENTKIT_MAX_EVENT_BYTES',
  'EVENTKIT_MAX_REQUEST_BYTES',
  'EVENTKIT_MAX_BATCH_EVENTS',
  'EVENTKIT_WAL_SYNC',
  'EVENTKIT_PUBSUB_TOPIC',
  'EVENTKIT_PUBSUB_SUBSCRIPTION',
  'EVENTKIT_PUBSUB_CREATE',
  'EVENTKIT_PARTITIONS',
  'EVENTKIT_METRICS_PORT',
  'EVENTKIT_SHUTDOWN_TIMEOUT',
  'EVENTKIT_WAREHOUSE',
  'EVENTKIT_DEDUP_WINDOW_DAYS',
];

describe('the settings table', () => {
  test('keys are the camelCase of the flag, as commander names option values', () => {
    for (const s of allSettings()) {
      assert.equal(keyForFlag(s.flag), s.key, s.env);
      assert.equal(s.flag, flagForEnv(s.env), s.env);
    }
  });

  test('variables and flags are unique, aliases included', () => {
    const envs = configTableRows().map((r) => r.env);
    assert.equal(new Set(envs).size, envs.length);
    const flags = allSettings().map((s) => s.flag);
    assert.equal(new Set(flags).size, flags.length);
  });

  test('every setting has a description and a documented default', () => {
    for (const s of allSettings()) {
      assert.ok(s.description.length > 10, s.env);
      assert.ok(s.optional || s.defaultText !== '', `${s.env} needs a default`);
    }
  });

  test('roles: dev reads everything, each role only its own', () => {
    assert.equal(settingsFor('dev').length, allSettings().length);
    const gateway = settingsFor('gateway').map((s) => s.env);
    assert.ok(gateway.includes('EVENTKIT_WRITE_KEYS'));
    assert.ok(!gateway.includes('EVENTKIT_EVENT_STORE'));
    assert.ok(settingsFor('worker').some((s) => s.env === 'EVENTKIT_PUBSUB_SUBSCRIPTION'));
    assert.ok(settingsFor('loader').some((s) => s.env === 'EVENTKIT_DEDUP_WINDOW_DAYS'));
    assert.ok(!settingsFor('loader').some((s) => s.env === 'EVENTKIT_QUEUE_MODE'));
  });
});

describe('renderConfigTable', () => {
  const md = renderConfigTable();

  test('lists every variable with its flag, default, roles and meaning', () => {
    for (const env of EXPECTED_VARIABLES)
      assert.ok(md.includes(`| \`${env}\` |`), `${env} missing from the table`);
    assert.match(md, /^\| Variable \| Flag \| Default \| Roles \| Meaning \|$/m);
    assert.match(md, /\| `EVENTKIT_PORT` \| `--port` \| `8000` \| gateway, dev \| /);
    assert.match(
      md,
      /\| `EVENTKIT_BUFFER_SIZE` \| — \| .* \| Deprecated alias of EVENTKIT_EVENTLOADER_BATCH_SIZE/,
    );
  });

  test('has one row per variable plus a row per group, and well-formed rows', () => {
    const rows = md.trimEnd().split('\n');
    const groups = new Set(allSettings().map((s) => s.group)).size;
    assert.equal(rows.length, 2 + configTableRows().length + groups);
    for (const row of rows) assert.equal(row.split(/(?<!\\)\|/).length, 7, row);
  });
});

// The parts of the configuration (parts.ts): what a command that uses only
// some of them gets as flags, and what its configuration is checked for.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { ConfigError } from './errors.ts';
import { loadConfig } from './load.ts';
import { ALL_PARTS, keysOfParts, SETTING_PARTS, settingsUsed } from './parts.ts';
import { allSettings, ROLES, settingsFor } from './settings.ts';

const keys = (entries: readonly { key: string }[]) => entries.map((e) => e.key);

describe('setting parts', () => {
  test('every setting is read by some part; every part names settings', () => {
    const covered = keysOfParts(ALL_PARTS);
    assert.deepEqual(
      allSettings().filter((s) => !covered.has(s.key)),
      [],
    );
    for (const [part, list] of Object.entries(SETTING_PARTS)) assert.ok(list.length > 0, part);
  });

  test('without parts a command gets all of its role’s settings, in table order', () => {
    for (const role of ROLES) assert.deepEqual(keys(settingsUsed(role)), keys(settingsFor(role)));
  });

  test('with parts, only the role’s settings of those parts', () => {
    const dlqList = keys(settingsUsed('worker', ['logging', 'eventStore']));
    assert.ok(dlqList.includes('eventStore'));
    assert.ok(!dlqList.includes('metricsPort'));
    assert.ok(!dlqList.includes('pubsubTopic'));
    // The loader does not read FIRESTORE_EMULATOR_HOST, though the event store part lists it.
    assert.ok(!keys(settingsUsed('loader', ['eventStore'])).includes('firestoreEmulatorHost'));
  });

  test('a command is refused only for what its parts need', () => {
    // The gateway needs a project for Pub/Sub; reading the WAL file does not.
    assert.throws(() => loadConfig('gateway', {}), /GCP_PROJECT_ID \(--gcp-project-id\): required/);
    assert.equal(
      loadConfig('gateway', { EVENTKIT_DATA_DIR: '/d' }, {}, ['walFile']).config.ringBufferDbPath,
      '/d/eventkit_ring_buffer.db',
    );
    // A rule about batching does not refuse a command that does not batch.
    const env = {
      GCP_PROJECT_ID: 'p',
      EVENTKIT_EVENTLOADER_BATCH_SIZE: '5000',
      EVENTKIT_BUFFER_MAX_SIZE: '10',
    };
    assert.throws(() => loadConfig('worker', env), /EVENTKIT_EVENTLOADER_BATCH_SIZE/);
    assert.equal(loadConfig('worker', env, {}, ['logging', 'eventStore']).config.eventloaderBatchSize, 5000);
    // Querying the DuckDB file does not need what loading into BigQuery needs.
    const bigquery = { EVENTKIT_WAREHOUSE: 'bigquery' };
    assert.throws(
      () => loadConfig('loader', bigquery),
      /EVENTKIT_WAREHOUSE \(--warehouse\): "bigquery" loads files from GCS/,
    );
    assert.equal(loadConfig('loader', bigquery, {}, ['logging', 'warehouse']).config.warehouse, 'bigquery');
    // The rules of the parts it uses still hold.
    assert.throws(
      () => loadConfig('worker', { EVENTKIT_EVENT_STORE: 'gcs' }, {}, ['logging', 'eventStore']),
      /GCP_GCS_BUCKET \(--gcp-gcs-bucket\): required when EVENTKIT_EVENT_STORE is "gcs"/,
    );
  });

  test('a malformed variable is an error whatever the parts', () => {
    assert.throws(
      () => loadConfig('gateway', { EVENTKIT_PORT: 'abc' }, {}, ['walFile']),
      (err: unknown) => err instanceof ConfigError && /EVENTKIT_PORT/.test(err.message),
    );
  });
});

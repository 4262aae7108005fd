// EVENTKIT_* variables an executable will not read are named once, as warnings.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { loadDevConfig, loadWorkerConfig } from './load.ts';
import { unknownVariableWarnings } from './unknown-variables.ts';

describe('EVENTKIT_* variables nobody reads', () => {
  test('a misspelt name is named with the nearest known variable', () => {
    assert.deepEqual(unknownVariableWarnings('worker', { EVENTKIT_EVENT_STOR: 'gcs' }), [
      'EVENTKIT_EVENT_STOR is not an eventkit setting and is ignored; did you mean EVENTKIT_EVENT_STORE?',
    ]);
    assert.deepEqual(unknownVariableWarnings('gateway', { EVENTKIT_WRITEKEYS: 'k=s' }), [
      'EVENTKIT_WRITEKEYS is not an eventkit setting and is ignored; did you mean EVENTKIT_WRITE_KEYS?',
    ]);
  });

  test('a name far from every setting gets no guess', () => {
    assert.deepEqual(unknownVariableWarnings('loader', { EVENTKIT_SOMETHING_ELSE_ENTIRELY: '1' }), [
      'EVENTKIT_SOMETHING_ELSE_ENTIRELY is not an eventkit setting and is ignored',
    ]);
  });

  test("another role's setting is named with the roles that read it; dev reads every setting", () => {
    assert.deepEqual(unknownVariableWarnings('worker', { EVENTKIT_WRITE_KEYS: 'k=s' }), [
      'EVENTKIT_WRITE_KEYS is a setting of the gateway; the worker does not read it',
    ]);
    assert.deepEqual(unknownVariableWarnings('dev', { EVENTKIT_WRITE_KEYS: 'k=s' }), []);
  });

  test('settings, deprecated aliases, other variables and the project tooling draw none', () => {
    const env = {
      EVENTKIT_EVENT_STORE: 'file',
      EVENTKIT_BUFFER_TIMEOUT: '5',
      GCP_PROJECT_ID: 'p',
      PATH: '/usr/bin',
      EVENTKIT_TEST_SUMMARY: 'x',
      EVENTKIT_BENCH_OUT: 'y',
    };
    assert.deepEqual(unknownVariableWarnings('worker', env), []);
  });

  test('the configuration loader returns them with its other warnings', () => {
    const { warnings } = loadWorkerConfig({ GCP_PROJECT_ID: 'p', EVENTKIT_PARTITONS: '8' });
    assert.ok(
      warnings.includes(
        'EVENTKIT_PARTITONS is not an eventkit setting and is ignored; did you mean EVENTKIT_PARTITIONS?',
      ),
      warnings.join('\n'),
    );
    assert.deepEqual(loadDevConfig({}).warnings, []);
  });
});

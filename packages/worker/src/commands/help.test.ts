// Each command's --help lists the settings that command reads, and no others.
import assert from 'node:assert/strict';
import { settingsFor } from '@eventkit/shared/config';
import { helpOptions } from '@eventkit/testing';
import type { Command } from 'commander';
import { describe, test } from 'vitest';
import { configureDlqCommand } from './dlq.ts';
import { configureRunCommand } from './run.ts';

const optionsInHelp = (configure: (program: Command) => unknown, args: string[]) =>
  helpOptions('eventkit-worker', configure, args);

describe('eventkit-worker --help per command', () => {
  test('run lists every worker setting', async () => {
    const options = await optionsInHelp(configureRunCommand, ['run']);
    assert.deepEqual(
      options.filter((o) => o !== '--help'),
      settingsFor('worker').map((s) => s.flag),
    );
  });

  test('dlq list lists the event store and logging: no metrics port, no Pub/Sub, no batching', async () => {
    const options = await optionsInHelp(configureDlqCommand, ['dlq', 'list']);
    for (const used of [
      '--since',
      '--type',
      '--json',
      '--event-store',
      '--data-dir',
      '--gcp-gcs-bucket',
      '--log-level',
    ])
      assert.ok(options.includes(used), used);
    for (const unused of [
      '--metrics-port',
      '--metrics-host',
      '--pubsub-topic',
      '--pubsub-subscription',
      '--partitions',
      '--eventloader-batch-size',
      '--worker-id',
      '--shutdown-timeout',
    ])
      assert.ok(!options.includes(unused), unused);
  });

  test('dlq replay adds the topic it publishes to and the worker id its ledger carries', async () => {
    const options = await optionsInHelp(configureDlqCommand, ['dlq', 'replay']);
    for (const used of [
      '--dry-run',
      '--again',
      '--pubsub-topic',
      '--pubsub-emulator-host',
      '--worker-id',
      '--event-store',
    ])
      assert.ok(options.includes(used), used);
    for (const unused of ['--metrics-port', '--pubsub-subscription', '--pubsub-max-messages', '--partitions'])
      assert.ok(!options.includes(unused), unused);
  });
});

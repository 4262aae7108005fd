// Each command's --help lists the settings that command reads, and no others.
import assert from 'node:assert/strict';
import { settingsFor } from '@eventkit/shared/config';
import { helpOptions } from '@eventkit/testing';
import type { Command } from 'commander';
import { describe, test } from 'vitest';
import { configureServeCommand } from './serve.ts';
import { configureWalCommand } from './wal.ts';

const optionsInHelp = (configure: (program: Command) => unknown, args: string[]) =>
  helpOptions('eventkit-gateway', configure, args);

describe('eventkit-gateway --help per command', () => {
  test('serve lists every gateway setting', async () => {
    const options = await optionsInHelp(configureServeCommand, ['serve']);
    assert.deepEqual(
      options.filter((o) => o !== '--help'),
      settingsFor('gateway').map((s) => s.flag),
    );
  });

  test('wal status and wal inspect list where the WAL file is, nothing of serving or Pub/Sub', async () => {
    assert.deepEqual(await optionsInHelp(configureWalCommand, ['wal', 'status']), [
      '--json',
      '--help',
      '--data-dir',
      '--ring-buffer-db-path',
    ]);
    const inspect = await optionsInHelp(configureWalCommand, ['wal', 'inspect']);
    assert.deepEqual(inspect, ['--limit', '--json', '--help', '--data-dir', '--ring-buffer-db-path']);
  });

  test('wal drain lists the WAL, the relay and Pub/Sub, not the HTTP API or the WAL’s upkeep', async () => {
    const options = await optionsInHelp(configureWalCommand, ['wal', 'drain']);
    for (const used of [
      '--ring-buffer-db-path',
      '--wal-sync',
      '--pubsub-topic',
      '--gcp-project-id',
      '--shutdown-timeout',
    ])
      assert.ok(options.includes(used), used);
    for (const unused of [
      '--port',
      '--write-keys',
      '--wal-max-pending-events',
      '--ring-buffer-cleanup-interval',
    ])
      assert.ok(!options.includes(unused), unused);
  });
});

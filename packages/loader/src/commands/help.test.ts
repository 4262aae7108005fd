// Each command's --help lists the settings that command reads, and no others.
import assert from 'node:assert/strict';
import { settingsFor } from '@eventkit/shared/config';
import { helpOptions } from '@eventkit/testing';
import type { Command } from 'commander';
import { describe, test } from 'vitest';
import { configureBackfillCommand } from './backfill.ts';
import { configureQueryCommand } from './query.ts';
import { configureReleaseCommand } from './release.ts';
import { configureRunCommand } from './run.ts';
import { configureStatusCommand } from './status.ts';
import { configureViewsCommand } from './views.ts';

const optionsInHelp = (configure: (program: Command) => unknown, args: string[]) =>
  helpOptions('eventkit-loader', configure, args);

const settingFlags = (options: string[]) =>
  options.filter((o) => !['--help', '--once', '--json'].includes(o));

describe('eventkit-loader --help per command', () => {
  test('run lists every loader setting', async () => {
    const options = await optionsInHelp(configureRunCommand, ['run']);
    assert.deepEqual(
      settingFlags(options),
      settingsFor('loader').map((s) => s.flag),
    );
  });

  test('query lists which warehouse and its file, nothing of loading', async () => {
    const options = await optionsInHelp(configureQueryCommand, ['query']);
    assert.deepEqual(settingFlags(options), [
      '--log-level',
      '--json-logs',
      '--data-dir',
      '--warehouse',
      '--duckdb-path',
    ]);
  });

  test('views lists which warehouse and its table, nothing of loading or the event store', async () => {
    const options = await optionsInHelp(configureViewsCommand, ['views']);
    assert.deepEqual(settingFlags(options), [
      '--log-level',
      '--json-logs',
      '--data-dir',
      '--gcp-project-id',
      '--gcp-bigquery-dataset',
      '--gcp-bigquery-table',
      '--gcp-bigquery-location',
      '--warehouse',
      '--duckdb-path',
    ]);
  });

  test('release lists the event store; status and backfill add the warehouse and how it loads, not the loop', async () => {
    const release = settingFlags(await optionsInHelp(configureReleaseCommand, ['release']));
    assert.ok(release.includes('--event-store') && release.includes('--storage-prefix'));
    assert.ok(!release.includes('--warehouse') && !release.includes('--dedup-window-days'));
    for (const configure of [configureStatusCommand, configureBackfillCommand]) {
      const options = await optionsInHelp(configure, [
        configure === configureStatusCommand ? 'status' : 'backfill',
      ]);
      for (const used of [
        '--event-store',
        '--warehouse',
        '--gcp-bigquery-table',
        '--warehouse-lookback-hours',
      ])
        assert.ok(options.includes(used), used);
      for (const unused of ['--warehouse-loader-interval', '--shutdown-timeout'])
        assert.ok(!options.includes(unused), unused);
    }
  });
});

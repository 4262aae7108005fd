// eventkit-dev --help lists the settings the local pipeline reads in any of its
// modes: every setting but the worker's ops server, which it does not start.
import assert from 'node:assert/strict';
import { addConfigCommand } from '@eventkit/shared/cli';
import { allSettings } from '@eventkit/shared/config';
import { helpOptions } from '@eventkit/testing';
import { describe, test } from 'vitest';
import { configureDevCommand, DEV_PARTS } from './dev.ts';

/** The long options --help lists for `args`. */
const optionsInHelp = (args: string[]) =>
  helpOptions(
    'eventkit-dev',
    (program) => {
      configureDevCommand(program);
      addConfigCommand(program, 'dev', { env: {}, parts: DEV_PARTS });
    },
    args,
  );

const OPS_SERVER = ['--metrics-port', '--metrics-host'];
const expected = allSettings()
  .map((s) => s.flag)
  .filter((f) => !OPS_SERVER.includes(f));

describe('eventkit-dev --help', () => {
  test('lists every setting of the pipeline (gateway, queue, worker, loader, local mode), not the worker’s ops server', async () => {
    const options = await optionsInHelp([]);
    assert.deepEqual(
      options.filter((o) => !['--version', '--help'].includes(o)),
      expected,
    );
    for (const used of [
      '--port',
      '--queue-mode',
      '--pubsub-topic',
      '--event-store',
      '--warehouse',
      '--warehouse-enabled',
    ])
      assert.ok(options.includes(used), used);
  });

  test('config takes and prints the same settings', async () => {
    const options = await optionsInHelp(['config']);
    assert.deepEqual(
      options.filter((o) => !['--json', '--help'].includes(o)),
      expected,
    );
  });
});

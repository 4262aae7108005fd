// eventkit-dev --help lists the settings the local pipeline reads in any of its
// modes: every setting but the worker's ops server, which it does not start.
import assert from 'node:assert/strict';
import { addConfigCommand, allSettings, createProgram, runCli } from '@eventkit/shared';
import { describe, test } from 'vitest';
import { configureDevCommand, DEV_PARTS } from './dev.ts';

/** The long options --help lists for `args`. */
async function optionsInHelp(args: string[]): Promise<string[]> {
  const program = createProgram({ name: 'eventkit-dev', version: '0', description: 'test' });
  configureDevCommand(program);
  addConfigCommand(program, 'dev', { env: {}, parts: DEV_PARTS });
  let out = '';
  const write = (s: string) => {
    out += s;
  };
  assert.equal(
    await runCli(program, ['node', 'eventkit-dev', ...args, '--help'], { stdout: write, stderr: write }),
    0,
    out,
  );
  return [...out.matchAll(/^ {2}(?:-\w, )?(--[a-z0-9-]+)/gm)].map((m) => m[1]!);
}

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

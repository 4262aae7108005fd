#!/usr/bin/env node
// eventkit-gateway: the command line of the gateway, and its composition root: the only
// place that reads process.env and process.argv.
import {
  addConfigCommand,
  addSettingOptions,
  createProgram,
  loadGatewayConfig,
  runCli,
} from '@eventkit/shared';
import { walDrain, walInspect, walStatus } from './commands/wal.ts';
import { serve } from './main.ts';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-gateway',
  version: VERSION,
  description:
    'eventkit gateway: the Segment-compatible collection API. Acknowledges events once they are durably in its write-ahead log, and publishes the log to Pub/Sub.',
});

addSettingOptions(
  program
    .command('serve')
    .description('Serve the HTTP API and publish the WAL to Pub/Sub until SIGTERM/SIGINT.'),
  'gateway',
).action(async (flags) => {
  const { config, warnings } = loadGatewayConfig(process.env, flags);
  await serve(config, warnings);
});

const wal = program.command('wal').description('Inspect or drain a write-ahead log file.');
addSettingOptions(
  wal
    .command('status')
    .description('Pending and published counts, bytes and the oldest pending age.')
    .option('--json', 'one JSON object'),
  'gateway',
).action((flags) => {
  const { config } = loadGatewayConfig(process.env, flags);
  process.stdout.write(walStatus(config, Boolean(flags.json)));
});
addSettingOptions(
  wal
    .command('inspect')
    .description('A few pending rows (ids, streams, sizes, times; never payloads).')
    .option('--limit <n>', 'rows to show', '10')
    .option('--json', 'a JSON array'),
  'gateway',
).action((flags) => {
  const { config } = loadGatewayConfig(process.env, flags);
  const limit = Number.parseInt(String(flags.limit), 10);
  process.stdout.write(
    walInspect(config, Number.isFinite(limit) && limit > 0 ? limit : 10, Boolean(flags.json)),
  );
});
addSettingOptions(
  wal
    .command('drain')
    .description('Publish everything pending in the WAL to Pub/Sub, then exit (for an orphaned volume).'),
  'gateway',
).action(async (flags) => {
  const { config } = loadGatewayConfig(process.env, flags);
  process.stdout.write(await walDrain(config));
});

addConfigCommand(program, 'gateway', { env: process.env });

process.exitCode = await runCli(program, process.argv);

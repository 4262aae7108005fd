#!/usr/bin/env node
// eventkit-worker: the command line of the worker, and its composition root: the only
// place that reads process.env and process.argv.
//
// To add a command, keep this shape (settings become flags; flags override env):
//   addSettingOptions(program.command('run').description('…'), 'worker').action(async (flags) => {
//     const { config, warnings } = loadWorkerConfig(process.env, flags); // ConfigError → exit 2
//     await run(config, warnings); // from ./main.ts
//   });
// Failures meant for the user: throw CliError(message, exitCode) from @eventkit/shared.
import { addConfigCommand, createProgram, runCli } from '@eventkit/shared';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-worker',
  version: VERSION,
  description:
    'eventkit worker: pulls events from Pub/Sub and writes them to GCS (Parquet), Firestore or local files; invalid ones go to the dead-letter store.',
});

addConfigCommand(program, 'worker', { env: process.env });

process.exitCode = await runCli(program, process.argv);

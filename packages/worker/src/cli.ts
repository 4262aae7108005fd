#!/usr/bin/env node
// eventkit-worker: the command line of the worker. Builds the program,
// registers its commands (commands/*.ts: run, dlq; config from shared) and
// parses; cli.ts and the commands are the only readers of process.env and
// process.argv.
//
//   eventkit-worker run                               consume, write, dead-letter
//   eventkit-worker dlq list   [--since] [--type] [--json]
//   eventkit-worker dlq replay [--since] [--type] [--dry-run] [--again] [--json]
//   eventkit-worker doctor [--json]                   check the subscription and the event store
//   eventkit-worker config                            check and print the configuration
//
// Each command takes the settings it reads as flags (flags override the environment).
import { addConfigCommand, createProgram, runCli } from '@eventkit/shared/cli';
import { configureDlqCommand } from './commands/dlq.ts';
import { configureDoctorCommand } from './commands/doctor.ts';
import { configureRunCommand } from './commands/run.ts';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-worker',
  version: VERSION,
  description:
    'eventkit worker: pulls events from Pub/Sub and writes them to GCS (Parquet), Firestore or local files; invalid ones go to the dead-letter store.',
});
configureRunCommand(program);
configureDlqCommand(program);
configureDoctorCommand(program);
addConfigCommand(program, 'worker', { env: process.env });

process.exitCode = await runCli(program, process.argv);

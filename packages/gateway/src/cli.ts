#!/usr/bin/env node
// eventkit-gateway: the command line of the gateway. Builds the program,
// registers its commands (commands/*.ts: serve, wal, doctor; config from shared) and
// parses; cli.ts and the commands are the only readers of process.env and
// process.argv.
import { addConfigCommand, createProgram, runCli } from '@eventkit/shared/cli';
import { configureDoctorCommand } from './commands/doctor.ts';
import { configureServeCommand } from './commands/serve.ts';
import { configureWalCommand } from './commands/wal.ts';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-gateway',
  version: VERSION,
  description:
    'eventkit gateway: the Segment-compatible collection API. Acknowledges events once they are durably in its write-ahead log, and publishes the log to Pub/Sub.',
});
configureServeCommand(program);
configureWalCommand(program);
configureDoctorCommand(program);
addConfigCommand(program, 'gateway', { env: process.env });

process.exitCode = await runCli(program, process.argv);

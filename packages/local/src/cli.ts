#!/usr/bin/env node
// eventkit-dev: the command line of the local all-in-one mode. Builds the
// program, registers its commands (commands/dev.ts: the program's own action,
// which runs everything; doctor; config from shared) and parses; cli.ts and the
// commands are the only readers of process.env and process.argv.
import { addConfigCommand, createProgram, runCli } from '@eventkit/shared/cli';
import { configureDevCommand, DEV_PARTS } from './commands/dev.ts';
import { configureDoctorCommand } from './commands/doctor.ts';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-dev',
  version: VERSION,
  description:
    'eventkit local mode: gateway, in-process queue, worker and loader in one process, on embedded defaults under EVENTKIT_DATA_DIR.',
});
configureDevCommand(program);
configureDoctorCommand(program);
addConfigCommand(program, 'dev', { env: process.env, parts: DEV_PARTS });

process.exitCode = await runCli(program, process.argv);

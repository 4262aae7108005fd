#!/usr/bin/env node
// eventkit-dev: the command line of the local all-in-one mode, and its composition root: the only
// place that reads process.env and process.argv.
//
// Running with no subcommand will start everything: give the program itself
// the settings and an action (createProgram enables positional options, so
// `eventkit-dev --port 9000` and `eventkit-dev config --port 9000` both work):
//   addSettingOptions(program, 'dev').action(async (flags) => {
//     const { config, warnings } = loadDevConfig(process.env, flags); // ConfigError → exit 2
//     await startLocal(config, warnings); // from ./main.ts
//   });
// Other commands: program.command('…') the same way.
// Failures meant for the user: throw CliError(message, exitCode) from @eventkit/shared.
import { addConfigCommand, createProgram, runCli } from '@eventkit/shared';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-dev',
  version: VERSION,
  description:
    'eventkit local mode: gateway, in-process queue, worker and loader in one process, on embedded defaults under EVENTKIT_DATA_DIR.',
});

addConfigCommand(program, 'dev', { env: process.env });

process.exitCode = await runCli(program, process.argv);

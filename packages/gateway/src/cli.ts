#!/usr/bin/env node
// eventkit-gateway: the command line of the gateway, and its composition root: the only
// place that reads process.env and process.argv.
//
// To add a command, keep this shape (settings become flags; flags override env):
//   addSettingOptions(program.command('serve').description('…'), 'gateway').action(async (flags) => {
//     const { config, warnings } = loadGatewayConfig(process.env, flags); // ConfigError → exit 2
//     await serve(config, warnings); // from ./main.ts
//   });
// Failures meant for the user: throw CliError(message, exitCode) from @eventkit/shared.
import { addConfigCommand, createProgram, runCli } from '@eventkit/shared';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-gateway',
  version: VERSION,
  description:
    'eventkit gateway: the Segment-compatible collection API. Acknowledges events once they are durably in its write-ahead log, and publishes the log to Pub/Sub.',
});

addConfigCommand(program, 'gateway', { env: process.env });

process.exitCode = await runCli(program, process.argv);

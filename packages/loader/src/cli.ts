#!/usr/bin/env node
// eventkit-loader: the command line of the loader, and its composition root: the only
// place that reads process.env and process.argv.
//
// To add a command, keep this shape (settings become flags; flags override env):
//   addSettingOptions(program.command('run').description('…'), 'loader').action(async (flags) => {
//     const { config, warnings } = loadLoaderConfig(process.env, flags); // ConfigError → exit 2
//     await run(config, warnings); // from ./main.ts
//   });
// Failures meant for the user: throw CliError(message, exitCode) from @eventkit/shared.
import { addConfigCommand, createProgram, runCli } from '@eventkit/shared';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-loader',
  version: VERSION,
  description:
    'eventkit loader: loads new event files into BigQuery or the local DuckDB warehouse, exactly once and without duplicate events.',
});

addConfigCommand(program, 'loader', { env: process.env });

process.exitCode = await runCli(program, process.argv);

#!/usr/bin/env node
// eventkit-loader: the command line of the loader. Builds the program,
// registers its commands (commands/*.ts: run, status, backfill, release,
// query, views, doctor; config from shared) and parses; cli.ts and the commands are the only
// readers of process.env and process.argv.
//
// A command file keeps this shape: configureXCommand(program) declares the
// command and the settings it reads (addSettingOptions with its parts: they
// become its flags, which override env), its action loads them
// (loadCommandConfig with the same parts; ConfigError → exit 2) and calls the
// command's function, which builds what it needs from compose.ts (imported on
// first use, so that --help, --version and config start fast). Failures meant
// for the user: throw CliError(message, exitCode) from @eventkit/shared.
import { addConfigCommand, createProgram, runCli } from '@eventkit/shared/cli';
import { configureBackfillCommand } from './commands/backfill.ts';
import { configureDoctorCommand } from './commands/doctor.ts';
import { configureQueryCommand } from './commands/query.ts';
import { configureReleaseCommand } from './commands/release.ts';
import { configureRunCommand } from './commands/run.ts';
import { configureStatusCommand } from './commands/status.ts';
import { configureViewsCommand } from './commands/views.ts';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-loader',
  version: VERSION,
  description:
    'eventkit loader: loads new event files into BigQuery or the local DuckDB warehouse, exactly once and without duplicate events.',
});
configureRunCommand(program);
configureStatusCommand(program);
configureBackfillCommand(program);
configureReleaseCommand(program);
configureQueryCommand(program);
configureViewsCommand(program);
configureDoctorCommand(program);
addConfigCommand(program, 'loader', { env: process.env });

process.exitCode = await runCli(program, process.argv);

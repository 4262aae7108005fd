#!/usr/bin/env node
// eventkit-dev: the command line of the local all-in-one mode, and its composition root: the only
// place that reads process.env and process.argv.
import { addConfigCommand, addSettingOptions, createProgram, loadDevConfig, runCli } from '@eventkit/shared';
import { runDev } from './main.ts';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-dev',
  version: VERSION,
  description:
    'eventkit local mode: gateway, in-process queue, worker and loader in one process, on embedded defaults under EVENTKIT_DATA_DIR.',
});

addSettingOptions(program, 'dev').action(async (flags) => {
  const { config, warnings, sources } = loadDevConfig(process.env, flags);
  const defaulted = new Set(
    Object.entries(sources)
      .filter(([, from]) => from === 'default')
      .map(([key]) => key),
  );
  // A live status line on a terminal; log lines otherwise (and always with JSON logs).
  const interactive = Boolean(process.stdout.isTTY) && !config.jsonLogs;
  await runDev(config, warnings, { defaulted, interactive, out: process.stdout });
});

addConfigCommand(program, 'dev', { env: process.env });

process.exitCode = await runCli(program, process.argv);

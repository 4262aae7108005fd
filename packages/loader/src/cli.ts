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
import {
  addConfigCommand,
  addSettingOptions,
  createProgram,
  type Flags,
  type LoaderConfig,
  type Logger,
  loadLoaderConfig,
  logConfigWarnings,
  loggerFor,
  runCli,
} from '@eventkit/shared';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-loader',
  version: VERSION,
  description:
    'eventkit loader: loads new event files into BigQuery or the local DuckDB warehouse, exactly once and without duplicate events.',
});

/** Configuration and a logger; `logsTo` 2 keeps stdout for the command's output. */
function setup(flags: Flags, logsTo: 1 | 2): { config: LoaderConfig; logger: Logger } {
  const { config, warnings } = loadLoaderConfig(process.env, flags);
  const logger = loggerFor(config, 'loader', logsTo);
  logConfigWarnings(logger, warnings);
  return { config, logger };
}

const print = (text: string) => void process.stdout.write(`${text}\n`);
/** The commands, loaded on first use so that --help, --version and config start fast. */
const main = () => import('./main.ts');

addSettingOptions(
  program
    .command('run')
    .description(
      'Load the pending event and dead-letter files, then every EVENTKIT_WAREHOUSE_LOADER_INTERVAL seconds until SIGTERM. With --once: load everything pending and exit (0: all loaded, or another loader holds the lease and loads them; 1: a load failed).',
    )
    .option('--once', 'load what is pending now and exit'),
  'loader',
).action(async (flags: Flags & { once?: boolean }) => {
  const { config, logger } = setup(flags, 1);
  await (await main()).runCommand(config, logger, flags.once === true);
});

addSettingOptions(
  program
    .command('status')
    .description(
      'Show the files pending and loaded, the rows loaded, the last load and the age of the oldest pending file.',
    )
    .option('--json', 'print JSON for scripts'),
  'loader',
).action(async (flags: Flags & { json?: boolean }) => {
  const { config, logger } = setup(flags, 2);
  print(await (await main()).statusCommand(config, logger, flags.json === true));
});

addSettingOptions(
  program
    .command('backfill')
    .description(
      'Reload every event and dead-letter file whose folder date is in the range, loaded before or not (e.g. after rows were deleted, or for a file that arrived later than the look-back). Idempotent: rows already in the table stay once. Waits while another loader holds the lease.',
    )
    .requiredOption('--from <date>', 'first folder date, YYYY-MM-DD (UTC)')
    .requiredOption('--to <date>', 'last folder date, YYYY-MM-DD (UTC), inclusive'),
  'loader',
).action(async (flags: Flags & { from: string; to: string }) => {
  const { config, logger } = setup(flags, 2);
  print(
    await (await main()).backfillCommand(config, logger, { from: flags.from, to: flags.to }, process.stderr),
  );
});

addSettingOptions(
  program
    .command('release')
    .description(
      'Make a quarantined file (one that could not load; `status` lists them) pending again, after its cause was fixed: the next run loads it when its folder is within the look-back, else backfill its day. Quarantined again if it still fails.',
    )
    .argument('<key>', 'the file key, as status shows it'),
  'loader',
).action(async (key: string, flags: Flags) => {
  const { config } = setup(flags, 2);
  print(await (await main()).releaseCommand(config, key));
});

addSettingOptions(
  program
    .command('query')
    .description(
      'Run one read-only SQL statement against the local DuckDB warehouse, e.g. "select count(*) from events.raw_events". Waits briefly while a load holds the file.',
    )
    .argument('<sql>', 'the SQL statement')
    .option('--json', 'print the rows as a JSON array of objects'),
  'loader',
).action(async (sql: string, flags: Flags & { json?: boolean }) => {
  const { config } = setup(flags, 2);
  print(await (await main()).queryCommand(config, sql, flags.json === true));
});

addConfigCommand(program, 'loader', { env: process.env });

process.exitCode = await runCli(program, process.argv);

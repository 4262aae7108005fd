// `eventkit-loader backfill --from --to`: reload every event and dead-letter
// file whose folder date is in the range, loaded before or not; a progress bar
// on a terminal (output/progress.ts), lines otherwise.
import { addSettingOptions, CliError } from '@eventkit/shared/cli';
import type { Flags, LoaderConfig, SettingPart } from '@eventkit/shared/config';
import type { Logger } from '@eventkit/shared/logging';
import type { Command } from 'commander';
import { BackfillRangeError, describeError, type RunReport } from '../core/report.ts';
import { progressReporter } from '../output/progress.ts';
import { commandConfig } from './command-config.ts';

const PARTS: readonly SettingPart[] = ['logging', 'eventStore', 'warehouse', 'warehouseTable', 'loads'];

export function configureBackfillCommand(program: Command): Command {
  const command = program
    .command('backfill')
    .description(
      'Reload every event and dead-letter file whose folder date is in the range, loaded before or not (e.g. after rows were deleted, or for a file that arrived later than the look-back). Idempotent: rows already in the table stay once. Waits while another loader holds the lease.',
    )
    .requiredOption('--from <date>', 'first folder date, YYYY-MM-DD (UTC)')
    .requiredOption('--to <date>', 'last folder date, YYYY-MM-DD (UTC), inclusive')
    .option('--json', 'print the result as one JSON object (no progress lines)');
  return addSettingOptions(command, 'loader', PARTS).action(
    async (flags: Flags & { from: string; to: string; json?: boolean }) => {
      const { config, logger } = commandConfig(flags, PARTS);
      const range = { from: flags.from, to: flags.to };
      process.stdout.write(
        `${await backfillCommand(config, logger, range, flags.json ? undefined : process.stderr, flags.json === true)}\n`,
      );
    },
  );
}

export async function backfillCommand(
  config: LoaderConfig,
  logger: Logger,
  range: { from: string; to: string },
  progressStream: NodeJS.WriteStream | undefined,
  json = false,
): Promise<string> {
  const { loaderFromConfig } = await import('../compose.ts');
  const loader = await loaderFromConfig(config, { logger });
  const reporter = progressStream ? progressReporter(progressStream) : undefined;
  let report: RunReport;
  try {
    report = await loader.backfill(range, (p) => reporter?.update(p));
  } catch (err) {
    if (err instanceof BackfillRangeError) throw new CliError(err.message, 2);
    throw err;
  } finally {
    reporter?.done();
  }
  if (!report.ok) throw new CliError(`backfill failed: ${describeError(report.error)}`, 1);
  if (json) {
    return JSON.stringify({
      from: range.from,
      to: range.to,
      files: report.files,
      jobs: report.jobs,
      rows_read: report.rowsRead,
      rows_inserted: report.rowsInserted,
    });
  }
  return `backfill ${range.from}..${range.to}: ${report.files} files in ${report.jobs} jobs, ${report.rowsRead} rows read, ${report.rowsInserted} rows inserted (the rest were already there)`;
}

// `eventkit-loader views [--json]`: create or replace the Segment-shaped views
// (tracks, identifies, users, pages, screens, groups, aliases, one per frequent
// track event name) beside the events table, now, and print them. The loader
// also refreshes them itself after runs that load events (core/views-refresh.ts);
// this command does it at once and creates every view again (a view dropped by
// hand comes back).
import { addSettingOptions, CliError, jsonOutput } from '@eventkit/shared/cli';
import type { Flags, LoaderConfig, SettingPart } from '@eventkit/shared/config';
import type { Logger } from '@eventkit/shared/logging';
import { WarehouseConfigError } from '@eventkit/shared/ports';
import type { Command } from 'commander';
import { withFriendlyErrors } from '../output/friendly-errors.ts';
import { formatViews } from '../output/views.ts';
import { commandConfig } from './command-config.ts';

/** Which warehouse and its table: the views go beside it. Nothing of loading or the event store. */
const PARTS: readonly SettingPart[] = ['logging', 'warehouse', 'warehouseTable'];

export function configureViewsCommand(program: Command): Command {
  const command = program
    .command('views')
    .description(
      'Create or replace the Segment-shaped views beside the events table (tracks, identifies, users, pages, screens, groups, aliases, and one per frequent track event name, e.g. order_completed) and print them. The loader also refreshes them after runs that load events, at most hourly.',
    )
    .option('--json', 'print the views as one JSON object');
  return addSettingOptions(command, 'loader', PARTS).action(async (flags: Flags & { json?: boolean }) => {
    const { config, logger } = commandConfig(flags, PARTS);
    process.stdout.write(`${await viewsCommand(config, logger, flags.json === true)}\n`);
  });
}

const where = (config: LoaderConfig) =>
  config.warehouse === 'duckdb'
    ? `schema ${config.gcpBigqueryDataset ?? 'events'} of ${config.duckdbPath}`
    : `dataset ${config.gcpProjectId}.${config.gcpBigqueryDataset}`;

export async function viewsCommand(config: LoaderConfig, logger: Logger, json: boolean): Promise<string> {
  const { createWarehouse } = await import('../compose.ts');
  const warehouse = await createWarehouse(config, logger);
  try {
    if (!warehouse.refreshViews) throw new CliError(`the ${warehouse.kind} warehouse keeps no views`, 2);
    const refresh = warehouse.refreshViews.bind(warehouse);
    const report = await withFriendlyErrors(async () => {
      await warehouse.ensureTables();
      return refresh();
    });
    return json ? jsonOutput(report) : formatViews(report, where(config));
  } catch (err) {
    if (err instanceof WarehouseConfigError) throw new CliError(err.message, 2);
    throw err;
  } finally {
    await warehouse.close();
  }
}

// `eventkit-loader status [--json]`: the files pending and loaded, the rows
// loaded, the last load, the age of the oldest pending file, the quarantine.
import { addSettingOptions, jsonOutput } from '@eventkit/shared/cli';
import type { Flags, LoaderConfig, SettingPart } from '@eventkit/shared/config';
import type { Logger } from '@eventkit/shared/logging';
import type { Command } from 'commander';
import { formatStatus, statusView } from '../output/format.ts';
import { withFriendlyErrors } from '../output/friendly-errors.ts';
import { commandConfig } from './command-config.ts';

const PARTS: readonly SettingPart[] = ['logging', 'eventStore', 'warehouse', 'warehouseTable', 'loads'];

export function configureStatusCommand(program: Command): Command {
  const command = program
    .command('status')
    .description(
      'Show the files pending and loaded, the rows loaded, the last load and the age of the oldest pending file.',
    )
    .option('--json', 'print JSON for scripts');
  return addSettingOptions(command, 'loader', PARTS).action(async (flags: Flags & { json?: boolean }) => {
    const { config, logger } = commandConfig(flags, PARTS);
    process.stdout.write(`${await statusCommand(config, logger, flags.json === true)}\n`);
  });
}

const targetName = (config: LoaderConfig) =>
  config.warehouse === 'duckdb'
    ? `${config.gcpBigqueryDataset ?? 'events'}.${config.gcpBigqueryTable} in ${config.duckdbPath}`
    : `${config.gcpProjectId}.${config.gcpBigqueryDataset}.${config.gcpBigqueryTable}`;

export async function statusCommand(config: LoaderConfig, logger: Logger, json: boolean): Promise<string> {
  const { loaderFromConfig } = await import('../compose.ts');
  const loader = await loaderFromConfig(config, { logger });
  const now = new Date();
  const view = statusView(await withFriendlyErrors(() => loader.status()), targetName(config), now);
  return json ? jsonOutput(view) : formatStatus(view, now);
}

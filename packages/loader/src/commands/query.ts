// `eventkit-loader query [--json] <sql>`: one read-only statement against the
// local DuckDB warehouse, as a table (output/format.ts) or JSON rows.
import { addSettingOptions, CliError } from '@eventkit/shared/cli';
import type { Flags, LoaderConfig, SettingPart } from '@eventkit/shared/config';
import type { Command } from 'commander';
import { formatTable, jsonRows } from '../output/format.ts';
import { withFriendlyErrors } from '../output/friendly-errors.ts';
import { commandConfig } from './command-config.ts';

/** Which warehouse and where its file is; nothing of loading. */
const PARTS: readonly SettingPart[] = ['logging', 'warehouse'];

export function configureQueryCommand(program: Command): Command {
  const command = program
    .command('query')
    .description(
      'Run one read-only SQL statement against the local DuckDB warehouse, e.g. "select count(*) from events.raw_events". Waits briefly while a load holds the file.',
    )
    .argument('<sql>', 'the SQL statement')
    .option('--json', 'print the rows as a JSON array of objects');
  return addSettingOptions(command, 'loader', PARTS).action(
    async (sql: string, flags: Flags & { json?: boolean }) => {
      const { config } = commandConfig(flags, PARTS);
      process.stdout.write(`${await queryCommand(config, sql, flags.json === true)}\n`);
    },
  );
}

export async function queryCommand(config: LoaderConfig, sql: string, json: boolean): Promise<string> {
  if (config.warehouse !== 'duckdb') {
    throw new CliError(
      'query reads the local DuckDB warehouse, but EVENTKIT_WAREHOUSE is bigquery: query BigQuery with the console or bq',
      2,
    );
  }
  const { queryDuckDb } = await import('../warehouse/duckdb/query.ts');
  const result = await withFriendlyErrors(() => queryDuckDb(config.duckdbPath, sql));
  return json ? JSON.stringify(jsonRows(result), null, 2) : formatTable(result);
}

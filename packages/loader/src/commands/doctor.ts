// `eventkit-loader doctor`: the loader's dependencies checked with the
// permission it needs (doctor/checks.ts), a table or --json, exit 1 on a failure.
import { addSettingOptions } from '@eventkit/shared/cli';
import type { Flags, SettingPart } from '@eventkit/shared/config';
import { runDoctor } from '@eventkit/shared/doctor';
import type { Command } from 'commander';
import { loaderChecks } from '../doctor/checks.ts';
import { commandConfig } from './command-config.ts';

const PARTS: readonly SettingPart[] = ['logging', 'eventStore', 'warehouse', 'warehouseTable'];

export function configureDoctorCommand(program: Command): Command {
  const command = program
    .command('doctor')
    .description(
      "Check the loader's dependencies: the bucket or data directory (a probe object written, read back and deleted) and the warehouse (BigQuery: the dataset's location and a dry-run job; DuckDB: the file's directory). Exit 1 when a check fails.",
    )
    .option('--json', 'one JSON object: { role, ok, checks: [{ check, status, detail, fix }] }');
  return addSettingOptions(command, 'loader', PARTS).action(async (flags: Flags & { json?: boolean }) => {
    const { config } = commandConfig(flags, PARTS);
    await runDoctor('eventkit-loader', await loaderChecks(config), Boolean(flags.json));
  });
}

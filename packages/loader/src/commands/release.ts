// `eventkit-loader release <key>`: make a quarantined file pending again by
// deleting its quarantine record (core/quarantine.ts), so runs see it again.
import { addSettingOptions, CliError } from '@eventkit/shared/cli';
import type { Flags, LoaderConfig, SettingPart } from '@eventkit/shared/config';
import { keyPrefix } from '@eventkit/shared/layout';
import { openObjectStore } from '@eventkit/shared/object-store';
import type { Command } from 'commander';
import { Quarantine } from '../core/quarantine.ts';
import { commandConfig } from './command-config.ts';

const PARTS: readonly SettingPart[] = ['logging', 'eventStore'];

export function configureReleaseCommand(program: Command): Command {
  const command = program
    .command('release')
    .description(
      'Make a quarantined file (one that could not load; `status` lists them) pending again, after its cause was fixed: the next run loads it when its folder is within the look-back, else backfill its day. Quarantined again if it still fails.',
    )
    .argument('<key>', 'the file key, as status shows it');
  return addSettingOptions(command, 'loader', PARTS).action(async (key: string, flags: Flags) => {
    const { config } = commandConfig(flags, PARTS);
    process.stdout.write(`${await releaseCommand(config, key)}\n`);
  });
}

export async function releaseCommand(config: LoaderConfig, key: string): Promise<string> {
  const store = await openObjectStore(config);
  const released = await new Quarantine(store, keyPrefix(config.storagePrefix)).release(key);
  if (!released) throw new CliError(`${key} is not quarantined (see eventkit-loader status)`, 1);
  return `released ${key}: the next run loads it if its folder is within the look-back; otherwise backfill its day`;
}

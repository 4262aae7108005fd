// The configuration of a loader command that prints a result (status, backfill,
// query, release): only the settings of its parts are read and checked, and
// logs go to stderr so stdout holds the command's output alone.
import { loadCommandConfig } from '@eventkit/shared/cli';
import type { Flags, SettingPart } from '@eventkit/shared/config';

export const commandConfig = (flags: Flags, parts: readonly SettingPart[]) =>
  loadCommandConfig('loader', process.env, flags, { name: 'loader', parts, logsTo: 2 });

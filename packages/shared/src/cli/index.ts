export {
  addConfigCommand,
  type CommandConfigOptions,
  type ConfigCommandOptions,
  formatConfigListing,
  loadCommandConfig,
  logConfigWarnings,
  loggerFor,
} from './config-command.ts';
export { jsonOutput, snakeCaseKeys } from './json-output.ts';
export {
  addSettingOptions,
  CliError,
  type CliIo,
  commandPath,
  createProgram,
  EXIT_USAGE,
  type ProgramSpec,
  QuietExit,
  runCli,
} from './program.ts';

export {
  addConfigCommand,
  type ConfigCommandOptions,
  formatConfigListing,
  logConfigWarnings,
  loggerFor,
} from './config-command.ts';
export {
  addSettingOptions,
  CliError,
  type CliIo,
  commandPath,
  createProgram,
  EXIT_USAGE,
  type ProgramSpec,
  runCli,
} from './program.ts';

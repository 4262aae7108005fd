// `<program> config`: loads and validates the executable's configuration from
// the environment and flags, exactly as its main command would, and prints it
// with secrets masked. Exit 0 means "this configuration will start"; a bad
// setting exits 2 with the one-line ConfigError. Operators use it to check a
// deployment's environment; `--json` is for scripts.
import type { Command } from 'commander';
import { type Env, type Flags, type LoadedConfig, loadConfig, type ValueSource } from '../config/load.ts';
import { keysOfParts, type SettingPart, settingsUsed } from '../config/parts.ts';
import { REDACTED, redactedConfig } from '../config/redact.ts';
import {
  type ConfigFor,
  type Role,
  SETTINGS,
  type SettingEntry,
  type SettingKey,
} from '../config/settings.ts';
import { createLogger, type Logger, type LogLevel } from '../logging/logger.ts';
import { addSettingOptions, type CliIo } from './program.ts';

export interface ConfigCommandOptions {
  /** The environment to read (the composition root passes process.env). */
  env: Env;
  /** Where output goes; default the process's stdout and stderr. */
  io?: CliIo;
  /** Where warnings are logged; default stderr, so stdout stays parseable. */
  logDestination?: number | NodeJS.WritableStream;
  /** The parts of the configuration the executable uses (config/parts.ts); default all of the role's. */
  parts?: readonly SettingPart[];
}

/** Logs the loader's warnings (deprecated aliases, ignored settings) once each. */
export function logConfigWarnings(logger: Logger, warnings: readonly string[]): void {
  for (const detail of warnings) logger.warn({ detail }, 'config_warning');
}

type LoggingConfig = { readonly logLevel: LogLevel; readonly jsonLogs: boolean };

/** The logger the configuration asks for, named after the executable. */
export function loggerFor(
  config: LoggingConfig,
  name: string,
  destination?: number | NodeJS.WritableStream,
): Logger {
  return createLogger({
    level: config.logLevel,
    json: config.jsonLogs,
    name,
    ...(destination === undefined ? {} : { destination }),
  });
}

function displayValue(setting: SettingEntry, value: unknown): string {
  if (value === undefined) return '(unset)';
  if (setting.secret) return REDACTED;
  if (value === '') return '(empty)';
  return setting.parser.format(value);
}

function displaySource(setting: SettingEntry, source: ValueSource | undefined, env: Env): string {
  switch (source) {
    case 'flag':
      return `flag ${setting.flag}`;
    case 'env':
      return 'env';
    case 'alias':
      return `env ${setting.aliases.find((a) => env[a.env]?.trim())?.env ?? 'alias'} (deprecated)`;
    case 'default':
      return 'default';
    default:
      return '';
  }
}

export interface CommandConfigOptions {
  /** The logger's name (the executable's, or its role's). */
  name: string;
  /** The parts of the configuration the command reads (config/parts.ts); default all of the role's. */
  parts?: readonly SettingPart[];
  /** Where the logs go; 2 (stderr) keeps stdout for the command's output. Default stdout. */
  logsTo?: number;
}

/**
 * What a command starts with: its configuration from the environment and its
 * flags (ConfigError → exit 2), and a logger, the configuration's warnings
 * logged once.
 */
export function loadCommandConfig<R extends Role>(
  role: R,
  env: Env,
  flags: Flags,
  options: CommandConfigOptions,
): { config: ConfigFor<R>; logger: Logger } {
  const { config, warnings } = loadConfig(role, env, flags, options.parts);
  // Every role reads the logging settings (ConfigFor<R> cannot say so for a generic R).
  const logger = loggerFor(config as unknown as LoggingConfig, options.name, options.logsTo);
  logConfigWarnings(logger, warnings);
  return { config, logger };
}

/** The human-readable listing: one line per setting, with where its value came from. */
export function formatConfigListing(
  programName: string,
  role: Role,
  loaded: LoadedConfig<Role>,
  env: Env,
  parts?: readonly SettingPart[],
): string {
  const settings = settingsUsed(role, parts);
  const values = loaded.config as Readonly<Record<string, unknown>>;
  const rows = settings.map((s) => [
    s.env,
    displayValue(s, values[s.key]),
    displaySource(s, loaded.sources[s.key], env),
  ]);
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.min(48, Math.max(...rows.map((r) => r[1]!.length)));
  const lines = rows.map(([k, v, src]) => `  ${k!.padEnd(w0)}  ${v!.padEnd(w1)}  ${src}`.trimEnd());
  return `${programName} configuration (valid; secrets masked):\n${lines.join('\n')}\n`;
}

/** Adds the `config` command: validates and prints the role's configuration. */
export function addConfigCommand(program: Command, role: Role, opts: ConfigCommandOptions): Command {
  const cmd = program
    .command('config')
    .description(
      'Check the configuration from the environment and flags, and print it with secrets masked (exit 2 if invalid).',
    )
    .option(
      '--json',
      'print JSON for scripts: { role, config, sources, warnings }, config and sources keyed by variable name (EVENTKIT_PORT, …)',
    );
  addSettingOptions(cmd, role, opts.parts);
  cmd.action((flags: Flags & { json?: boolean }) => {
    const io = opts.io ?? {
      stdout: (s: string) => void process.stdout.write(s),
      stderr: (s: string) => void process.stderr.write(s),
    };
    const loaded = loadConfig(role, opts.env, flags, opts.parts);
    const logger = loggerFor(loaded.config, program.name(), opts.logDestination ?? 2);
    logConfigWarnings(logger, loaded.warnings);
    if (flags.json) {
      // Only the settings the executable uses (its parts), as the listing shows them, keyed by
      // the variable names people set (the listing's, the README's), not the code's camelCase keys.
      const used = keysOfParts(opts.parts);
      const byVariable = (o: object) =>
        Object.fromEntries(
          Object.entries(o)
            .filter(([k]) => used.has(k as SettingKey))
            .map(([k, v]) => [SETTINGS[k as SettingKey].env, v]),
        );
      const out = {
        role,
        config: byVariable(redactedConfig(loaded.config)),
        sources: byVariable(loaded.sources),
        warnings: loaded.warnings,
      };
      io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      io.stdout(
        formatConfigListing(program.name(), role, loaded as LoadedConfig<Role>, opts.env, opts.parts),
      );
    }
  });
  return cmd;
}

// Commander (v15) helpers so every eventkit CLI behaves the same:
// - `--version` / `-V` prints the package version; `--help` / `-h` works on
//   every command;
// - every setting a command reads is a flag that overrides its environment
//   variable (help shows the variable and the default), and only those: the
//   command names the parts of the configuration it uses (config/parts.ts);
// - bad usage (unknown option or command, missing argument) → exit 2, the
//   error on one line prefixed with the program name, then a usage hint;
// - a ConfigError → exit 2 with one line `eventkit-gateway: <message>`;
//   a CliError → its exit code with one line; anything else → exit 1.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { type SettingPart, settingsUsed } from '../config/parts.ts';
import type { Role, SettingEntry } from '../config/settings.ts';

/** Exit code for bad usage and bad configuration (as sysexits' EX_USAGE is for shells: 2). */
export const EXIT_USAGE = 2;

/** A failure an action reports to the user as one line, with its own exit code (default 1). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * Ends a command with an exit code after it printed its own result (a doctor
 * whose checks failed: the table says why; nothing more goes to stderr).
 */
export class QuietExit extends Error {
  override readonly name = 'QuietExit';
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

export interface ProgramSpec {
  /** Executable name, e.g. `eventkit-gateway`. */
  name: string;
  /** The package's version (package.json). */
  version: string;
  description: string;
}

/** A commander program with the house conventions; add commands with `program.command(...)`. */
export function createProgram(spec: ProgramSpec): Command {
  const program = new Command(spec.name)
    .description(spec.description)
    .version(spec.version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    // Program-level options only before a subcommand, so a program with its own
    // setting flags (eventkit-dev) and its `config` command never compete for them.
    .enablePositionalOptions();
  // Exits are decided by runCli: commander must throw, never call process.exit.
  program.exitOverride();
  return program;
}

function helpGroupOf(setting: SettingEntry): string {
  return `${setting.group} settings:`;
}

function optionFor(setting: SettingEntry): Option {
  const { parser } = setting;
  const flags = `${setting.flag} ${parser.isBoolean ? '[true|false]' : parser.metavar.replace(/^\[(.*)\]$/, '<$1>')}`;
  const def = setting.defaultText === '' ? 'unset' : setting.defaultText;
  const secret = setting.secret ? '; secret' : '';
  const description = `${setting.description} [env ${setting.env}; default ${def}${secret}]`;
  // No commander default or .env(): the config loader owns precedence, so a
  // flag value is present only when the user typed it.
  return new Option(flags, description).helpGroup(helpGroupOf(setting));
}

/**
 * Adds a flag for every setting the command reads (`--port <n>`, `--json-logs [true|false]`, …):
 * the role's settings in `parts` (all of the role's when absent). Pass the command's `opts()`
 * and the same parts to the role's config loader: flags override env.
 */
export function addSettingOptions(command: Command, role: Role, parts?: readonly SettingPart[]): Command {
  for (const setting of settingsUsed(role, parts)) command.addOption(optionFor(setting));
  return command;
}

/** `eventkit-worker dlq list` for a nested command. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const processIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

/** Applies the shared output and error conventions to a command and all its subcommands. */
function configureTree(cmd: Command, programName: string, io: CliIo, json: boolean): void {
  const path = commandPath(cmd);
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: io.stdout,
    writeErr: io.stderr,
    // commander writes "error: unknown option '--x'"; house style is "<program>: <problem>".
    outputError: (str, write) =>
      write(errorLine(programName, str.replace(/^error: /, '').trim(), EXIT_USAGE, json)),
  });
  // Under --json the error is one JSON object; the usage hint is for people.
  cmd.showHelpAfterError(json ? false : `Usage: ${path} ${cmd.usage()}\nRun '${path} --help' for details.`);
  // Long option names (--ring-buffer-publisher-poll-interval <seconds>) leave 20-odd columns of an
  // 80-column help for the description; commander stops wrapping below 40 and printed 300-character
  // lines. Wrapping down to 20 keeps every line within the width.
  cmd.configureHelp({ minWidthToWrap: 20 });
  for (const sub of cmd.commands) configureTree(sub, programName, io, json);
}

/**
 * An error as the one line a person reads (`<program>: <problem>`), or, when the command was
 * asked for `--json`, as one JSON object (`{"error":{"program","message","exit_code"}}`) so a
 * script reading JSON gets JSON for failures too. Always on stderr: stdout carries only results.
 */
function errorLine(program: string, message: string, exitCode: number, json: boolean): string {
  const oneLine = message.replace(/\s*\n\s*/g, ' ');
  return json
    ? `${JSON.stringify({ error: { program, message: oneLine, exit_code: exitCode } })}\n`
    : `${program}: ${oneLine}\n`;
}

/**
 * Parses `argv` (process.argv form) and runs the matching action. Returns the
 * exit code instead of exiting, so output is flushed and tests can call it:
 *   process.exitCode = await runCli(program, process.argv);
 */
export async function runCli(
  program: Command,
  argv: readonly string[],
  io: CliIo = processIo,
): Promise<number> {
  const name = program.name();
  const json = argv.includes('--json');
  configureTree(program, name, io, json);
  const fail = (message: string, exitCode: number) => {
    io.stderr(errorLine(name, message, exitCode, json));
    return exitCode;
  };
  try {
    await program.parseAsync([...argv], { from: 'node' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof QuietExit) return err.exitCode;
    if (err instanceof ConfigError) return fail(err.message, EXIT_USAGE);
    if (err instanceof CliError) return fail(err.message, err.exitCode);
    const fs = fileSystemProblem(err);
    if (fs) return fail(fs.message, fs.exitCode);
    // A bug or an unexpected failure: the stack helps whoever reports it (kept whole for people).
    if (json) return fail(err instanceof Error ? err.message : String(err), 1);
    io.stderr(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

const FS_PROBLEMS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'a file is in the way',
  ENOSPC: 'no space left on the device',
};

/**
 * A file system error on a path (a data directory that cannot be created or written, a full
 * disk) as one line naming the path and the setting that places it, instead of a stack. Exit 2
 * (fix the configuration), or 1 for a full disk.
 */
export function fileSystemProblem(err: unknown): { message: string; exitCode: number } | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!(err instanceof Error) || typeof e?.code !== 'string' || typeof e.path !== 'string') return undefined;
  const problem = FS_PROBLEMS[e.code];
  if (problem === undefined) return undefined;
  return {
    message: `cannot ${e.syscall ?? 'use'} ${e.path}: ${problem} (${e.code}). eventkit keeps its files under EVENTKIT_DATA_DIR (--data-dir; EVENTKIT_RING_BUFFER_DB_PATH and EVENTKIT_DUCKDB_PATH can place the WAL and the warehouse elsewhere): point it at a writable directory.`,
    exitCode: e.code === 'ENOSPC' ? 1 : EXIT_USAGE,
  };
}

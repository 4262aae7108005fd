/**
 * A setting is missing, malformed or inconsistent with another one. The
 * message is one line that names the variable (and its flag) and says what was
 * expected, so a CLI can print it as is and exit 2:
 *
 *   EVENTKIT_PORT (--port): expected an integer from 1 to 65535, got "abc"
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The environment variable at fault, e.g. `EVENTKIT_PORT`. */
  readonly variable: string;
  /** Its CLI flag, e.g. `--port`; absent for deprecated aliases. */
  readonly flag: string | undefined;

  constructor(variable: string, flag: string | undefined, problem: string) {
    super(`${flag ? `${variable} (${flag})` : variable}: ${oneLine(problem)}`);
    this.variable = variable;
    this.flag = flag;
  }
}

/** Collapses whitespace so a message can never span lines, whatever a user typed. */
export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** Quotes a user-supplied value for a message: JSON escapes, long values cut. */
export function quote(raw: string, max = 60): string {
  const cut = raw.length > max ? `${raw.slice(0, max)}…` : raw;
  return JSON.stringify(cut);
}

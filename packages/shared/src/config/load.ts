// Loads one executable's configuration from the environment and CLI flags.
// Precedence: flag > environment variable > deprecated alias > default.
// Defaults may depend on other settings (resolved on demand, so table order
// does not matter). The first problem throws a ConfigError; deprecations and
// ignored settings come back as warnings for the caller to log.
//
// A command that reads only some parts of the configuration (parts.ts) passes
// them: every setting of the role is still resolved (a malformed variable is
// still an error), but only the settings of those parts must be present and
// only the rules about those parts apply, so `eventkit-gateway wal status`
// needs no Pub/Sub project.
import { ConfigError, quote } from './errors.ts';
import { keysOfParts, type SettingPart } from './parts.ts';
import { checkRules } from './rules.ts';
import {
  type ConfigFor,
  type DefaultContext,
  type Role,
  SETTINGS,
  type SettingEntry,
  type SettingKey,
  settingsFor,
} from './settings.ts';
import { unknownVariableWarnings } from './unknown-variables.ts';

/** What process.env looks like; tests pass a plain object. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Option values keyed by setting key, as commander's `opts()` returns them.
 * Keys that are not settings (e.g. `json`) are ignored; `true` means a boolean
 * flag given without a value.
 */
export type Flags = Readonly<Record<string, unknown>>;

/** Where a value came from, for the `config` command. */
export type ValueSource = 'flag' | 'env' | 'alias' | 'default' | 'unset';

export interface LoadedConfig<R extends Role> {
  readonly config: ConfigFor<R>;
  readonly warnings: readonly string[];
  readonly sources: Readonly<Partial<Record<SettingKey, ValueSource>>>;
}

interface Raw {
  readonly text: string;
  readonly source: Exclude<ValueSource, 'default' | 'unset'>;
  /** The variable that supplied it (the alias's name for an alias). */
  readonly variable: string;
}

const SPEC_BY_KEY = new Map<string, SettingEntry>(settingsFor('dev').map((s) => [s.key, s]));

function flagText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}

/** Finds the raw text for a setting, noting deprecated aliases on the way. */
function rawValue(spec: SettingEntry, env: Env, flags: Flags, warnings: string[]): Raw | undefined {
  const fromFlag = flagText(flags[spec.key])?.trim();
  const fromEnv = env[spec.env]?.trim();
  for (const alias of spec.aliases) {
    const aliasText = env[alias.env]?.trim();
    if (!aliasText) continue;
    if (fromFlag || fromEnv) {
      warnings.push(`${alias.env} is deprecated and ignored because ${spec.env} (${spec.flag}) is set`);
      continue;
    }
    warnings.push(`${alias.env} is deprecated; use ${spec.env} (${spec.flag}) instead`);
    return { text: aliasText, source: 'alias', variable: alias.env };
  }
  if (fromFlag) return { text: fromFlag, source: 'flag', variable: spec.env };
  if (fromEnv) return { text: fromEnv, source: 'env', variable: spec.env };
  return undefined;
}

function parseError(spec: SettingEntry, raw: Raw, problem: string | undefined): ConfigError {
  const expected = `expected ${spec.parser.expected}`;
  // A secret's text never goes into a message (it would end up in logs).
  const got = spec.secret
    ? problem
      ? ` (${problem})`
      : ''
    : `, got ${quote(raw.text)}${problem ? ` (${problem})` : ''}`;
  if (raw.source === 'alias') {
    return new ConfigError(raw.variable, undefined, `deprecated alias of ${spec.env}: ${expected}${got}`);
  }
  return new ConfigError(spec.env, spec.flag, `${expected}${got}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Loads and validates the configuration of `role` (for a command using
 * `parts`; all of the role's when absent). Throws ConfigError on the first
 * missing, malformed or inconsistent setting.
 */
export function loadConfig<R extends Role>(
  role: R,
  env: Env,
  flags: Flags = {},
  parts?: readonly SettingPart[],
): LoadedConfig<R> {
  const warnings: string[] = [];
  const values = new Map<string, unknown>();
  const sources: Partial<Record<SettingKey, ValueSource>> = {};
  const resolving = new Set<string>();

  const ctx: DefaultContext = { role, get: (key) => resolve(key) };

  function resolve(key: string): unknown {
    if (values.has(key)) return values.get(key);
    const spec = SPEC_BY_KEY.get(key);
    if (!spec) throw new Error(`config: unknown setting "${key}" used by a default`);
    if (resolving.has(key)) throw new Error(`config: defaults of "${key}" depend on each other`);
    resolving.add(key);
    let value: unknown;
    const raw = rawValue(spec, env, flags, warnings);
    if (raw) {
      const r = spec.parser.parse(raw.text);
      if (!r.ok) throw parseError(spec, raw, r.problem);
      value = r.value;
      sources[spec.key] = raw.source;
    } else {
      value = typeof spec.default === 'function' ? spec.default(ctx) : spec.default;
      sources[spec.key] = value === undefined ? 'unset' : 'default';
    }
    resolving.delete(key);
    values.set(key, value);
    return value;
  }

  const config: Record<string, unknown> = {};
  for (const spec of settingsFor(role)) config[spec.key] = resolve(spec.key);
  const used = keysOfParts(parts);
  for (const spec of settingsFor(role)) {
    if (used.has(spec.key) && config[spec.key] === undefined && !spec.optional) {
      throw new ConfigError(spec.env, spec.flag, `required: expected ${spec.parser.expected}`);
    }
  }

  checkRules(role, config, warnings, (part) => !parts || parts.includes(part));
  warnings.push(...unknownVariableWarnings(role, env));
  return {
    config: deepFreeze(config) as ConfigFor<R>,
    warnings: Object.freeze([...new Set(warnings)]),
    sources,
  };
}

export const loadGatewayConfig = (env: Env, flags: Flags = {}, parts?: readonly SettingPart[]) =>
  loadConfig('gateway', env, flags, parts);
export const loadWorkerConfig = (env: Env, flags: Flags = {}, parts?: readonly SettingPart[]) =>
  loadConfig('worker', env, flags, parts);
export const loadLoaderConfig = (env: Env, flags: Flags = {}, parts?: readonly SettingPart[]) =>
  loadConfig('loader', env, flags, parts);
export const loadDevConfig = (env: Env, flags: Flags = {}, parts?: readonly SettingPart[]) =>
  loadConfig('dev', env, flags, parts);

/** Both names of a setting as messages show them: `GCP_PROJECT_ID (--gcp-project-id)`. */
export function describeSetting(key: SettingKey): string {
  const { env, flag } = SETTINGS[key];
  return `${env} (${flag})`;
}

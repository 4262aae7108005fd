import type { Parser } from './parsers.ts';

/** An executable that loads configuration. `dev` is the local all-in-one mode: it uses every setting. */
export type Role = 'gateway' | 'worker' | 'loader' | 'dev';
export const ROLES: readonly Role[] = ['gateway', 'worker', 'loader', 'dev'];

export type SettingGroup =
  | 'General'
  | 'Google Cloud'
  | 'Gateway HTTP'
  | 'Write-ahead log (ring buffer)'
  | 'Queue'
  | 'Worker (event loader)'
  | 'Warehouse loader'
  | 'Local all-in-one mode';

/** What a computed default can see: other settings (resolved on demand) and the executable. */
export interface DefaultContext {
  readonly role: Role;
  get(key: string): unknown;
}

export type DefaultValue<T> = T | ((ctx: DefaultContext) => T | undefined);

export interface DeprecatedAlias {
  readonly env: string;
  /** Shown in the configuration table. */
  readonly note: string;
}

export interface SettingSpec<T = unknown, R extends Role = Role, O extends boolean = boolean> {
  readonly env: string;
  readonly flag: string;
  readonly description: string;
  readonly group: SettingGroup;
  /** Executables that use the setting; `dev` uses all of them, listed or not. */
  readonly roles: readonly R[];
  readonly parser: Parser<T>;
  /** A value, or a function of other settings; absent means "unset unless given". */
  readonly default: DefaultValue<T> | undefined;
  /** The default as the docs and `--help` show it. */
  readonly defaultText: string;
  /** True when the value may be absent (no default, or a computed one that can be unset). */
  readonly optional: O;
  /** Masked by `redactedConfig`, never echoed in error messages. */
  readonly secret: boolean;
  readonly aliases: readonly DeprecatedAlias[];
}

interface SettingInput<T, R extends Role, O extends boolean> {
  env: string;
  flag?: string;
  description: string;
  group: SettingGroup;
  roles: readonly R[];
  parser: Parser<T>;
  default?: DefaultValue<NoInfer<T>>;
  defaultText?: string;
  optional?: O;
  secret?: boolean;
  aliases?: readonly DeprecatedAlias[];
}

/** `EVENTKIT_RING_BUFFER_DB_PATH` → `--ring-buffer-db-path`. */
export function flagForEnv(env: string): string {
  return `--${env
    .replace(/^EVENTKIT_/, '')
    .toLowerCase()
    .replaceAll('_', '-')}`;
}

/** `--ring-buffer-db-path` → `ringBufferDbPath`, as commander names option values. */
export function keyForFlag(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function setting<T, const R extends Role, O extends boolean = false>(
  input: SettingInput<T, R, O>,
): SettingSpec<T, R, O> {
  const def = input.default;
  let defaultText = input.defaultText;
  if (defaultText === undefined) {
    if (def === undefined) defaultText = '';
    else if (typeof def === 'function') throw new Error(`${input.env}: a computed default needs defaultText`);
    else defaultText = input.parser.format(def as T);
  }
  return {
    env: input.env,
    flag: input.flag ?? flagForEnv(input.env),
    description: input.description,
    group: input.group,
    roles: input.roles,
    parser: input.parser,
    default: def,
    defaultText,
    optional: (input.optional ?? false) as O,
    secret: input.secret ?? false,
    aliases: input.aliases ?? [],
  };
}

export const str = (ctx: DefaultContext, key: string): string | undefined =>
  ctx.get(key) as string | undefined;

// BigQuery dataset and table ids (and DuckDB schema/table names): letters,
// digits, underscores. Checked here because they end up inside SQL.
export const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,1023}$/;
// Pub/Sub topic and subscription ids.
export const PUBSUB_ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
// Source names travel into dedup keys and Firestore document ids.
export const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

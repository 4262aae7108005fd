// The settings table: every configuration variable of every eventkit
// executable, declared once. The loader, the CLI flags, `--help`, the
// `config` command and the README's configuration table are all generated
// from it, so they cannot disagree.
//
// Names, meanings and defaults follow the seed project (the Python eventkit)
// wherever it had the setting; new settings use the EVENTKIT_ prefix.
// Conventions:
// - the flag is the variable's name without `EVENTKIT_`, lower-case, with
//   dashes (`EVENTKIT_RING_BUFFER_DB_PATH` → `--ring-buffer-db-path`,
//   `GCP_PROJECT_ID` → `--gcp-project-id`), and the config key is the flag in
//   camelCase, which is also what commander hands back (`ringBufferDbPath`);
// - durations are seconds (floats allowed, as in the seed), sizes are bytes;
// - an empty variable counts as unset.

import { ROLES, type Role, type SettingSpec } from './settings/define.ts';
import { GATEWAY_HTTP_SETTINGS } from './settings/gateway-http.ts';
import { GENERAL_SETTINGS } from './settings/general.ts';
import { GOOGLE_CLOUD_SETTINGS } from './settings/google-cloud.ts';
import { LOADER_SETTINGS } from './settings/loader.ts';
import { LOCAL_SETTINGS } from './settings/local.ts';
import { QUEUE_SETTINGS } from './settings/queue.ts';
import { WAL_SETTINGS } from './settings/wal.ts';
import { WORKER_SETTINGS } from './settings/worker.ts';

export {
  type DefaultContext,
  type DefaultValue,
  type DeprecatedAlias,
  flagForEnv,
  keyForFlag,
  ROLES,
  type Role,
  type SettingGroup,
  type SettingSpec,
} from './settings/define.ts';

export const SETTINGS = {
  ...GENERAL_SETTINGS,
  ...GOOGLE_CLOUD_SETTINGS,
  ...GATEWAY_HTTP_SETTINGS,
  ...WAL_SETTINGS,
  ...QUEUE_SETTINGS,
  ...WORKER_SETTINGS,
  ...LOADER_SETTINGS,
  ...LOCAL_SETTINGS,
} as const;

export type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;

type ValueOf<S> =
  S extends SettingSpec<infer T, Role, infer O> ? (O extends true ? T | undefined : T) : never;
type RolesOf<S> = S extends SettingSpec<unknown, infer R, boolean> ? R : never;

/** Keys of the settings an executable uses (`dev`: all of them). */
export type SettingKeyFor<R extends Role> = R extends 'dev'
  ? SettingKey
  : { [K in SettingKey]: R extends RolesOf<Settings[K]> ? K : never }[SettingKey];

/** The typed, frozen configuration of one executable: flat, camelCase keys. */
export type ConfigFor<R extends Role> = { readonly [K in SettingKeyFor<R>]: ValueOf<Settings[K]> };

export type GatewayConfig = ConfigFor<'gateway'>;
export type WorkerConfig = ConfigFor<'worker'>;
export type LoaderConfig = ConfigFor<'loader'>;
export type DevConfig = ConfigFor<'dev'>;
/** Any executable's configuration. */
export type AnyConfig = GatewayConfig | WorkerConfig | LoaderConfig | DevConfig;

/** A setting with its key, as listed for a role. */
export type SettingEntry = SettingSpec<unknown, Role, boolean> & { readonly key: SettingKey };

const ALL: readonly SettingEntry[] = Object.entries(SETTINGS).map(([key, spec]) => ({
  ...(spec as unknown as SettingSpec<unknown, Role, boolean>),
  key: key as SettingKey,
}));

/** Every setting, in table order. */
export function allSettings(): readonly SettingEntry[] {
  return ALL;
}

/** The settings an executable reads, in table order. `dev` reads all. */
export function settingsFor(role: Role): readonly SettingEntry[] {
  return role === 'dev' ? ALL : ALL.filter((s) => (s.roles as readonly Role[]).includes(role));
}

/** The roles that read a setting, `dev` included. */
export function rolesOf(entry: Pick<SettingEntry, 'roles'>): readonly Role[] {
  const listed = entry.roles as readonly Role[];
  return ROLES.filter((r) => r === 'dev' || listed.includes(r));
}

export { ConfigError } from './errors.ts';
export {
  describeSetting,
  type Env,
  type Flags,
  type LoadedConfig,
  loadConfig,
  loadDevConfig,
  loadGatewayConfig,
  loadLoaderConfig,
  loadWorkerConfig,
  type ValueSource,
} from './load.ts';
export { ALL_PARTS, keysOfParts, SETTING_PARTS, type SettingPart, settingsUsed } from './parts.ts';
export { isSecret, REDACTED, redactedConfig } from './redact.ts';
export type { ParseResult, Parser } from './settings/parsers.ts';
export {
  type AnyConfig,
  allSettings,
  type ConfigFor,
  type DevConfig,
  type GatewayConfig,
  type LoaderConfig,
  ROLES,
  type Role,
  rolesOf,
  SETTINGS,
  type SettingEntry,
  type SettingGroup,
  type SettingKey,
  type SettingKeyFor,
  type SettingSpec,
  settingsFor,
  type WorkerConfig,
} from './settings.ts';
export { type ConfigTableRow, configTableRows, renderConfigTable } from './table.ts';

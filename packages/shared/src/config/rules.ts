// Rules between settings, checked after every value parsed: the combinations
// that cannot work fail fast here, with the variable to fix named first,
// instead of failing later inside a Google client with a less useful message.
// Each rule is about a part (parts.ts) and applies only to a command using it.
import { ConfigError } from './errors.ts';
import type { SettingPart } from './parts.ts';
import { type Role, SETTINGS, type SettingKey } from './settings.ts';

type Values = Readonly<Record<string, unknown>>;

function named(key: SettingKey): { env: string; flag: string } {
  return SETTINGS[key];
}

function fail(key: SettingKey, problem: string): never {
  const { env, flag } = named(key);
  throw new ConfigError(env, flag, problem);
}

function has(values: Values, key: SettingKey): boolean {
  return values[key] !== undefined;
}

/** Pub/Sub needs a project: always between separate processes, in dev only in pubsub mode. */
function usesPubSub(role: Role, v: Values): boolean {
  if (role === 'gateway' || role === 'worker') return true;
  return role === 'dev' && v.queueMode === 'pubsub';
}

/** The loader runs as its own executable, or inside dev when the warehouse is enabled and files exist. */
function runsLoader(role: Role, v: Values, warnings: string[]): boolean {
  if (role === 'loader') return true;
  if (role !== 'dev' || v.warehouseEnabled !== true) return false;
  if (v.eventStore === 'firestore') {
    warnings.push(
      `${SETTINGS.warehouseEnabled.env} is ignored with ${SETTINGS.eventStore.env}=firestore: the warehouse loads event files, which firestore does not write`,
    );
    return false;
  }
  return true;
}

/** Whether the command being configured uses a part. */
type Uses = (part: SettingPart) => boolean;

export function checkRules(role: Role, v: Values, warnings: string[], uses: Uses = () => true): void {
  const writesEvents = role === 'worker' || role === 'dev';

  if (uses('eventStore')) {
    if ((writesEvents || role === 'loader') && v.eventStore === 'gcs' && !has(v, 'gcpGcsBucket')) {
      fail('gcpGcsBucket', `required when ${SETTINGS.eventStore.env} is "gcs"`);
    }
    if (writesEvents && v.eventStore === 'firestore' && !has(v, 'gcpProjectId')) {
      fail('gcpProjectId', `required when ${SETTINGS.eventStore.env} is "firestore"`);
    }
  }
  if (uses('pubsub') && usesPubSub(role, v) && !has(v, 'gcpProjectId')) {
    const who = role === 'dev' ? `${SETTINGS.queueMode.env} is "pubsub"` : `the ${role} uses Pub/Sub`;
    fail('gcpProjectId', `required when ${who} (any id works with PUBSUB_EMULATOR_HOST)`);
  }
  if (uses('warehouse') && runsLoader(role, v, warnings)) checkLoaderRules(role, v, warnings, uses);

  if (uses('batching') && writesEvents && Number(v.eventloaderBatchSize) > Number(v.bufferMaxSize)) {
    fail(
      'eventloaderBatchSize',
      `${v.eventloaderBatchSize} exceeds the per-partition hard limit ${SETTINGS.bufferMaxSize.env}=${v.bufferMaxSize}; raise that too`,
    );
  }
  if (
    uses('http') &&
    (role === 'gateway' || role === 'dev') &&
    Number(v.maxEventBytes) > Number(v.maxRequestBytes)
  ) {
    fail(
      'maxEventBytes',
      `${v.maxEventBytes} is larger than ${SETTINGS.maxRequestBytes.env}=${v.maxRequestBytes}, so no request could carry such an event`,
    );
  }
}

/** The warehouse and the files it loads (the loader, or dev's loader). */
function checkLoaderRules(role: Role, v: Values, warnings: string[], uses: Uses): void {
  if (uses('eventStore') && role === 'loader' && v.eventStore === 'firestore') {
    fail('eventStore', 'the loader loads event files: expected "gcs" or "file", got "firestore"');
  }
  if (v.warehouse === 'bigquery') {
    if (uses('eventStore') && v.eventStore !== 'gcs') {
      fail(
        'warehouse',
        `"bigquery" loads files from GCS: set ${SETTINGS.gcpGcsBucket.env} (event store gcs) or use "duckdb"`,
      );
    }
    if (uses('warehouseTable') && !has(v, 'gcpProjectId')) {
      fail('gcpProjectId', `required when ${SETTINGS.warehouse.env} is "bigquery"`);
    }
    if (uses('warehouseTable') && !has(v, 'gcpBigqueryDataset')) {
      fail('gcpBigqueryDataset', `required when ${SETTINGS.warehouse.env} is "bigquery"`);
    }
  }
  // DuckDB reads gs:// only through an extension it downloads at run time and HMAC keys, and
  // never from an emulator: every load would fail, long after the start. A warning, not an
  // error: listing, status and the lease work (a test of the lease over GCS relies on it).
  if (uses('eventStore') && v.warehouse === 'duckdb' && v.eventStore === 'gcs') {
    warnings.push(
      `${SETTINGS.warehouse.env}=duckdb reads event files from the data directory (${SETTINGS.eventStore.env}=file): with files in GCS every load will fail; use "bigquery"`,
    );
  }
}

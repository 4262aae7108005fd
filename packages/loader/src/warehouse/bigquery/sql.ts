// The SQL the BigQuery warehouse sends (GoogleSQL). Each statement starts with
// a `-- eventkit:<what>` line so it can be told apart in the job history (and
// by the test server's handlers).
import type { TableSpec } from '../tables.ts';
import { mergedColumns } from './schema.ts';

export const q = (name: string): string => `\`${name.replaceAll('`', '')}\``;
const col = (name: string) => q(name);

export interface Qualified {
  /** `project.dataset.table`, unquoted. */
  target: string;
  staging: string;
  ledger: string;
  /** The target's dedup index (schema.ts, keysTableResource). */
  keys: string;
}

/**
 * The dedup key of a row as 16 bytes: the first half of SHA-256 over its key
 * columns, each length-prefixed (so ('ab', 'c') and ('a', 'bc') differ). NULL
 * when a key column is NULL.
 */
export function keyHashSql(spec: TableSpec, alias: string): string {
  const text = spec.keyColumns
    .map((k) => `CAST(LENGTH(${alias}.${col(k)}) AS STRING) || ':' || ${alias}.${col(k)}`)
    .join(" || '|' || ");
  return `SUBSTR(SHA256(${text}), 1, 16)`;
}

/**
 * Fills the keys table from the target, whole, in one transaction (idempotent:
 * it empties the table first). Run once, when the keys table is new: from
 * then on every merge writes its keys in its own transaction.
 */
export function keysBackfillSql(spec: TableSpec, names: Pick<Qualified, 'target' | 'keys'>): string {
  const time = col(spec.timeColumn);
  return `-- eventkit:keys-backfill
BEGIN TRANSACTION;
DELETE FROM ${q(names.keys)} WHERE TRUE;
INSERT INTO ${q(names.keys)} (${col('key_hash')}, ${time})
SELECT ${keyHashSql(spec, 'T')}, T.${time} FROM ${q(names.target)} AS T;
COMMIT TRANSACTION;`;
}

/**
 * Rows, and the span of the time column, per file of a job: read from the
 * files themselves through a temporary external table (`files`, defined in the
 * job's tableDefinitions), whose `_FILE_NAME` pseudo-column a loaded table does
 * not have. It reads file metadata and one timestamp column, not the data.
 */
export function countFilesSql(spec: TableSpec): string {
  const time = col(spec.timeColumn);
  return `-- eventkit:count-files
SELECT _FILE_NAME AS uri, COUNT(*) AS row_count, MIN(${time}) AS min_time, MAX(${time}) AS max_time
FROM files
GROUP BY uri`;
}

/**
 * The merge of one job, as one multi-statement transaction, so the rows, their
 * keys and the ledger rows commit together or not at all:
 * 1. `_eventkit_new` (a temporary table): one staged row per key (the
 *    earliest), with its key hash, kept only when the keys table has no row
 *    with that hash within the dedup window. The window is a constant filter
 *    (@window_start, @window_end) on the keys table's partitioning column, so
 *    only those day partitions are read, and of them only the hash and the
 *    time (26 logical bytes a row; the target's key columns are 51 bytes a row
 *    for a UUID message id, more for longer ids: see the README's dedup cost).
 *    Keys outside the window do not count, which is the window's meaning.
 * 2. Insert those rows into the target, and their keys into the keys table.
 * 3. Append one ledger row per file.
 * The script ends with a SELECT of the rows inserted, its result.
 *
 * Two different keys are taken for one only if the first 128 bits of their
 * SHA-256 agree: about 1 in 10^20 for 10^9 keys in a window.
 *
 * Parameters: @job_id, @target_table STRING; @files ARRAY<STRUCT<key, row_count>>;
 * @window_start, @window_end TIMESTAMP (NULL for a job of empty files).
 */
export function mergeScript(spec: TableSpec, names: Qualified, targetTable: string): string {
  const columns = spec.columns.map((c) => col(c.name));
  const values = spec.columns.map((c) => {
    if (c.name === spec.loadedAtColumn) return 'load_time';
    // wide_number_mode 'round': a number the JSON text holds with more digits
    // than FLOAT64 keeps is rounded instead of failing the whole merge.
    if (c.type === 'JSON') return `PARSE_JSON(N.${col(c.name)}, wide_number_mode => 'round')`;
    return `N.${col(c.name)}`;
  });
  const key = spec.keyColumns.map(col).join(', ');
  const time = col(spec.timeColumn);
  const staged = mergedColumns(spec)
    .map((c) => `S.${col(c.name)}`)
    .join(', ');
  return `-- eventkit:merge target=${targetTable}
DECLARE load_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP();
DECLARE rows_inserted INT64 DEFAULT 0;
BEGIN TRANSACTION;
CREATE TEMP TABLE _eventkit_new AS
SELECT W.* FROM (
  SELECT ${staged}, ${keyHashSql(spec, 'S')} AS ${col('key_hash')}
  FROM ${q(names.staging)} AS S
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY ${key} ORDER BY ${time}) = 1
) AS W
LEFT JOIN (
  SELECT K.${col('key_hash')} FROM ${q(names.keys)} AS K
  WHERE K.${time} BETWEEN @window_start AND @window_end
) AS K ON K.${col('key_hash')} = W.${col('key_hash')}
WHERE K.${col('key_hash')} IS NULL;
INSERT INTO ${q(names.target)} (${columns.join(', ')})
SELECT ${values.join(', ')} FROM _eventkit_new AS N;
SET rows_inserted = @@row_count;
INSERT INTO ${q(names.keys)} (${col('key_hash')}, ${time})
SELECT N.${col('key_hash')}, N.${time} FROM _eventkit_new AS N;
INSERT INTO ${q(names.ledger)} (${col('key')}, ${col('target')}, ${col('job_id')}, ${col('row_count')}, ${col('loaded_at')})
SELECT f.key, @target_table, @job_id, f.row_count, load_time FROM UNNEST(@files) AS f;
COMMIT TRANSACTION;
SELECT rows_inserted;`;
}

/**
 * The ledger rows of one job (@job_id into @target_table): the merge writes
 * them in its transaction, so they exist exactly when the merge committed.
 * With `since`, only loads from @since on (partition pruning).
 */
export function jobLedgerSql(ledger: string, since: boolean): string {
  return `-- eventkit:job-ledger
SELECT COUNT(*) AS files, IFNULL(SUM(${col('row_count')}), 0) AS row_count
FROM ${q(ledger)}
WHERE ${col('job_id')} = @job_id AND ${col('target')} = @target_table${since ? `\n  AND ${col('loaded_at')} >= @since` : ''}`;
}

/** Which of @keys the ledger has; with `since`, only loads from @since on (partition pruning). */
export function loadedKeysSql(ledger: string, since: boolean): string {
  return `-- eventkit:loaded-keys
SELECT DISTINCT ${col('key')} AS key
FROM ${q(ledger)}
WHERE ${col('key')} IN UNNEST(@keys)${since ? `\n  AND ${col('loaded_at')} >= @since` : ''}`;
}

/**
 * The greatest ledger key under each of @prefixes, among loads of the last
 * `days` days (partition-pruned): a lane with no load that recent has no
 * watermark and is listed from its start, which is correct, only slower.
 */
export function lastLoadedKeysSql(ledger: string, days: number): string {
  return `-- eventkit:last-loaded-keys
SELECT prefix, MAX(l.${col('key')}) AS last_key
FROM UNNEST(@prefixes) AS prefix
CROSS JOIN ${q(ledger)} AS l
WHERE STARTS_WITH(l.${col('key')}, prefix)
  AND l.${col('loaded_at')} >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL ${Math.trunc(days)} DAY)
GROUP BY prefix`;
}

/** Distinct files, their rows at their latest load, and the latest load time. Scans the whole ledger. */
export function ledgerSummarySql(ledger: string): string {
  return `-- eventkit:ledger-summary
SELECT COUNT(*) AS files, IFNULL(SUM(row_count), 0) AS row_count, MAX(loaded_at) AS last_loaded_at
FROM (
  SELECT ${col('key')}, ARRAY_AGG(${col('row_count')} ORDER BY ${col('loaded_at')} DESC LIMIT 1)[OFFSET(0)] AS row_count,
    MAX(${col('loaded_at')}) AS loaded_at
  FROM ${q(ledger)}
  GROUP BY ${col('key')}
)`;
}

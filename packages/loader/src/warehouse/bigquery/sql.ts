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
 * The merge of one job, as one multi-statement transaction, so the rows and the
 * ledger rows commit together or not at all:
 * 1. MERGE the staging rows into the target: one row per key (the earliest),
 *    inserted only when no row with the same key is in the target within the
 *    dedup window. The window is in the ON clause as constant parameters
 *    (@window_start, @window_end), which prunes the target's partitions to the
 *    window and nothing else; target rows outside it do not match, which is the
 *    window's meaning.
 * 2. Append one ledger row per file.
 * The script ends with a SELECT of the rows inserted, its result.
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
    if (c.type === 'JSON') return `PARSE_JSON(S.${col(c.name)}, wide_number_mode => 'round')`;
    return `S.${col(c.name)}`;
  });
  const key = spec.keyColumns.map(col).join(', ');
  const time = col(spec.timeColumn);
  const on = spec.keyColumns.map((k) => `T.${col(k)} = S.${col(k)}`).join(' AND ');
  const staged = mergedColumns(spec)
    .map((c) => col(c.name))
    .join(', ');
  return `-- eventkit:merge target=${targetTable}
DECLARE load_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP();
DECLARE rows_inserted INT64 DEFAULT 0;
BEGIN TRANSACTION;
MERGE ${q(names.target)} AS T
USING (
  SELECT ${staged}
  FROM ${q(names.staging)}
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY ${key} ORDER BY ${time}) = 1
) AS S
ON ${on}
  AND T.${time} BETWEEN @window_start AND @window_end
WHEN NOT MATCHED THEN
  INSERT (${columns.join(', ')})
  VALUES (${values.join(', ')});
SET rows_inserted = @@row_count;
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

// BigQuery table resources: the target tables (typed, JSON columns, day
// partitions on the time column, clustering), the ledger, and the staging
// tables a run loads its files into (JSON travels as STRING: BigQuery cannot
// load JSON-typed columns from Parquet).
import type { Column } from '@eventkit/shared/event';
import type { TableSpec } from '../tables.ts';

export interface FieldSchema {
  name: string;
  type: string;
  mode: string;
  description?: string;
}

export function targetFields(spec: TableSpec): FieldSchema[] {
  return spec.columns.map((c) => ({ name: c.name, type: c.type, mode: c.mode, description: c.description }));
}

/**
 * The staging table: exactly the columns of the files, JSON as STRING, all
 * NULLABLE. The files carry `loaded_at` (always NULL: the worker writes every
 * warehouse column, see the file contract in the README), so the staging
 * schema has it too. Why the schema follows the files rather than the files
 * dropping the column: BigQuery counts a Parquet column the schema lacks as a
 * bad record (JobConfigurationLoad.ignoreUnknownValues; maxBadRecords is 0),
 * and files already in buckets have it; keeping one file schema means old and
 * new files load alike, in one load job and in the count step's external
 * table, without depending on how BigQuery fills a column a file lacks.
 */
export function stagingFields(spec: TableSpec): FieldSchema[] {
  return spec.columns.map((c) => ({
    name: c.name,
    type: c.type === 'JSON' ? 'STRING' : c.type,
    mode: 'NULLABLE',
  }));
}

/** The columns the merge takes from the staged rows: all but loaded_at, which the merge sets. */
export const mergedColumns = (spec: TableSpec): Column[] =>
  spec.columns.filter((c) => c.name !== spec.loadedAtColumn);

export function targetTableResource(spec: TableSpec, description: string) {
  return {
    description,
    schema: { fields: targetFields(spec) },
    timePartitioning: { type: 'DAY', field: spec.timeColumn },
    clustering: { fields: [...spec.clusterColumns] },
  };
}

export const LEDGER_FIELDS: FieldSchema[] = [
  { name: 'key', type: 'STRING', mode: 'REQUIRED', description: 'Object key of the file' },
  { name: 'target', type: 'STRING', mode: 'REQUIRED', description: 'Table the file was loaded into' },
  { name: 'job_id', type: 'STRING', mode: 'REQUIRED', description: 'Deterministic id of the load job' },
  { name: 'row_count', type: 'INT64', mode: 'REQUIRED', description: 'Rows read from the file' },
  { name: 'loaded_at', type: 'TIMESTAMP', mode: 'REQUIRED', description: 'When the load was committed' },
];

export function ledgerTableResource() {
  return {
    description:
      'eventkit loader ledger: one row per file load, written in the same transaction as its rows.',
    schema: { fields: LEDGER_FIELDS },
    timePartitioning: { type: 'DAY', field: 'loaded_at' },
    clustering: { fields: ['key'] },
  };
}

/** The dedup index of a target table (sql.ts, mergeScript): one narrow row per row of the target. */
export const keysTableName = (target: string): string => `_eventkit_keys_${target}`;

/** Labels of the keys table: `ready` once it holds a key for every row of the target (keysBackfillSql). */
export const KEYS_LABEL = 'eventkit_keys';

export function keysTableResource(spec: TableSpec) {
  return {
    description:
      'eventkit dedup index: a 128-bit hash of each row key of the target and its time, written in the same transaction as the rows.',
    schema: {
      fields: [
        {
          name: 'key_hash',
          type: 'BYTES',
          mode: 'REQUIRED',
          description: `First 16 bytes of SHA-256 of the row key (${spec.keyColumns.join(', ')})`,
        },
        { name: spec.timeColumn, type: 'TIMESTAMP', mode: 'REQUIRED', description: 'The row time' },
      ],
    },
    // Partitioned like the target, so the merge's window prunes it the same way. Not clustered:
    // the merge joins on the hash, and clustering prunes blocks by constant filters.
    timePartitioning: { type: 'DAY', field: spec.timeColumn },
    labels: { [KEYS_LABEL]: 'pending' },
  };
}

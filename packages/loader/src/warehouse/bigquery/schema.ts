// BigQuery table resources: the target tables (typed, JSON columns, day
// partitions on the time column, clustering), the ledger, and the staging
// tables a run loads its files into (JSON travels as STRING: BigQuery cannot
// load JSON-typed columns from Parquet).
import type { Column } from '@eventkit/shared';
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

/** The columns as they are in the files: JSON as STRING, everything NULLABLE, no loaded_at. */
export function stagingFields(spec: TableSpec): FieldSchema[] {
  return fileColumns(spec).map((c) => ({
    name: c.name,
    type: c.type === 'JSON' ? 'STRING' : c.type,
    mode: 'NULLABLE',
  }));
}

export const fileColumns = (spec: TableSpec): Column[] =>
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

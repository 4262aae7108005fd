// What the two warehouses agree on: the tables, their columns, their dedup key
// and the time column their partitions, dedup window and ledger pruning use.
import { type Column, ERROR_COLUMNS, WAREHOUSE_COLUMNS } from '@eventkit/shared/event';
import type { LoadTable } from '@eventkit/shared/ports';

export interface TableSpec {
  table: LoadTable;
  columns: readonly Column[];
  /** Rows with equal values here are one event: the merge keeps one. */
  keyColumns: readonly string[];
  /** Partitioning column (by day) and the column the dedup window is measured on. */
  timeColumn: string;
  clusterColumns: readonly string[];
  /** How the worker writes the table's files. */
  format: 'parquet' | 'ndjson';
  /** Filled in by the loader, never read from files. */
  loadedAtColumn?: string;
}

export const EVENTS_SPEC: TableSpec = {
  table: 'events',
  columns: WAREHOUSE_COLUMNS,
  keyColumns: ['source', 'message_id'],
  timeColumn: 'received_at',
  clusterColumns: ['stream', 'type', 'event'],
  format: 'parquet',
  loadedAtColumn: 'loaded_at',
};

export const ERRORS_SPEC: TableSpec = {
  table: 'errors',
  columns: ERROR_COLUMNS,
  keyColumns: ['id'],
  timeColumn: 'failed_at',
  clusterColumns: ['error_type', 'stream'],
  format: 'ndjson',
};

export const specFor = (table: LoadTable): TableSpec => (table === 'events' ? EVENTS_SPEC : ERRORS_SPEC);

/** Names of the warehouse objects, from GCP_BIGQUERY_DATASET and GCP_BIGQUERY_TABLE. */
export interface TableNames {
  dataset: string;
  events: string;
  errors: string;
  /** The ledger: one row per file load (key, target, job_id, rows, loaded_at). */
  ledger: string;
}

export function tableNames(dataset: string, table: string): TableNames {
  return { dataset, events: table, errors: `${table}_errors`, ledger: '_loaded_files' };
}

export const targetOf = (names: TableNames, table: LoadTable): string =>
  table === 'events' ? names.events : names.errors;

const DAY_MS = 86_400_000;

/**
 * The dedup window of a batch whose time column spans [min, max]: a target row
 * with the same key suppresses a staged row when its time is within
 * `days` of the batch, i.e. in [min − days, max + days]. So two copies of an
 * event whose times are at most `days` apart never both end up in the table.
 */
export function dedupWindow(min: Date, max: Date, days: number): { start: Date; end: Date } {
  return { start: new Date(min.getTime() - days * DAY_MS), end: new Date(max.getTime() + days * DAY_MS) };
}

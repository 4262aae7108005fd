// @eventkit/loader: new event files into BigQuery or DuckDB, exactly once.
// The local all-in-one mode runs a loader in its process:
//   const loader = await loaderFromConfig(config, { logger }); // or createLoader({ store, warehouse, ... })
//   void loader.loop();     // every EVENTKIT_WAREHOUSE_LOADER_INTERVAL s
//   await loader.runOnce(); // or load now (never throws: see RunReport)
//   await loader.stop();    // ends the loop; the running job finishes, no other starts
//   await loader.runOnce(); // after stop(): a final load, run in full

export {
  createWarehouse,
  type LoaderFromConfigOptions,
  loaderFromConfig,
} from './compose.ts';
export { DEFAULT_GROUP_LIMITS, type GroupLimits, jobIdFor } from './core/grouping.ts';
export {
  createLoader,
  type Loader,
  type LoaderDeps,
  type LoaderSettings,
  loaderSettings,
} from './core/loader.ts';
export {
  type BackfillProgress,
  type BackfillRange,
  BackfillRangeError,
  describeError,
  type LoaderStatus,
  type PendingSummary,
  type RunReport,
} from './core/report.ts';
export { BigQueryWarehouse, type BigQueryWarehouseOptions } from './warehouse/bigquery/bigquery-warehouse.ts';
export { DuckDbLockedError, DuckDbMissingError } from './warehouse/duckdb/duckdb-file.ts';
export { DuckDbWarehouse, type DuckDbWarehouseOptions } from './warehouse/duckdb/duckdb-warehouse.ts';
export { type QueryResult, queryDuckDb } from './warehouse/duckdb/query.ts';

// @eventkit/shared/parquet: the one Parquet encoder of event files (DuckDB), used by
// the worker to write them and by the loader's tests to make files like them.
export { ParquetEncoder, type ParquetEncoderOptions, rowToRoutedEvent } from './encoder.ts';

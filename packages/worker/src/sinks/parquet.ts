// The worker's Parquet encoding is the shared encoder (@eventkit/shared/parquet),
// so the loader's tests load exactly the files the worker writes.
export { ParquetEncoder, type ParquetEncoderOptions, rowToRoutedEvent } from '@eventkit/shared/parquet';

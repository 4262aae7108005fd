// The DuckDB file's failures a command turns into one line (output/friendly-errors.ts),
// apart from duckdb-file.ts so that recognising them does not load DuckDB.

export class DuckDbLockedError extends Error {
  override readonly name = 'DuckDbLockedError';
}

export class DuckDbMissingError extends Error {
  override readonly name = 'DuckDbMissingError';
}

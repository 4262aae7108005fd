// Failures a user can act on, as one line and exit 1 instead of a stack: the
// DuckDB file missing or held by another process, or an SQL error in `query`.
import { CliError } from '@eventkit/shared/cli';
import { DuckDbLockedError, DuckDbMissingError } from '../warehouse/duckdb/errors.ts';

export async function withFriendlyErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DuckDbMissingError) {
      throw new CliError(`${err.message}: nothing was loaded yet (run \`eventkit-loader run --once\`)`, 1);
    }
    if (err instanceof DuckDbLockedError) throw new CliError(err.message, 1);
    if (
      err instanceof Error &&
      /^(Parser|Binder|Catalog|Conversion|Invalid Input|Constraint|IO) Error/.test(err.message)
    ) {
      throw new CliError(err.message, 1);
    }
    throw err;
  }
}

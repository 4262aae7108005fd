// The job configurations the BigQuery warehouse sends: queries (with named
// parameters), loads into the staging table, and the count step's external
// table over the same files.

import type { TableSpec } from '../tables.ts';
import type { QueryParameter } from './params.ts';
import { stagingFields } from './schema.ts';

export function queryConfig(sql: string, params: QueryParameter[], extra: object = {}) {
  return {
    query: {
      query: sql,
      useLegacySql: false,
      ...(params.length > 0 ? { parameterMode: 'NAMED', queryParameters: params } : {}),
      ...extra,
    },
  };
}

function sourceFormat(spec: TableSpec): string {
  return spec.format === 'parquet' ? 'PARQUET' : 'NEWLINE_DELIMITED_JSON';
}

export function loadConfig(
  spec: TableSpec,
  uris: string[],
  destination: { projectId: string; datasetId: string; tableId: string },
) {
  return {
    load: {
      sourceUris: uris,
      sourceFormat: sourceFormat(spec),
      destinationTable: destination,
      schema: { fields: stagingFields(spec) },
      createDisposition: 'CREATE_NEVER',
      writeDisposition: 'WRITE_TRUNCATE',
      // Said out loud, though they are the defaults: a column the staging schema
      // does not know (a Parquet column, an NDJSON field) fails the load instead
      // of being dropped, so a drift between the worker's files and this schema
      // is loud (schema.ts, stagingFields).
      ignoreUnknownValues: false,
      maxBadRecords: 0,
    },
  };
}

export function externalFiles(spec: TableSpec, uris: string[]) {
  return {
    sourceUris: uris,
    sourceFormat: sourceFormat(spec),
    // Parquet describes itself; NDJSON needs the schema.
    ...(spec.format === 'ndjson' ? { schema: { fields: stagingFields(spec) } } : {}),
  };
}

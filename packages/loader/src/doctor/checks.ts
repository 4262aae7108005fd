// What the loader needs, checked: the bucket (or data directory) with the
// worker's files, where it also keeps its lease and quarantine records (so a
// probe object is written, read back and deleted under `{prefix}_eventkit/`),
// and the warehouse — BigQuery's dataset in GCP_BIGQUERY_LOCATION and the
// right to run jobs (a dry-run query, which runs nothing and costs nothing), or
// the DuckDB file's directory writable with room.
import path from 'node:path';
import type { LoaderConfig } from '@eventkit/shared/config';
import { type Check, CheckFailure, directoryCheck, objectStoreCheck } from '@eventkit/shared/doctor';
import { keyPrefix } from '@eventkit/shared/layout';
import { openObjectStore } from '@eventkit/shared/object-store';
import type { BigQuery } from '@google-cloud/bigquery';

/** Free space the DuckDB file's directory should have. */
export const MIN_FREE_BYTES_DUCKDB = 1024 * 1024 * 1024;

export async function loaderChecks(config: LoaderConfig): Promise<Check[]> {
  const store = await openObjectStore(config);
  const gcs = config.eventStore === 'gcs';
  const prefix = keyPrefix(config.storagePrefix);
  const checks: Check[] = [
    objectStoreCheck(store, {
      where: gcs ? `gs://${config.gcpGcsBucket}/${prefix}` : config.dataDir,
      prefix,
      access: 'write',
      fix: gcs
        ? "grant roles/storage.objectViewer on the bucket and roles/storage.objectUser on _eventkit/ to the loader's service account (deploy/terraform/iam.tf), and check GCP_GCS_BUCKET"
        : 'make EVENTKIT_DATA_DIR writable by the loader',
    }),
  ];
  if (config.warehouse === 'bigquery') {
    const { BigQuery } = await import('@google-cloud/bigquery');
    const client = new BigQuery({ ...(config.gcpProjectId ? { projectId: config.gcpProjectId } : {}) });
    checks.push(bigQueryCheck(client, config.gcpBigqueryDataset ?? 'events', config.gcpBigqueryLocation));
  } else {
    checks.push(
      directoryCheck(path.dirname(config.duckdbPath), {
        setting: 'EVENTKIT_DUCKDB_PATH (or EVENTKIT_DATA_DIR)',
        minFreeBytes: MIN_FREE_BYTES_DUCKDB,
      }),
    );
  }
  return checks;
}

/**
 * The dataset exists in the configured location (the loader creates a missing
 * one on its first run, in GCP_BIGQUERY_LOCATION: a warn, not a failure), and
 * this identity may run jobs there (a dry-run query: bigquery.jobs.create).
 */
export function bigQueryCheck(client: BigQuery, dataset: string, location: string | undefined): Check {
  return {
    name: `BigQuery dataset ${client.projectId}.${dataset}`,
    async run() {
      let where: string | undefined;
      let note = '';
      try {
        const [metadata] = await client.dataset(dataset).getMetadata();
        where = metadata.location as string | undefined;
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw bigQueryFailure(err);
        note = `; does not exist yet: the loader creates it in ${location ?? 'US'} on its first run`;
      }
      if (where && location && where.toUpperCase() !== location.toUpperCase()) {
        throw new CheckFailure(
          `the dataset is in ${where}, but GCP_BIGQUERY_LOCATION is ${location}`,
          `set GCP_BIGQUERY_LOCATION=${where}, or use another dataset (GCP_BIGQUERY_DATASET)`,
        );
      }
      try {
        await client.createQueryJob({ query: 'SELECT 1', dryRun: true, location: where ?? location ?? 'US' });
      } catch (err) {
        throw bigQueryFailure(err);
      }
      return {
        status: note ? 'warn' : 'ok',
        detail: `${where ? `in ${where}` : 'no dataset'}; a dry-run query job was accepted${note}`,
      };
    },
  };
}

function bigQueryFailure(err: unknown): CheckFailure {
  const code = (err as { code?: number }).code;
  return new CheckFailure(
    (err as Error).message,
    code === 403
      ? "grant roles/bigquery.jobUser on the project and roles/bigquery.dataEditor on the dataset to the loader's service account (deploy/terraform/iam.tf)"
      : 'check GCP_PROJECT_ID and the credentials (gcloud auth application-default login, or Workload Identity)',
  );
}

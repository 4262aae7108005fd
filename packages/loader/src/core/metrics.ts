// The loader's Prometheus metrics (names prefixed eventkit_loader_, so the local
// mode can put them on a registry shared with the other roles).
import {
  createMetricsRegistry,
  defineCounter,
  defineGauge,
  defineHistogram,
  type Registry,
} from '@eventkit/shared/metrics';
import type { LoadResult, LoadTable } from '@eventkit/shared/ports';
import type { RunReport } from './report.ts';

export interface LoaderMetrics {
  jobFinished(table: LoadTable, files: number, result: LoadResult, seconds: number): void;
  runFinished(report: RunReport): void;
  fileQuarantined(table: LoadTable): void;
  filesDeleted(n: number): void;
}

export function loaderMetrics(registry: Registry = createMetricsRegistry({}, { processMetrics: false })) {
  // A loader created again on the same registry (the local mode restarting it) reuses the series.
  const existing = <M>(name: string, define: () => M): M => (registry.getSingleMetric(name) as M) ?? define();
  const files = existing('eventkit_loader_files_loaded_total', () =>
    defineCounter(registry, {
      name: 'eventkit_loader_files_loaded_total',
      help: 'Files recorded as loaded into the warehouse.',
      labelNames: ['table'],
    }),
  );
  const rows = existing('eventkit_loader_rows_inserted_total', () =>
    defineCounter(registry, {
      name: 'eventkit_loader_rows_inserted_total',
      help: 'Rows that were new and went into the table.',
      labelNames: ['table'],
    }),
  );
  const duplicates = existing('eventkit_loader_rows_duplicate_total', () =>
    defineCounter(registry, {
      name: 'eventkit_loader_rows_duplicate_total',
      help: 'Rows read from files that the merge dropped as duplicates (same key within the dedup window).',
      labelNames: ['table'],
    }),
  );
  const jobSeconds = existing('eventkit_loader_job_seconds', () =>
    defineHistogram(registry, {
      name: 'eventkit_loader_job_seconds',
      help: 'Duration of one load job (stage, merge, record).',
      labelNames: ['table'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    }),
  );
  const runs = existing('eventkit_loader_runs_total', () =>
    defineCounter(registry, {
      name: 'eventkit_loader_runs_total',
      help: 'Loader runs by result (ok, failed, stopped, skipped: another loader held the lease).',
      labelNames: ['result'],
    }),
  );
  const quarantined = existing('eventkit_loader_files_quarantined_total', () =>
    defineCounter(registry, {
      name: 'eventkit_loader_files_quarantined_total',
      help: 'Files set aside because they can never load (corrupt, bad encoding); never retried automatically.',
      labelNames: ['table'],
    }),
  );
  const deleted = existing('eventkit_loader_files_deleted_total', () =>
    defineCounter(registry, {
      name: 'eventkit_loader_files_deleted_total',
      help: 'Loaded files deleted from the local data directory past their grace period (local mode only).',
    }),
  );
  const lastSuccess = existing('eventkit_loader_last_success_timestamp_seconds', () =>
    defineGauge(registry, {
      name: 'eventkit_loader_last_success_timestamp_seconds',
      help: 'Unix time of the end of the last run that loaded everything pending.',
    }),
  );
  return {
    jobFinished(table, n, result, seconds) {
      jobSeconds.observe({ table }, seconds);
      if (result.alreadyDone) return;
      files.inc({ table }, n);
      rows.inc({ table }, result.rowsInserted);
      duplicates.inc({ table }, result.rowsRead - result.rowsInserted);
    },
    fileQuarantined(table) {
      quarantined.inc({ table });
    },
    filesDeleted(n) {
      deleted.inc(n);
    },
    runFinished(report) {
      const result = !report.ok
        ? 'failed'
        : report.leaseHeldBy
          ? 'skipped'
          : report.stopped
            ? 'stopped'
            : 'ok';
      runs.inc({ result });
      if (result === 'ok') lastSuccess.set(Date.now() / 1000);
    },
  } satisfies LoaderMetrics;
}

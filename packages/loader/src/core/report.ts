// What a load run (or a backfill) reports, and how the report is logged. Kept
// apart from loader.ts so metrics.ts and the commands can use the report
// without importing the loader.
import type { Logger } from '@eventkit/shared/logging';
import type { LoadTable } from '@eventkit/shared/ports';
import type { LeaseHolder } from './lease.ts';
import type { LoaderMetrics } from './metrics.ts';
import type { QuarantineRecord } from './quarantine.ts';

export interface RunReport {
  /** No job failed. */
  ok: boolean;
  /** stop() ended the run early; pending files may remain (none is half recorded). */
  stopped: boolean;
  jobs: number;
  files: number;
  rowsRead: number;
  rowsInserted: number;
  /** Jobs the warehouse had already finished (a retry after a crash). */
  jobsAlreadyDone: number;
  /** Files set aside in this run because they can never load (quarantine.ts). */
  filesQuarantined: number;
  /** Loaded files deleted past their grace period (retention.ts; local mode only). */
  filesDeleted: number;
  durationMs: number;
  /** The failure that ended the run, when !ok. */
  error?: Error;
  /** Another loader held the lease, so this run loaded nothing (not a failure: that loader loads the files). */
  leaseHeldBy?: LeaseHolder;
}

export function newReport(): RunReport {
  return {
    ok: true,
    stopped: false,
    jobs: 0,
    files: 0,
    rowsRead: 0,
    rowsInserted: 0,
    jobsAlreadyDone: 0,
    filesQuarantined: 0,
    filesDeleted: 0,
    durationMs: 0,
  };
}

export interface PendingSummary {
  files: number;
  bytes: number;
  /** Creation time of the oldest pending file. */
  oldest: Date | undefined;
  byTable: Record<LoadTable, number>;
}

export interface LoaderStatus {
  warehouse: string;
  pending: PendingSummary;
  /** Undefined when the warehouse keeps no summary of its ledger. */
  loaded: { files: number; rows: number; lastLoadedAt: Date | undefined } | undefined;
  /** Files that can never load, set aside (at most the first 100 records). */
  quarantined: QuarantineRecord[];
}

export interface BackfillRange {
  /** YYYY-MM-DD, inclusive (UTC folder dates). */
  from: string;
  to: string;
}

export interface BackfillProgress {
  totalFiles: number;
  totalBytes: number;
  doneFiles: number;
  rowsInserted: number;
}

export class BackfillRangeError extends Error {
  override readonly name = 'BackfillRangeError';
}

/** Ends a report: its duration, the run metrics, one log line (`{what}_finished`, `_failed` or `_skipped`). */
export function finishReport(
  report: RunReport,
  started: number,
  what: 'load_run' | 'backfill',
  log: Logger,
  metrics: LoaderMetrics,
): RunReport {
  report.durationMs = Math.round(performance.now() - started);
  metrics.runFinished(report);
  const fields = {
    jobs: report.jobs,
    files: report.files,
    rows_inserted: report.rowsInserted,
    files_quarantined: report.filesQuarantined,
    stopped: report.stopped,
    duration_ms: report.durationMs,
  };
  if (!report.ok) {
    log.error({ ...fields, error: describeError(report.error) }, `${what}_failed`);
  } else if (report.leaseHeldBy) {
    log.warn(
      {
        reason: 'another loader holds the lease',
        lease_owner: report.leaseHeldBy.owner,
        lease_expires_at: report.leaseHeldBy.expiresAt.toISOString(),
      },
      `${what}_skipped`,
    );
  } else if (report.jobs > 0 || report.stopped) {
    log.info(fields, `${what}_finished`);
  } else {
    log.debug(fields, `${what}_finished`);
  }
  return report;
}

/**
 * An error as one log-safe line: its first line, without the `Input: "…"`
 * excerpt DuckDB adds to conversion errors (it can quote event data), capped.
 */
export function describeError(err: unknown): string {
  const text =
    err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  const line = (text.split('\n')[0] ?? '').replace(/\s*Input: ".*$/, ' (input not logged)');
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

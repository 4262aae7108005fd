// Running a load (or a backfill) while holding the loader lease (lease.ts):
// acquire, renew in the background, release at the end.
import type { Logger } from '@eventkit/shared/logging';
import { type Lease, LeaseLostError } from './lease.ts';
import { describeError, type RunReport } from './report.ts';

export interface HoldOptions {
  /** A backfill waits for the lease (asking every `waitMs`); a run does not. */
  wait: boolean;
  waitMs: number;
  stopped: () => boolean;
}

/**
 * Runs `fn` holding the lease, renewing it meanwhile, and releases it. When
 * another loader holds it: with `wait`, asks again every waitMs until it is
 * free (or stop()); else the report says who holds it and `fn` does not run.
 */
export async function holdingLease(
  lease: Lease,
  log: Logger,
  report: RunReport,
  options: HoldOptions,
  fn: () => Promise<void>,
): Promise<void> {
  if (!(await acquire(lease, log, report, options))) return;
  const stopRenewing = lease.keepAlive((err) => {
    if (err instanceof LeaseLostError) log.error({ error: describeError(err) }, 'loader_lease_lost');
    else log.warn({ error: describeError(err) }, 'loader_lease_renew_failed');
  });
  try {
    await fn();
  } finally {
    stopRenewing();
    try {
      await lease.release();
    } catch (err) {
      // It expires by itself; the next loader waits at most that long.
      log.warn({ error: describeError(err) }, 'loader_lease_release_failed');
    }
  }
}

async function acquire(lease: Lease, log: Logger, report: RunReport, options: HoldOptions): Promise<boolean> {
  let waited = false;
  for (;;) {
    const got = await lease.acquire();
    if (got.acquired) break;
    if (!options.wait) {
      report.leaseHeldBy = got.holder;
      return false;
    }
    if (!waited) {
      log.info(
        { lease_owner: got.holder.owner, lease_expires_at: got.holder.expiresAt.toISOString() },
        'loader_lease_wait',
      );
      waited = true;
    }
    if (options.stopped()) {
      report.stopped = true;
      return false;
    }
    await new Promise((r) => setTimeout(r, options.waitMs));
  }
  if (waited) log.info({ lease_owner: lease.owner }, 'loader_lease_acquired');
  return true;
}

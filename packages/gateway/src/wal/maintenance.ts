// The WAL's periodic upkeep while the gateway runs: deleting published rows
// past their retention (and reclaiming pages), and reading the age of the
// oldest pending row for its gauge. Both timers are unref'd; stop() ends them.
import type { Logger } from '@eventkit/shared/logging';
import type { WriteAheadLog } from './wal.ts';

export interface MaintenanceOptions {
  retentionMs: number;
  maxPublished: number;
  cleanupIntervalMs: number;
  /** How often the oldest pending row is read (default 5 s). */
  statsIntervalMs?: number;
  /** The oldest pending row's time (epoch ms), or null when nothing is pending. */
  onOldestPending: (at: number | null) => void;
}

export function startWalMaintenance(
  wal: WriteAheadLog,
  logger: Logger,
  options: MaintenanceOptions,
): () => void {
  const cleanup = setInterval(() => {
    wal
      .cleanup({ retentionMs: options.retentionMs, maxPublished: options.maxPublished })
      .then(
        (r) =>
          r.deleted > 0 &&
          logger.info({ deleted: r.deleted, reclaimed_pages: r.reclaimedPages }, 'wal_cleanup'),
      )
      .catch((err) => logger.error({ err }, 'wal_cleanup_failed'));
  }, options.cleanupIntervalMs);
  cleanup.unref();
  const stats = setInterval(() => {
    wal
      .stats()
      .then((s) => options.onOldestPending(s.oldestPendingAt))
      .catch(() => {});
  }, options.statsIntervalMs ?? 5000);
  stats.unref();
  return () => {
    clearInterval(cleanup);
    clearInterval(stats);
  };
}

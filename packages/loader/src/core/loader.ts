// The loader: discovery → grouping → Warehouse.load, once or in a loop.
// Plain TypeScript over the ObjectStore and Warehouse ports; the composition
// roots (compose.ts here, the local all-in-one mode) build the adapters.
//
// Exactly once per file is the warehouse's promise (ports/warehouse.ts): a job
// records its files in the same commit that adds their rows, and a job id is
// a hash of its files, so a job retried after a crash is found finished. This
// module's part is to only ever hand the warehouse whole groups, oldest first,
// and to stop between jobs: stop() lets the running job finish and starts no
// other, so a stopped loader never leaves a file half recorded.
//
// One loader per target at a time: a run (and a backfill) holds the loader
// lease (lease.ts) from its first listing to its last merge, and confirms it
// before every merge. A run that finds the lease held by another loader does
// nothing and says so (`load_run_skipped`, RunReport.leaseHeldBy); a backfill
// waits for it.
import type { LoaderConfig } from '@eventkit/shared/config';
import { keyPrefix, parseDay } from '@eventkit/shared/layout';
import type { Logger } from '@eventkit/shared/logging';
import { silentLogger } from '@eventkit/shared/logging';
import type { Registry } from '@eventkit/shared/metrics';
import type { LoadTable, Warehouse } from '@eventkit/shared/ports';
import { type ObjectStore, WarehouseConfigError } from '@eventkit/shared/ports';
import { type DiscoveryOptions, filesInDays, pendingFiles } from './discovery.ts';
import { DEFAULT_GROUP_LIMITS, type GroupLimits } from './grouping.ts';
import { JobRunner } from './jobs.ts';
import { Lease, LeaseLostError, leaseKey } from './lease.ts';
import { holdingLease } from './lease-holding.ts';
import { type LoaderMetrics, loaderMetrics } from './metrics.ts';
import { Quarantine } from './quarantine.ts';
import {
  type BackfillProgress,
  type BackfillRange,
  BackfillRangeError,
  describeError,
  finishReport,
  type LoaderStatus,
  newReport,
  type PendingSummary,
  type RunReport,
} from './report.ts';
import { deleteLoadedFiles, type RetentionOptions } from './retention.ts';
import { ViewsRefresh } from './views-refresh.ts';

/** What the settings table decides: required here, so its defaults live in one place (the table). */
export interface LoaderSettings {
  /** EVENTKIT_STORAGE_PREFIX (normalized here). */
  prefix: string;
  /** EVENTKIT_DEDUP_WINDOW_DAYS. */
  dedupWindowDays: number;
  /** EVENTKIT_WAREHOUSE_LOADER_INTERVAL, seconds between the starts of two runs in loop(). */
  intervalSeconds: number;
  /** EVENTKIT_WAREHOUSE_LOOKBACK_HOURS (see discovery.ts). */
  lookbackHours: number;
  /** EVENTKIT_WAREHOUSE_LOADER_LEASE: seconds a loader lease lasts without renewal (lease.ts). */
  leaseSeconds: number;
  /** What the lease guards, part of its key: the target `{dataset}.{table}`. */
  leaseTarget: string;
}

/** The loader's settings from a resolved configuration. */
export function loaderSettings(config: LoaderConfig): LoaderSettings {
  return {
    prefix: config.storagePrefix,
    dedupWindowDays: config.dedupWindowDays,
    intervalSeconds: config.warehouseLoaderInterval,
    lookbackHours: config.warehouseLookbackHours,
    leaseSeconds: config.warehouseLoaderLease,
    leaseTarget: `${config.gcpBigqueryDataset ?? 'events'}.${config.gcpBigqueryTable}`,
  };
}

export interface LoaderDeps extends LoaderSettings {
  store: ObjectStore;
  warehouse: Warehouse;
  /** Bounds of one load job. */
  limits?: Partial<GroupLimits>;
  /** Objects per listing request. */
  pageSize?: number;
  logger?: Logger;
  /** Where the loader's metrics go (a private registry when absent). */
  metrics?: Registry;
  /** This loader's name in the lease (default: host, PID and a random suffix). */
  leaseOwner?: string;
  /** How often a backfill waiting for the lease asks again, ms. Default 1000. */
  leaseWaitMs?: number;
  /**
   * The store is on this machine only (the file store): a lease left by a dead
   * process of this host is free at once instead of after it expires (lease.ts).
   */
  leaseSameMachine?: boolean;
  /** Test seam: the loader's clock (ms since the epoch). Default Date.now. */
  now?: () => number;
  /**
   * Delete loaded files past a grace period at the end of each run (retention.ts).
   * For the local data directory only; a bucket's lifecycle rule does it on GCS.
   */
  retention?: RetentionOptions;
}

export const TABLES: readonly LoadTable[] = ['events', 'errors'];

export interface Loader {
  /** Loads everything pending now. Never throws: failures are in the report. */
  runOnce(): Promise<RunReport>;
  /** Runs every intervalSeconds until stop(); resolves once stopped. A stopped loop does not start again. */
  loop(): Promise<void>;
  /**
   * Ends the loop and the run in progress: the running job finishes, no other
   * starts. Resolves when idle. A runOnce() or backfill() called after that
   * runs in full (e.g. a final load at shutdown).
   */
  stop(): Promise<void>;
  /** stop() was called: the loop is over. */
  readonly stopping: boolean;
  status(): Promise<LoaderStatus>;
  /** Reloads every file whose folder date is in the range, loaded or not; dedup keeps it idempotent. */
  backfill(range: BackfillRange, onProgress?: (p: BackfillProgress) => void): Promise<RunReport>;
}

export function createLoader(deps: LoaderDeps): Loader {
  return new LoaderRuns(deps);
}

/** The body of a run or a backfill, given its report and whether stop() was called since it began. */
type RunBody = (report: RunReport, stopped: () => boolean) => Promise<void>;

class LoaderRuns implements Loader {
  readonly #deps: LoaderDeps;
  readonly #log: Logger;
  readonly #metrics: LoaderMetrics;
  readonly #lease: Lease;
  readonly #quarantine: Quarantine;
  readonly #jobs: JobRunner;
  readonly #discovery: DiscoveryOptions;
  readonly #views: ViewsRefresh;
  #stopping = false;
  /** Bumped by stop(): a run stops between jobs once the count differs from when it started. */
  #stops = 0;
  #tablesReady = false;
  /** Runs one at a time (runOnce, loop and backfill share the warehouse). */
  #busy: Promise<unknown> = Promise.resolve();
  #looping: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(deps: LoaderDeps) {
    this.#deps = deps;
    this.#log = deps.logger ?? silentLogger();
    this.#metrics = loaderMetrics(deps.metrics);
    const prefix = keyPrefix(deps.prefix);
    this.#lease = new Lease({
      store: deps.store,
      key: leaseKey(prefix, deps.leaseTarget),
      durationMs: deps.leaseSeconds * 1000,
      ...(deps.leaseOwner ? { owner: deps.leaseOwner } : {}),
      sameMachine: deps.leaseSameMachine ?? false,
    });
    this.#quarantine = new Quarantine(deps.store, prefix);
    this.#jobs = new JobRunner({
      warehouse: deps.warehouse,
      lease: this.#lease,
      quarantine: this.#quarantine,
      metrics: this.#metrics,
      log: this.#log,
      limits: { ...DEFAULT_GROUP_LIMITS, ...deps.limits },
      dedupWindowDays: deps.dedupWindowDays,
    });
    this.#discovery = discoveryFor(deps, prefix, this.#log);
    this.#views = new ViewsRefresh(deps, prefix, this.#log);
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  runOnce(): Promise<RunReport> {
    return this.#serialized(() => this.#runOnceNow());
  }

  loop(): Promise<void> {
    this.#looping ??= this.#loopNow();
    return this.#looping;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stops += 1;
    this.#wake?.();
    // A loop that ended in error has said so to its caller.
    await Promise.all([this.#busy, this.#looping?.catch(() => undefined)]);
  }

  status(): Promise<LoaderStatus> {
    return this.#serialized(() => this.#statusNow());
  }

  backfill(range: BackfillRange, onProgress?: (p: BackfillProgress) => void): Promise<RunReport> {
    return this.#serialized(() => this.#backfillNow(range, onProgress));
  }

  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(fn, fn);
    this.#busy = run.catch(() => undefined);
    return run;
  }

  /**
   * The one path a run and a backfill share: a report, the stop epoch, the
   * lease (a backfill waits for it), the tables, failures into the report,
   * the summary line.
   */
  async #run(what: 'load_run' | 'backfill', wait: boolean, body: RunBody): Promise<RunReport> {
    const started = performance.now();
    const report = newReport();
    const epoch = this.#stops;
    const stopped = () => this.#stops !== epoch;
    try {
      await holdingLease(
        this.#lease,
        this.#log,
        report,
        { wait, waitMs: this.#deps.leaseWaitMs ?? 1000, stopped },
        async () => {
          if (!this.#tablesReady) await this.#deps.warehouse.ensureTables();
          this.#tablesReady = true;
          await body(report, stopped);
        },
      );
    } catch (err) {
      report.ok = false;
      report.error = err as Error;
      this.#tablesReady = false; // the tables may be what went missing: check again next run
    }
    return finishReport(report, started, what, this.#log, this.#metrics);
  }

  #runOnceNow(): Promise<RunReport> {
    return this.#run('load_run', false, async (report, stopped) => {
      // Each table its own lane: a failure in one does not stop the other.
      let eventRows = 0;
      for (const table of TABLES) {
        if (stopped()) report.stopped = true;
        if (report.stopped) break;
        const before = report.rowsInserted;
        await this.#lane(table, report, stopped);
        if (table === 'events') eventRows = report.rowsInserted - before;
      }
      // Still under the lease: one loader at a time replaces views (views-refresh.ts says when).
      if (!stopped()) await this.#views.afterRun(eventRows);
      if (this.#deps.retention && !stopped()) await this.#deleteLoaded(report, this.#deps.retention);
    });
  }

  /** One table's pending files; a failure ends the lane (and fails the run), not the other lane. */
  async #lane(table: LoadTable, report: RunReport, stopped: () => boolean): Promise<void> {
    try {
      await this.#jobs.loadGroups(table, pendingFiles(table, this.#discovery), { report, salt: '', stopped });
    } catch (err) {
      if (err instanceof LeaseLostError) throw err;
      this.#log.error({ table, error: describeError(err) }, 'load_lane_failed');
      report.ok = false;
      report.error ??= err as Error;
      this.#tablesReady = false;
    }
  }

  /** Retention (local mode): a failure is logged and retried next run; it never fails the load. */
  async #deleteLoaded(report: RunReport, retention: RetentionOptions): Promise<void> {
    try {
      const now = (this.#deps.now ?? Date.now)();
      report.filesDeleted = await deleteLoadedFiles(TABLES, this.#discovery, retention, now);
      if (report.filesDeleted > 0) {
        this.#metrics.filesDeleted(report.filesDeleted);
        this.#log.info(
          { files: report.filesDeleted, grace_hours: retention.graceMs / 3_600_000 },
          'loader_files_deleted',
        );
      }
    } catch (err) {
      this.#log.warn({ error: describeError(err) }, 'loader_retention_failed');
    }
  }

  async #backfillNow(range: BackfillRange, onProgress?: (p: BackfillProgress) => void): Promise<RunReport> {
    const { from, to } = parseRange(range);
    // A fresh id family per backfill: it reloads on purpose, and the merge's dedup
    // keeps the table unchanged for rows already there.
    const salt = `backfill ${range.from}..${range.to} ${new Date().toISOString()}`;
    const progress: BackfillProgress = { totalFiles: 0, totalBytes: 0, doneFiles: 0, rowsInserted: 0 };
    // A backfill is asked for by hand: it waits for a running loader to finish.
    return this.#run('backfill', true, async (report, stopped) => {
      // First pass counts (keys are not kept, so memory stays bounded), second loads.
      const quarantined = await this.#quarantine.keys();
      for (const table of TABLES) {
        for await (const f of filesInDays(table, from, to, this.#discovery)) {
          if (quarantined.has(f.key)) continue;
          progress.totalFiles += 1;
          progress.totalBytes += f.size;
        }
      }
      onProgress?.({ ...progress });
      const onJob = (files: number, rows: number) => {
        progress.doneFiles += files;
        progress.rowsInserted += rows;
        onProgress?.({ ...progress });
      };
      for (const table of TABLES) {
        await this.#jobs.loadGroups(table, filesInDays(table, from, to, this.#discovery), {
          report,
          salt,
          stopped,
          onJob,
        });
        if (report.stopped) break;
      }
    });
  }

  async #statusNow(): Promise<LoaderStatus> {
    const pending: PendingSummary = {
      files: 0,
      bytes: 0,
      oldest: undefined,
      byTable: { events: 0, errors: 0 },
    };
    const quarantined = await this.#quarantine.keys();
    for (const table of TABLES) {
      for await (const f of pendingFiles(table, this.#discovery)) {
        if (quarantined.has(f.key)) continue;
        pending.files += 1;
        pending.bytes += f.size;
        pending.byTable[table] += 1;
        if (!pending.oldest || f.updated < pending.oldest) pending.oldest = f.updated;
      }
    }
    const { warehouse } = this.#deps;
    const loaded = warehouse.ledgerSummary ? await warehouse.ledgerSummary() : undefined;
    return { warehouse: warehouse.kind, pending, loaded, quarantined: await this.#quarantine.records() };
  }

  async #loopNow(): Promise<void> {
    const intervalMs = this.#deps.intervalSeconds * 1000;
    this.#log.info(
      { interval_seconds: intervalMs / 1000, warehouse: this.#deps.warehouse.kind },
      'loader_started',
    );
    while (!this.#stopping) {
      const started = Date.now();
      const report = await this.#serialized(() => this.#runOnceNow());
      // A misconfigured warehouse fails every run alike: stop, and say why once.
      if (report.error instanceof WarehouseConfigError) throw report.error;
      const wait = intervalMs - (Date.now() - started);
      if (this.#stopping || wait <= 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    this.#log.info({}, 'loader_stopped');
  }
}

function discoveryFor(deps: LoaderDeps, prefix: string, log: Logger): DiscoveryOptions {
  const foreignSeen = new Set<string>();
  return {
    store: deps.store,
    warehouse: deps.warehouse,
    prefix,
    lookbackHours: deps.lookbackHours,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
    onForeignKey: (key) => {
      if (foreignSeen.has(key) || foreignSeen.size >= 1000) return;
      foreignSeen.add(key);
      log.warn({ key }, 'loader_foreign_key_ignored');
    },
  };
}

function parseRange(range: BackfillRange): { from: number; to: number } {
  const from = parseDay(range.from);
  const to = parseDay(range.to);
  if (from === undefined)
    throw new BackfillRangeError(`--from: expected a date YYYY-MM-DD, got "${range.from}"`);
  if (to === undefined) throw new BackfillRangeError(`--to: expected a date YYYY-MM-DD, got "${range.to}"`);
  if (from > to) throw new BackfillRangeError(`--from ${range.from} is after --to ${range.to}`);
  return { from, to };
}

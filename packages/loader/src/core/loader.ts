// The loader: discovery → grouping → Warehouse.load, once or in a loop.
// Plain TypeScript over the ObjectStore and Warehouse ports; the composition
// roots (cli.ts/main.ts here, the local all-in-one mode) build the adapters.
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
import type { LoadFile, LoadTable, Logger, Registry, Warehouse } from '@eventkit/shared';
import { keyPrefix, type ObjectStore, parseDay, silentLogger, WarehouseConfigError } from '@eventkit/shared';
import { type DiscoveredFile, type DiscoveryOptions, filesInDays, pendingFiles } from './discovery.ts';
import { DEFAULT_GROUP_LIMITS, type GroupLimits, groupFiles, jobIdFor } from './grouping.ts';
import { Lease, type LeaseHolder, LeaseLostError, leaseKey } from './lease.ts';
import { type LoaderMetrics, loaderMetrics } from './metrics.ts';
import { Quarantine, type QuarantineRecord } from './quarantine.ts';
import { deleteLoadedFiles, type RetentionOptions } from './retention.ts';

export interface LoaderDeps {
  store: ObjectStore;
  warehouse: Warehouse;
  /** EVENTKIT_STORAGE_PREFIX (normalized here). Default ''. */
  prefix?: string;
  /** EVENTKIT_DEDUP_WINDOW_DAYS. Default 7. */
  dedupWindowDays?: number;
  /** EVENTKIT_WAREHOUSE_LOADER_INTERVAL, seconds between the starts of two runs in loop(). Default 300. */
  intervalSeconds?: number;
  /** EVENTKIT_WAREHOUSE_LOOKBACK_HOURS (see discovery.ts). Default 2. */
  lookbackHours?: number;
  /** Bounds of one load job. */
  limits?: Partial<GroupLimits>;
  /** Objects per listing request. */
  pageSize?: number;
  logger?: Logger;
  /** Where the loader's metrics go (a private registry when absent). */
  metrics?: Registry;
  /** EVENTKIT_WAREHOUSE_LOADER_LEASE: seconds a loader lease lasts without renewal (lease.ts). Default 120. */
  leaseSeconds?: number;
  /** What the lease guards, part of its key: the target `{dataset}.{table}`. Default `default`. */
  leaseTarget?: string;
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

export class BackfillRangeError extends Error {
  override readonly name = 'BackfillRangeError';
}

export function createLoader(deps: LoaderDeps): Loader {
  const log = deps.logger ?? silentLogger();
  const warehouse = deps.warehouse;
  const prefix = keyPrefix(deps.prefix ?? '');
  const dedupWindowDays = deps.dedupWindowDays ?? 7;
  const intervalMs = (deps.intervalSeconds ?? 300) * 1000;
  const limits: GroupLimits = { ...DEFAULT_GROUP_LIMITS, ...deps.limits };
  const metrics: LoaderMetrics = loaderMetrics(deps.metrics);
  const lease = new Lease({
    store: deps.store,
    key: leaseKey(prefix, deps.leaseTarget ?? 'default'),
    durationMs: (deps.leaseSeconds ?? 120) * 1000,
    ...(deps.leaseOwner ? { owner: deps.leaseOwner } : {}),
    sameMachine: deps.leaseSameMachine ?? false,
  });
  const leaseWaitMs = deps.leaseWaitMs ?? 1000;
  const quarantine = new Quarantine(deps.store, prefix);
  const classify = (err: unknown) =>
    err instanceof LeaseLostError ? 'transient' : (warehouse.classifyError?.(err) ?? 'unknown');
  const foreignSeen = new Set<string>();
  const discovery: DiscoveryOptions = {
    store: deps.store,
    warehouse,
    prefix,
    lookbackHours: deps.lookbackHours ?? 2,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
    onForeignKey: (key) => {
      if (foreignSeen.has(key) || foreignSeen.size >= 1000) return;
      foreignSeen.add(key);
      log.warn({ key }, 'loader_foreign_key_ignored');
    },
  };

  let stopping = false;
  /** Bumped by stop(): a run stops between jobs once the count differs from when it started. */
  let stops = 0;
  let tablesReady = false;
  /** Runs one at a time (runOnce, loop and backfill share the warehouse). */
  let busy: Promise<unknown> = Promise.resolve();
  let looping: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = busy.then(fn, fn);
    busy = run.catch(() => undefined);
    return run;
  };

  const ensureTables = async () => {
    if (tablesReady) return;
    await warehouse.ensureTables();
    tablesReady = true;
  };

  const newReport = (): RunReport => ({
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
  });

  /** Loads groups of `files` as jobs until the files run out, stop() or a failure. */
  async function loadGroups(
    table: LoadTable,
    files: AsyncIterable<DiscoveredFile>,
    report: RunReport,
    salt: string,
    stopped: () => boolean,
    onJob?: (files: number, rowsInserted: number) => void,
  ): Promise<void> {
    for await (const group of groupFiles(withoutQuarantined(files), limits)) {
      if (stopped()) {
        report.stopped = true;
        return;
      }
      await loadIsolating(table, group, report, salt, stopped, onJob);
      if (report.stopped) return;
    }
  }

  /** The files without a quarantine record (one listing of the records per call). */
  async function* withoutQuarantined(files: AsyncIterable<DiscoveredFile>) {
    const quarantined = await quarantine.keys();
    for await (const f of files) if (!quarantined.has(f.key)) yield f;
  }

  /**
   * Loads a group; when it fails with an error that is not transient, loads its
   * halves, down to single files, so one file that can never load does not hold
   * back the others (quarantine.ts). Throws the error of a file it could not
   * quarantine (the lane stops; the next run tries again).
   */
  async function loadIsolating(
    table: LoadTable,
    group: readonly DiscoveredFile[],
    report: RunReport,
    salt: string,
    stopped: () => boolean,
    onJob?: (files: number, rowsInserted: number) => void,
  ): Promise<void> {
    const alone: { file: DiscoveredFile; id: string; err: unknown }[] = [];
    let loaded = 0;
    let unresolved: unknown;
    // Failed jobs count too (BigQuery: 1,500 load jobs per table a day, failures included), so the
    // search is bounded: enough to isolate a few bad files, far below the 2n jobs of a group where
    // every file fails (a systemic fault). What it does not reach stays pending for the next run.
    let budget = 4 * Math.ceil(Math.log2(group.length + 1)) + 4;
    const attempt = async (files: readonly DiscoveredFile[], split: boolean): Promise<void> => {
      if (split && stopped()) {
        report.stopped = true;
        return;
      }
      if (split && budget-- <= 0) return;
      const id = jobIdFor(
        table,
        files.map((f) => f.key),
        salt,
      );
      try {
        await loadJob(table, id, files, report, onJob);
        loaded += files.length;
      } catch (err) {
        if (classify(err) === 'transient') throw err;
        if (files.length === 1) {
          alone.push({ file: files[0]!, id, err });
          return;
        }
        log.warn(
          { table, job_id: id, files: files.length, error: describeError(err) },
          'load_job_failed_splitting',
        );
        if (budget <= 0) {
          unresolved ??= err;
          return;
        }
        const half = Math.ceil(files.length / 2);
        await attempt(files.slice(0, half), true);
        await attempt(files.slice(half), true);
      }
    };
    await attempt(group, false);
    for (const { file, id, err } of alone) {
      // 'unknown' alone proves little (the warehouse may be down): only when others of the group loaded.
      if (classify(err) !== 'data' && loaded === 0) {
        unresolved ??= err;
        continue;
      }
      const reason = describeError(err);
      await quarantine.add({
        key: file.key,
        table,
        reason,
        job_id: id,
        quarantined_at: new Date().toISOString(),
      });
      report.filesQuarantined += 1;
      metrics.fileQuarantined(table);
      log.error({ table, key: file.key, job_id: id, reason }, 'load_file_quarantined');
    }
    if (unresolved !== undefined) throw unresolved;
  }

  /** One job: confirm the lease, load, count, log. */
  async function loadJob(
    table: LoadTable,
    id: string,
    files: readonly DiscoveredFile[],
    report: RunReport,
    onJob?: (files: number, rowsInserted: number) => void,
  ): Promise<void> {
    const loadFiles: LoadFile[] = files.map((f) => ({ key: f.key, uri: f.uri, size: f.size }));
    // Still the only loader? (A takeover throws LeaseLostError: no merge.)
    await lease.confirm();
    const started = performance.now();
    const result = await warehouse.load({ id, table, files: loadFiles, dedupWindowDays });
    const seconds = (performance.now() - started) / 1000;
    report.jobs += 1;
    report.files += loadFiles.length;
    report.rowsRead += result.rowsRead;
    report.rowsInserted += result.rowsInserted;
    if (result.alreadyDone) report.jobsAlreadyDone += 1;
    metrics.jobFinished(table, loadFiles.length, result, seconds);
    log.info(
      {
        table,
        job_id: id,
        files: loadFiles.length,
        rows_read: result.rowsRead,
        rows_inserted: result.rowsInserted,
        duplicates: result.alreadyDone ? 0 : result.rowsRead - result.rowsInserted,
        already_done: result.alreadyDone,
        duration_ms: Math.round(seconds * 1000),
      },
      'load_job_finished',
    );
    onJob?.(loadFiles.length, result.rowsInserted);
  }

  function finish(report: RunReport, started: number, what: string): RunReport {
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
   * Runs `fn` holding the lease, renewing it meanwhile, and releases it. When
   * another loader holds it: `wait` asks again every leaseWaitMs until it is
   * free (or stop()), else the report says who holds it and `fn` does not run.
   */
  async function holdingLease(
    report: RunReport,
    stopped: () => boolean,
    wait: boolean,
    fn: () => Promise<void>,
  ): Promise<void> {
    let waited = false;
    for (;;) {
      const got = await lease.acquire();
      if (got.acquired) break;
      if (!wait) {
        report.leaseHeldBy = got.holder;
        return;
      }
      if (!waited) {
        log.info(
          { lease_owner: got.holder.owner, lease_expires_at: got.holder.expiresAt.toISOString() },
          'loader_lease_wait',
        );
        waited = true;
      }
      if (stopped()) {
        report.stopped = true;
        return;
      }
      await new Promise((r) => setTimeout(r, leaseWaitMs));
    }
    if (waited) log.info({ lease_owner: lease.owner }, 'loader_lease_acquired');
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

  async function runOnceNow(): Promise<RunReport> {
    const started = performance.now();
    const report = newReport();
    const epoch = stops;
    const stopped = () => stops !== epoch;
    try {
      await holdingLease(report, stopped, false, async () => {
        await ensureTables();
        // Each table its own lane: a failure in one does not stop the other.
        for (const table of TABLES) {
          if (stopped()) {
            report.stopped = true;
            break;
          }
          try {
            await loadGroups(table, pendingFiles(table, discovery), report, '', stopped);
          } catch (err) {
            if (err instanceof LeaseLostError) throw err;
            log.error({ table, error: describeError(err) }, 'load_lane_failed');
            report.ok = false;
            report.error ??= err as Error;
            tablesReady = false;
          }
          if (report.stopped) break;
        }
        if (deps.retention && !stopped()) await deleteLoaded(report, deps.retention);
      });
    } catch (err) {
      report.ok = false;
      report.error = err as Error;
      tablesReady = false; // the tables may be what went missing: check again next run
    }
    return finish(report, started, 'load_run');
  }

  /** Retention (local mode): a failure is logged and retried next run; it never fails the load. */
  async function deleteLoaded(report: RunReport, retention: RetentionOptions): Promise<void> {
    try {
      report.filesDeleted = await deleteLoadedFiles(TABLES, discovery, retention, (deps.now ?? Date.now)());
      if (report.filesDeleted > 0) {
        metrics.filesDeleted(report.filesDeleted);
        log.info(
          { files: report.filesDeleted, grace_hours: retention.graceMs / 3_600_000 },
          'loader_files_deleted',
        );
      }
    } catch (err) {
      log.warn({ error: describeError(err) }, 'loader_retention_failed');
    }
  }

  async function status(): Promise<LoaderStatus> {
    const pending: PendingSummary = {
      files: 0,
      bytes: 0,
      oldest: undefined,
      byTable: { events: 0, errors: 0 },
    };
    const quarantined = await quarantine.keys();
    for (const table of TABLES) {
      for await (const f of pendingFiles(table, discovery)) {
        if (quarantined.has(f.key)) continue;
        pending.files += 1;
        pending.bytes += f.size;
        pending.byTable[table] += 1;
        if (!pending.oldest || f.updated < pending.oldest) pending.oldest = f.updated;
      }
    }
    const loaded = warehouse.ledgerSummary ? await warehouse.ledgerSummary() : undefined;
    return { warehouse: warehouse.kind, pending, loaded, quarantined: await quarantine.records() };
  }

  async function backfillNow(range: BackfillRange, onProgress?: (p: BackfillProgress) => void) {
    const from = parseDay(range.from);
    const to = parseDay(range.to);
    if (from === undefined)
      throw new BackfillRangeError(`--from: expected a date YYYY-MM-DD, got "${range.from}"`);
    if (to === undefined) throw new BackfillRangeError(`--to: expected a date YYYY-MM-DD, got "${range.to}"`);
    if (from > to) throw new BackfillRangeError(`--from ${range.from} is after --to ${range.to}`);

    const started = performance.now();
    const report = newReport();
    const epoch = stops;
    const stopped = () => stops !== epoch;
    // A fresh id family per backfill: it reloads on purpose, and the merge's dedup
    // keeps the table unchanged for rows already there.
    const salt = `backfill ${range.from}..${range.to} ${new Date().toISOString()}`;
    const progress: BackfillProgress = { totalFiles: 0, totalBytes: 0, doneFiles: 0, rowsInserted: 0 };
    try {
      // A backfill is asked for by hand: it waits for a running loader to finish.
      await holdingLease(report, stopped, true, async () => {
        await ensureTables();
        // First pass counts (keys are not kept, so memory stays bounded), second loads.
        // Quarantined files are skipped by both.
        const quarantined = await quarantine.keys();
        for (const table of TABLES) {
          for await (const f of filesInDays(table, from, to, discovery)) {
            if (quarantined.has(f.key)) continue;
            progress.totalFiles += 1;
            progress.totalBytes += f.size;
          }
        }
        onProgress?.({ ...progress });
        for (const table of TABLES) {
          await loadGroups(
            table,
            filesInDays(table, from, to, discovery),
            report,
            salt,
            stopped,
            (files, rows) => {
              progress.doneFiles += files;
              progress.rowsInserted += rows;
              onProgress?.({ ...progress });
            },
          );
          if (report.stopped) break;
        }
      });
    } catch (err) {
      report.ok = false;
      report.error = err as Error;
    }
    return finish(report, started, 'backfill');
  }

  async function loopNow(): Promise<void> {
    log.info({ interval_seconds: intervalMs / 1000, warehouse: warehouse.kind }, 'loader_started');
    while (!stopping) {
      const started = Date.now();
      const report = await serialized(runOnceNow);
      // A misconfigured warehouse fails every run alike: stop, and say why once.
      if (report.error instanceof WarehouseConfigError) throw report.error;
      const wait = intervalMs - (Date.now() - started);
      if (stopping || wait <= 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    log.info({}, 'loader_stopped');
  }

  return {
    runOnce: () => serialized(runOnceNow),
    loop() {
      looping ??= loopNow();
      return looping;
    },
    async stop() {
      stopping = true;
      stops += 1;
      wake?.();
      await Promise.all([busy, looping?.catch(() => undefined)]); // a loop that ended in error has said so to its caller
    },
    get stopping() {
      return stopping;
    },
    status: () => serialized(status),
    backfill: (range, onProgress) => serialized(() => backfillNow(range, onProgress)),
  };
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

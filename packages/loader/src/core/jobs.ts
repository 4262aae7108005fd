// Load jobs: files in groups (grouping.ts), oldest first, one job each; a job
// that fails for good is split down to the file that cannot load, which is
// quarantined (quarantine.ts) so it does not hold back the rest of its lane.
import type { Logger } from '@eventkit/shared/logging';
import type { LoadErrorKind, LoadFile, LoadTable, Warehouse } from '@eventkit/shared/ports';
import type { DiscoveredFile } from './discovery.ts';
import { type GroupLimits, groupFiles, jobIdFor } from './grouping.ts';
import { type Lease, LeaseLostError } from './lease.ts';
import type { LoaderMetrics } from './metrics.ts';
import type { Quarantine } from './quarantine.ts';
import { describeError, type RunReport } from './report.ts';

export interface JobRunnerDeps {
  warehouse: Warehouse;
  lease: Lease;
  quarantine: Quarantine;
  metrics: LoaderMetrics;
  log: Logger;
  limits: GroupLimits;
  dedupWindowDays: number;
}

/** One pass over a lane: the report it adds to, how job ids are salted, when to stop, progress. */
export interface LanePass {
  report: RunReport;
  /** '' for a run (a job id is a hash of its files); a backfill's own salt reloads on purpose. */
  salt: string;
  stopped: () => boolean;
  onJob?: (files: number, rowsInserted: number) => void;
}

export class JobRunner {
  readonly #d: JobRunnerDeps;

  constructor(deps: JobRunnerDeps) {
    this.#d = deps;
  }

  classify(err: unknown): LoadErrorKind {
    return err instanceof LeaseLostError
      ? 'transient'
      : (this.#d.warehouse.classifyError?.(err) ?? 'unknown');
  }

  /** Loads groups of `files` as jobs until the files run out, stop() or a failure (thrown). */
  async loadGroups(table: LoadTable, files: AsyncIterable<DiscoveredFile>, pass: LanePass): Promise<void> {
    for await (const group of groupFiles(this.#withoutQuarantined(files), this.#d.limits)) {
      if (pass.stopped()) {
        pass.report.stopped = true;
        return;
      }
      await this.#loadIsolating(table, group, pass);
      if (pass.report.stopped) return;
    }
  }

  /** The files without a quarantine record (one listing of the records per call). */
  async *#withoutQuarantined(files: AsyncIterable<DiscoveredFile>) {
    const quarantined = await this.#d.quarantine.keys();
    for await (const f of files) if (!quarantined.has(f.key)) yield f;
  }

  /**
   * Loads a group; when it fails with an error that is not transient, loads its
   * halves, down to single files, so one file that can never load does not hold
   * back the others. Throws the error of a file it could not quarantine (the
   * lane stops; the next run tries again).
   */
  async #loadIsolating(table: LoadTable, group: readonly DiscoveredFile[], pass: LanePass): Promise<void> {
    const alone: { file: DiscoveredFile; id: string; err: unknown }[] = [];
    let loaded = 0;
    let unresolved: unknown;
    // Failed jobs count too (BigQuery: 1,500 load jobs per table a day, failures included), so the
    // search is bounded: enough to isolate a few bad files, far below the 2n jobs of a group where
    // every file fails (a systemic fault). What it does not reach stays pending for the next run.
    let budget = 4 * Math.ceil(Math.log2(group.length + 1)) + 4;
    const attempt = async (files: readonly DiscoveredFile[], split: boolean): Promise<void> => {
      if (split && pass.stopped()) {
        pass.report.stopped = true;
        return;
      }
      if (split && budget-- <= 0) return;
      const id = jobIdFor(
        table,
        files.map((f) => f.key),
        pass.salt,
      );
      try {
        await this.#loadJob(table, id, files, pass);
        loaded += files.length;
      } catch (err) {
        if (this.classify(err) === 'transient') throw err;
        if (files.length === 1) {
          alone.push({ file: files[0]!, id, err });
          return;
        }
        this.#d.log.warn(
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
      if (this.classify(err) !== 'data' && loaded === 0) unresolved ??= err;
      else await this.#quarantine(table, file, id, err, pass.report);
    }
    if (unresolved !== undefined) throw unresolved;
  }

  async #quarantine(
    table: LoadTable,
    file: DiscoveredFile,
    id: string,
    err: unknown,
    report: RunReport,
  ): Promise<void> {
    const reason = describeError(err);
    await this.#d.quarantine.add({
      key: file.key,
      table,
      reason,
      job_id: id,
      quarantined_at: new Date().toISOString(),
    });
    report.filesQuarantined += 1;
    this.#d.metrics.fileQuarantined(table);
    this.#d.log.error({ table, key: file.key, job_id: id, reason }, 'load_file_quarantined');
  }

  /** One job: confirm the lease, load, count, log. */
  async #loadJob(
    table: LoadTable,
    id: string,
    files: readonly DiscoveredFile[],
    pass: LanePass,
  ): Promise<void> {
    const loadFiles: LoadFile[] = files.map((f) => ({ key: f.key, uri: f.uri, size: f.size }));
    // Still the only loader? (A takeover throws LeaseLostError: no merge.)
    await this.#d.lease.confirm();
    const started = performance.now();
    const result = await this.#d.warehouse.load({
      id,
      table,
      files: loadFiles,
      dedupWindowDays: this.#d.dedupWindowDays,
    });
    const seconds = (performance.now() - started) / 1000;
    const { report } = pass;
    report.jobs += 1;
    report.files += loadFiles.length;
    report.rowsRead += result.rowsRead;
    report.rowsInserted += result.rowsInserted;
    if (result.alreadyDone) report.jobsAlreadyDone += 1;
    this.#d.metrics.jobFinished(table, loadFiles.length, result, seconds);
    this.#d.log.info(
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
    pass.onJob?.(loadFiles.length, result.rowsInserted);
  }
}

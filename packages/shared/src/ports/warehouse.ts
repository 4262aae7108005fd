// The warehouse the loader fills: BigQuery in production, DuckDB locally.
//
// Exactly-once per file and no duplicate events are the warehouse's promise:
// - a job has a deterministic id derived from its files; running a job whose id
//   already finished returns the first result and changes nothing;
// - rows are deduplicated on (source, message_id) against the target table
//   within a look-back window of `dedupWindowDays` of received_at;
// - a file is in the ledger (`_loaded_files`) only once its rows are in the table.

export type LoadTable = 'events' | 'errors';

export interface LoadFile {
  key: string;
  uri: string;
  size: number;
}

export interface LoadJob {
  /** Deterministic: the same files always give the same id. */
  id: string;
  table: LoadTable;
  files: readonly LoadFile[];
  dedupWindowDays: number;
}

export interface LoadResult {
  jobId: string;
  /** Rows read from the files. */
  rowsRead: number;
  /** Rows that were new and went into the table (rowsRead minus duplicates). */
  rowsInserted: number;
  /** True when the job had already finished before: nothing was loaded again. */
  alreadyDone: boolean;
}

export type LoadErrorKind = 'data' | 'transient' | 'unknown';

export interface LedgerEntry {
  key: string;
  jobId: string;
  rows: number;
  loadedAt: Date;
}

export interface LoadedKeysOptions {
  /**
   * Every key asked about names a file written at or after this time, so no
   * ledger entry for it can be older (allowing for clock skew): a warehouse
   * may use it to prune the ledger's partitions. A hint; ignoring it is correct.
   */
  writtenAfter?: Date;
}

/** Totals of the ledger, for `eventkit-loader status`. */
export interface LedgerSummary {
  /** Distinct files recorded as loaded. */
  files: number;
  /** Rows read from those files (each file counted once, at its latest load). */
  rows: number;
  /** When the latest load was recorded; undefined when nothing was loaded yet. */
  lastLoadedAt: Date | undefined;
}

/**
 * A warehouse set up in a way no retry can fix (e.g. the dataset is in another
 * location than configured): the loader stops instead of failing every run.
 */
export class WarehouseConfigError extends Error {
  override readonly name = 'WarehouseConfigError';
}

/** One view `refreshViews` keeps (the Segment-shaped views, packages/loader/README.md). */
export interface ViewInfo {
  name: string;
  /** `call`: tracks, identifies, …; `users`: latest traits per user; `event`: one track event name. */
  kind: 'call' | 'users' | 'event';
  columns: string[];
  /** `event` views: the event names (as sent) whose rows it shows. */
  events?: string[];
  /** A hash of the view's SQL: equal definitions, equal views. */
  definition: string;
  /** Created or replaced by this refresh (false: `known` had this definition). */
  changed: boolean;
}

/** What `refreshViews` did: the views it keeps, and what it left out and why. */
export interface ViewsReport {
  views: ViewInfo[];
  /** An event name (or a view name) with no view: no valid name, past the cap, a name taken. */
  skipped: { name: string; reason: string }[];
}

export interface Warehouse {
  /** `bigquery`, `duckdb`, `memory`: for logs and metrics. */
  readonly kind: string;
  /** Creates the dataset, tables and ledger when missing. Idempotent. */
  ensureTables(): Promise<void>;
  /** The subset of `keys` already recorded as loaded. */
  loadedKeys(keys: readonly string[], options?: LoadedKeysOptions): Promise<Set<string>>;
  /** Loads and records the job's files exactly once (see above). */
  load(job: LoadJob): Promise<LoadResult>;
  /**
   * Optional: for each prefix, the greatest key (lexicographic) recorded in the
   * ledger under it; prefixes with none are absent. The loader's discovery
   * starts listing there (minus a look-back) instead of at the start of the
   * bucket; without it, every run lists everything, which is correct but slow.
   */
  lastLoadedKeys?(prefixes: readonly string[]): Promise<Map<string, string>>;
  /** Optional: totals of the ledger. */
  ledgerSummary?(): Promise<LedgerSummary>;
  /**
   * Optional: what a failed load says. `data`: the job's files themselves cannot
   * be loaded (a bad encoding, a corrupt file); `transient`: the warehouse
   * could not do it now (a lock, a quota, an outage): retry later, as is;
   * `unknown`: neither is certain. The loader isolates a failing file by
   * splitting its group, and quarantines it (never retried automatically) only
   * when its error is `data`, or `unknown` while other files of its group loaded.
   */
  classifyError?(err: unknown): LoadErrorKind;
  /**
   * Optional: creates or replaces the Segment-shaped views next to the events
   * table (one per call type, `users`, one per frequent track event name).
   * Idempotent; expects ensureTables() to have run. `known`: view name →
   * definition of the views known to exist so (an earlier report's); those
   * are not created again. Without it every view is created or replaced.
   */
  refreshViews?(known?: ReadonlyMap<string, string>): Promise<ViewsReport>;
  close(): Promise<void>;
}

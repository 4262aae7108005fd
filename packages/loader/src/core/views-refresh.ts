// When the loader refreshes the Segment-shaped views itself (Warehouse.refreshViews).
//
// After a run that inserted event rows, at most once every
// VIEWS_REFRESH_INTERVAL_MS per target. Why that is enough, and cheap:
// - only new rows can change what the views show: the event names and the
//   JSON keys that get columns. A run that inserted none changes nothing.
// - a view's shape changes only when a name or key enters the most frequent
//   of a PROFILE_DAYS (7-day) profile; one run's rows (5 minutes at the
//   default interval) rarely do that, and the rows themselves appear in the
//   views at once whatever the refresh (views are queries over the table).
// - a refresh reads the profile window's type, event, properties and traits
//   (on BigQuery: bytes billed), so hourly is at most 24 such reads a day
//   instead of 288 at the default interval;
// - views whose definition did not change are not created again: the last
//   refresh's definitions are kept beside the lease, in the object store
//   (`{prefix}_eventkit/views-{dataset}.{table}.json`), because a Cloud Run
//   job (`run --once`) is a new process every run and remembers nothing.
// `eventkit-loader views` refreshes at once, whatever the interval. A failed
// refresh is logged and never fails the load: the next run that loads events
// tries again.
import type { Logger } from '@eventkit/shared/logging';
import { ObjectNotFoundError, type ObjectStore, type Warehouse } from '@eventkit/shared/ports';
import { describeError } from './report.ts';

/** At most one automatic refresh per target in this time. */
export const VIEWS_REFRESH_INTERVAL_MS = 60 * 60_000;

interface ViewsState {
  refreshed_at: string;
  /** View name → definition (ViewInfo.definition) as last created. */
  definitions: Record<string, string>;
}

export const viewsStateKey = (prefix: string, target: string): string =>
  `${prefix}_eventkit/views-${target}.json`;

export interface ViewsRefreshDeps {
  store: ObjectStore;
  warehouse: Warehouse;
  /** The target `{dataset}.{table}` (the lease's). */
  leaseTarget: string;
  /** The loader's clock (ms since the epoch). Default Date.now. */
  now?: () => number;
}

export class ViewsRefresh {
  readonly #d: Required<ViewsRefreshDeps> & { key: string; log: Logger };

  /** `prefix`: the storage prefix, normalized (layout's keyPrefix). */
  constructor(deps: ViewsRefreshDeps, prefix: string, log: Logger) {
    const { store, warehouse, leaseTarget } = deps;
    const key = viewsStateKey(prefix, leaseTarget);
    this.#d = { store, warehouse, leaseTarget, now: deps.now ?? Date.now, key, log };
  }

  /** After a run: refreshes when it inserted event rows and the last refresh is an interval old. */
  async afterRun(eventRowsInserted: number): Promise<void> {
    const { warehouse, log } = this.#d;
    if (!warehouse.refreshViews || eventRowsInserted === 0) return;
    try {
      const state = await this.#read();
      const now = this.#d.now();
      if (state && now - Date.parse(state.refreshed_at) < VIEWS_REFRESH_INTERVAL_MS) return;
      const report = await warehouse.refreshViews(new Map(Object.entries(state?.definitions ?? {})));
      const definitions = Object.fromEntries(report.views.map((v) => [v.name, v.definition]));
      const next: ViewsState = { refreshed_at: new Date(now).toISOString(), definitions };
      await this.#d.store.put(this.#d.key, Buffer.from(JSON.stringify(next)), {
        contentType: 'application/json',
      });
      log.info(
        {
          views: report.views.length,
          changed: report.views.filter((v) => v.changed).map((v) => v.name),
          skipped: report.skipped.length,
        },
        'warehouse_views_refreshed',
      );
    } catch (err) {
      log.warn({ error: describeError(err) }, 'warehouse_views_refresh_failed');
    }
  }

  /** The last refresh's state: one read. Absent or unparsable: refresh, and write it anew; any other error ends this attempt (logged). */
  async #read(): Promise<ViewsState | undefined> {
    let bytes: Buffer;
    try {
      bytes = await this.#d.store.get(this.#d.key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return undefined;
      throw err;
    }
    try {
      return JSON.parse(bytes.toString('utf8')) as ViewsState;
    } catch {
      return undefined;
    }
  }
}

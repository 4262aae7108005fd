// One refresh of the views, the same for both warehouses: profile the recent
// events (names, then the JSON keys of the names that get a view), plan, and
// create or replace each view whose SQL changed since this process last
// created it.
import { type Profile, planViews } from './plan.ts';
import { type Dialect, viewStatements } from './render.ts';
import type { ViewsReport } from './types.ts';

export interface ViewsBackend {
  dialect: Dialect;
  /** The events table's name in the dataset. */
  events: string;
  /** Names of tables in the dataset (not views of ours): no view takes them. */
  taken: ReadonlySet<string>;
  /** The most frequent track event names of the profile window. */
  eventNames(): Promise<Profile['events']>;
  /** The most frequent JSON keys per call type and per track event name among `events`. */
  jsonKeys(events: readonly string[]): Promise<Profile['keys']>;
  /** Runs one CREATE OR REPLACE VIEW. */
  execute(sql: string): Promise<void>;
}

/**
 * `created`: name → SQL of the views this process created; an unchanged view
 * is not replaced (a refresh that changes nothing is two reads). A view the
 * warehouse refuses (a table of that name that is not the loader's) is
 * reported as skipped, with the warehouse's message; the others are created.
 */
export async function refreshViews(b: ViewsBackend, created: Map<string, string>): Promise<ViewsReport> {
  const events = await b.eventNames();
  const chosen = planViews({ events, keys: [] }, b.taken).views.flatMap((v) => v.events ?? []);
  const plan = planViews({ events, keys: await b.jsonKeys(chosen) }, b.taken);
  const report: ViewsReport = { views: [], skipped: [...plan.skipped] };
  for (const { sql, ...view } of viewStatements(b.dialect, b.events, plan)) {
    const changed = created.get(view.name) !== sql;
    if (changed) {
      try {
        await b.execute(sql);
        created.set(view.name, sql);
      } catch (err) {
        report.skipped.push({ name: view.name, reason: (err as Error).message.split('\n')[0] ?? '' });
        continue;
      }
    }
    report.views.push({ ...view, changed });
  }
  return report;
}

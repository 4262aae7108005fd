// One refresh of the views, the same for both warehouses: profile the recent
// events (names, then the JSON keys of the names that get a view), plan, and
// create or replace each view whose definition (a hash of its SQL) is not the
// one the caller knows it has.
import { createHash } from 'node:crypto';
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
  /** CREATE statements at a time (default 1: one DuckDB connection runs one at a time). */
  parallel?: number;
}

/**
 * `known`: name → definition of views known to exist so; those are not
 * replaced (a refresh that changes nothing is two reads). A view the
 * warehouse refuses (a table of that name that is not the loader's) is
 * reported as skipped, with the warehouse's message; the others are created.
 */
export async function refreshViews(
  b: ViewsBackend,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<ViewsReport> {
  const events = await b.eventNames();
  const chosen = planViews({ events, keys: [] }, b.taken).views.flatMap((v) => v.events ?? []);
  const plan = planViews({ events, keys: await b.jsonKeys(chosen) }, b.taken);
  const statements = viewStatements(b.dialect, b.events, plan);
  const outcomes: (string | undefined)[] = new Array(statements.length);
  const step = Math.max(1, b.parallel ?? 1);
  for (let i = 0; i < statements.length; i += step) {
    // A batch at a time; an error is the view's outcome (the report keeps the statements' order).
    await Promise.all(
      statements.slice(i, i + step).map(async ({ name, sql }, j) => {
        if (known.get(name) === definitionOf(sql)) return;
        outcomes[i + j] = await b.execute(sql).then(
          () => 'created',
          (err: unknown) => `failed:${(err as Error).message.split('\n')[0] ?? ''}`,
        );
      }),
    );
  }
  const report: ViewsReport = { views: [], skipped: [...plan.skipped] };
  for (const [i, { sql, ...view }] of statements.entries()) {
    const outcome = outcomes[i];
    if (outcome?.startsWith('failed:')) report.skipped.push({ name: view.name, reason: outcome.slice(7) });
    else report.views.push({ ...view, definition: definitionOf(sql), changed: outcome === 'created' });
  }
  return report;
}

const definitionOf = (sql: string) => createHash('sha256').update(sql).digest('hex').slice(0, 16);

// The loader refreshes the Segment-shaped views by itself: after a run that
// loaded events, at most once an interval, remembering across processes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileObjectStore } from '@eventkit/shared/local';
import type { Warehouse } from '@eventkit/shared/ports';
import { afterAll, describe, test } from 'vitest';
import { putEventFile } from '../testing/fixtures.ts';
import { defaultLoaderSettings } from '../testing/settings.ts';
import { withDuckDb } from '../warehouse/duckdb/duckdb-file.ts';
import { DuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.ts';
import { createLoader } from './loader.ts';
import { VIEWS_REFRESH_INTERVAL_MS, viewsStateKey } from './views-refresh.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

let n = 0;
async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-views-refresh-'));
  dirs.push(dir);
  const store = new FileObjectStore(join(dir, 'data'));
  const path = join(dir, 'warehouse.duckdb');
  let clock = Date.now();
  const refreshes: (ReadonlyMap<string, string> | undefined)[] = [];
  /** A new loader process each time (as `run --once` on Cloud Run), counting its warehouse's refreshes. */
  const runOnce = () => {
    const warehouse = new DuckDbWarehouse({ path, dataset: 'events', table: 'raw_events' });
    const refresh = warehouse.refreshViews.bind(warehouse);
    const counting: Warehouse = Object.assign(warehouse, {
      refreshViews: (known?: ReadonlyMap<string, string>) => {
        refreshes.push(known);
        return refresh(known);
      },
    });
    return createLoader({
      ...defaultLoaderSettings(),
      store,
      warehouse: counting,
      now: () => clock,
    }).runOnce();
  };
  const track = (event: string) =>
    putEventFile(store, [{ message_id: `m${++n}`, event, received_at: new Date(clock).toISOString() }], {
      at: new Date(clock).toISOString(),
    });
  const views = async () =>
    (
      await withDuckDb(path, { readOnly: true }, async (c) =>
        (
          await c.runAndReadAll(
            `SELECT view_name FROM duckdb_views() WHERE schema_name = 'events' ORDER BY view_name`,
          )
        ).getRowObjectsJson(),
      )
    ).map((r) => String(r.view_name));
  return {
    store,
    runOnce,
    track,
    views,
    refreshes,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('the loader refreshes the views', () => {
  test('after the first run that loads events; then at most once an interval, and only when a run loaded events', async () => {
    const s = await setup();
    const empty = await s.runOnce();
    assert.equal(empty.rowsInserted, 0);
    assert.deepEqual(await s.views(), [], 'nothing loaded: no refresh');

    await s.track('Signed Up');
    assert.equal((await s.runOnce()).rowsInserted, 1);
    assert.ok((await s.views()).includes('signed_up'));
    assert.ok((await s.views()).includes('tracks'));
    assert.equal(s.refreshes.length, 1);
    assert.equal(s.refreshes[0]?.size, 0, 'no state yet: every view is created');

    // A new name within the interval: its rows load, its view waits for the next refresh.
    s.advance(VIEWS_REFRESH_INTERVAL_MS - 60_000);
    await s.track('Logged In');
    assert.equal((await s.runOnce()).rowsInserted, 1);
    assert.ok(!(await s.views()).includes('logged_in'));
    assert.equal(s.refreshes.length, 1);

    // An interval after the refresh, a run without new events does not refresh; one with events does.
    s.advance(60_000);
    await s.runOnce();
    assert.equal(s.refreshes.length, 1);
    await s.track('Logged In');
    await s.runOnce();
    assert.equal(s.refreshes.length, 2);
    assert.ok((await s.views()).includes('logged_in'));
    // The state from the last process: the known definitions went to the refresh.
    assert.ok((s.refreshes[1]?.size ?? 0) > 0);
    const state = JSON.parse((await s.store.get(viewsStateKey('', 'events.raw_events'))).toString('utf8'));
    assert.ok(state.definitions.logged_in && state.definitions.signed_up);
  });

  test('a refresh that fails does not fail the load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventkit-views-refresh-'));
    dirs.push(dir);
    const store = new FileObjectStore(join(dir, 'data'));
    const warehouse = new DuckDbWarehouse({
      path: join(dir, 'w.duckdb'),
      dataset: 'events',
      table: 'raw_events',
    });
    warehouse.refreshViews = async () => {
      throw new Error('no views today');
    };
    await putEventFile(store, [{ message_id: 'x1', received_at: new Date().toISOString() }], {
      at: new Date().toISOString(),
    });
    const report = await createLoader({ ...defaultLoaderSettings(), store, warehouse }).runOnce();
    assert.equal(report.ok, true);
    assert.equal(report.rowsInserted, 1);
  });
});

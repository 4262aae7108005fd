// Two loaders over the same files at once (a Cloud Run job that overran its
// schedule; `backfill` next to `run`), against a warehouse that behaves as
// BigQuery does with concurrent inserting transactions: each MERGE sees the
// table as of its own start, so two that overlap both insert (BigQuery runs
// INSERT-only DML concurrently without conflicts: "DML statements" / "Quotas
// and limits", https://cloud.google.com/bigquery/docs/data-manipulation-language).
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '@eventkit/shared/memory';
import type { LoadJob, LoadResult, Warehouse } from '@eventkit/shared/ports';
import { describe, test } from 'vitest';
import { defaultLoaderSettings } from '../testing/settings.ts';
import { createLoader } from './loader.ts';

type Row = { source: string; message_id: string };

/** Snapshot-isolated merges: the target is read when a load starts and written when it ends. */
class SnapshotWarehouse implements Warehouse {
  readonly kind = 'snapshot';
  readonly rows: Row[] = [];
  readonly ledger = new Set<string>();
  running = 0;
  maxRunning = 0;
  readonly #store: MemoryObjectStore;

  constructor(store: MemoryObjectStore) {
    this.#store = store;
  }

  async ensureTables(): Promise<void> {}
  async close(): Promise<void> {}
  async loadedKeys(keys: readonly string[]): Promise<Set<string>> {
    return new Set(keys.filter((k) => this.ledger.has(k)));
  }

  async load(job: LoadJob): Promise<LoadResult> {
    const snapshot = new Set(this.rows.map((r) => `${r.source}/${r.message_id}`));
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    // The merge takes a while (BigQuery: seconds); another may start meanwhile.
    await new Promise((r) => setTimeout(r, 150));
    const staged: Row[] = [];
    for (const f of job.files)
      staged.push(...(JSON.parse((await this.#store.get(f.key)).toString()) as Row[]));
    const fresh = staged.filter((r) => !snapshot.has(`${r.source}/${r.message_id}`));
    this.rows.push(...fresh);
    for (const f of job.files) this.ledger.add(f.key);
    this.running -= 1;
    return { jobId: job.id, rowsRead: staged.length, rowsInserted: fresh.length, alreadyDone: false };
  }
}

async function filesOf(store: MemoryObjectStore) {
  for (const hour of ['10', '11']) {
    const rows = [1, 2, 3].map((n) => ({ source: 'web', message_id: `m${hour}-${n}` }));
    await store.put(
      `events/stream=web/date=2026-11-27/hour=${hour}/w-1.parquet`,
      Buffer.from(JSON.stringify(rows)),
    );
  }
}

const duplicates = (rows: Row[]) =>
  rows.length - new Set(rows.map((r) => `${r.source}/${r.message_id}`)).size;

describe('two loaders at once', () => {
  test('run and backfill started together: one merges at a time, no (source, message_id) twice, and the backfill says it waited', async () => {
    const store = new MemoryObjectStore();
    await filesOf(store);
    const warehouse = new SnapshotWarehouse(store);
    const logs: string[] = [];
    const logger = {
      info: (_: object, msg: string) => void logs.push(msg),
      warn: (_: object, msg: string) => void logs.push(msg),
      error: (_: object, msg: string) => void logs.push(msg),
      debug: () => {},
    } as never;
    const run = createLoader({
      ...defaultLoaderSettings(),
      store,
      warehouse,
      leaseOwner: 'run',
      leaseWaitMs: 20,
    });
    const backfill = createLoader({
      ...defaultLoaderSettings(),
      store,
      warehouse,
      leaseOwner: 'backfill',
      leaseWaitMs: 20,
      logger,
    });
    const [ran, filled] = await Promise.all([
      run.runOnce(),
      backfill.backfill({ from: '2026-11-27', to: '2026-11-27' }),
    ]);
    assert.equal(ran.ok && filled.ok, true, String(ran.error ?? filled.error));
    assert.equal(duplicates(warehouse.rows), 0, 'no (source, message_id) twice');
    assert.equal(warehouse.rows.length, 6);
    assert.equal(warehouse.maxRunning, 1, 'never two merges at once');
    // Whichever started first holds the lease: the backfill waits for the run, or the run is skipped.
    assert.ok(
      logs.includes('loader_lease_wait') || ran.leaseHeldBy?.owner === 'backfill',
      `contention was seen: ${logs.join(', ')}`,
    );
  });

  test('two runs at once: the second loads nothing and reports who holds the lease (not a failure)', async () => {
    const store = new MemoryObjectStore();
    await filesOf(store);
    const warehouse = new SnapshotWarehouse(store);
    const [a, b] = await Promise.all([
      createLoader({ ...defaultLoaderSettings(), store, warehouse, leaseOwner: 'job-1' }).runOnce(),
      createLoader({ ...defaultLoaderSettings(), store, warehouse, leaseOwner: 'job-2' }).runOnce(),
    ]);
    assert.equal(duplicates(warehouse.rows), 0, 'no (source, message_id) twice');
    const skipped = [a, b].filter((r) => r.leaseHeldBy);
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]!.ok, true);
    assert.equal(skipped[0]!.jobs, 0);
    assert.ok(['job-1', 'job-2'].includes(skipped[0]!.leaseHeldBy!.owner));
    assert.equal(warehouse.rows.length, 6);
    assert.equal(await store.stat('_eventkit/loader-default.lease'), undefined, 'released after the run');
  });
});

// The contract every warehouse keeps (memory, DuckDB, BigQuery): exactly once
// per job, no duplicate (source, message_id) within the dedup window.
import assert from 'node:assert/strict';
import { afterAll, describe, test } from 'vitest';
import type { LoadFile, LoadJob, Warehouse } from '../ports/warehouse.ts';

/** The columns a contract row needs; real warehouses take the full warehouse row. */
export interface ContractRow {
  message_id: string;
  source: string;
  type: string;
  stream: string;
  received_at: string;
  [column: string]: unknown;
}

export interface WarehouseUnderTest {
  warehouse: Warehouse;
  /** Writes rows as one file in the format the warehouse loads, returning it. */
  stageFile(rows: ContractRow[]): Promise<LoadFile>;
  /** The (source, message_id) pairs now in the events table. */
  eventKeys(): Promise<{ source: string; message_id: string }[]>;
  cleanup(): Promise<void>;
}

export function contractRow(n: number, overrides: Partial<ContractRow> = {}): ContractRow {
  return {
    message_id: `m-${n}`,
    source: 'web',
    type: 'track',
    stream: 'events',
    received_at: '2026-11-27T10:00:00.000Z',
    ...overrides,
  };
}

let jobCounter = 0;
const job = (files: LoadFile[], overrides: Partial<LoadJob> = {}): LoadJob => ({
  id: `contract-job-${process.pid}-${++jobCounter}`,
  table: 'events',
  files,
  dedupWindowDays: 7,
  ...overrides,
});

const sortedKeys = (rows: { source: string; message_id: string }[]) =>
  rows.map((r) => `${r.source}:${r.message_id}`).sort();

export function warehouseContract(name: string, make: () => Promise<WarehouseUnderTest>): void {
  describe(`warehouse contract: ${name}`, () => {
    const opened: WarehouseUnderTest[] = [];
    const open = async () => {
      const w = await make();
      opened.push(w);
      await w.warehouse.ensureTables();
      return w;
    };
    afterAll(async () => {
      for (const w of opened) await w.cleanup();
    });

    test('ensureTables is idempotent', async () => {
      const w = await open();
      await w.warehouse.ensureTables();
      assert.deepEqual(await w.eventKeys(), []);
    });

    test('loads a job and records its files', async () => {
      const w = await open();
      const file = await w.stageFile([contractRow(1), contractRow(2), contractRow(3)]);
      const result = await w.warehouse.load(job([file]));
      assert.equal(result.rowsRead, 3);
      assert.equal(result.rowsInserted, 3);
      assert.equal(result.alreadyDone, false);
      assert.deepEqual([...(await w.warehouse.loadedKeys([file.key, 'never/loaded']))], [file.key]);
      assert.deepEqual(sortedKeys(await w.eventKeys()), ['web:m-1', 'web:m-2', 'web:m-3']);
    });

    test('running the same job id again loads nothing (crash between load and record)', async () => {
      const w = await open();
      const file = await w.stageFile([contractRow(1), contractRow(2)]);
      const j = job([file]);
      await w.warehouse.load(j);
      const again = await w.warehouse.load(j);
      assert.equal(again.alreadyDone, true);
      assert.equal((await w.eventKeys()).length, 2);
    });

    test('the same event in several files and jobs lands once', async () => {
      const w = await open();
      const a = await w.stageFile([contractRow(1), contractRow(2), contractRow(2)]);
      const b = await w.stageFile([contractRow(2), contractRow(3)]);
      const first = await w.warehouse.load(job([a, b]));
      assert.equal(first.rowsRead, 5);
      assert.equal(first.rowsInserted, 3);
      const c = await w.stageFile([
        contractRow(3, { received_at: '2026-11-28T09:00:00.000Z' }),
        contractRow(4),
      ]);
      const second = await w.warehouse.load(job([c]));
      assert.equal(second.rowsInserted, 1);
      assert.deepEqual(sortedKeys(await w.eventKeys()), ['web:m-1', 'web:m-2', 'web:m-3', 'web:m-4']);
    });

    test('one source never suppresses another source with the same messageId', async () => {
      const w = await open();
      const file = await w.stageFile([contractRow(1, { source: 'web' }), contractRow(1, { source: 'ios' })]);
      await w.warehouse.load(job([file]));
      assert.deepEqual(sortedKeys(await w.eventKeys()), ['ios:m-1', 'web:m-1']);
    });

    test('an empty file loads as zero rows and is still recorded', async () => {
      const w = await open();
      const file = await w.stageFile([]);
      const result = await w.warehouse.load(job([file]));
      assert.equal(result.rowsInserted, 0);
      assert.ok((await w.warehouse.loadedKeys([file.key])).has(file.key));
    });
  });
}

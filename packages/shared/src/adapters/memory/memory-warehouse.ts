// An in-memory warehouse with the exactly-once and dedup rules of the real ones
// (see ports/warehouse.ts). It reads rows through an injected reader, so it is
// independent of the file format.
import type { LedgerEntry, LoadFile, LoadJob, LoadResult, Warehouse } from '../../ports/warehouse.ts';

/** A row as the warehouse sees it: events rows have source/message_id, error rows an id. */
export type WarehouseRowLike = Record<string, unknown>;

export type RowReader = (file: LoadFile) => Promise<WarehouseRowLike[]>;

const DAY_MS = 86_400_000;

export class MemoryWarehouse implements Warehouse {
  readonly kind = 'memory';
  readonly tables: { events: WarehouseRowLike[]; errors: WarehouseRowLike[] } = { events: [], errors: [] };
  readonly ledger = new Map<string, LedgerEntry>();
  readonly #jobs = new Map<string, LoadResult>();
  readonly #readRows: RowReader;

  constructor(readRows: RowReader) {
    this.#readRows = readRows;
  }

  async ensureTables(): Promise<void> {}

  async loadedKeys(keys: readonly string[]): Promise<Set<string>> {
    return new Set(keys.filter((k) => this.ledger.has(k)));
  }

  async load(job: LoadJob): Promise<LoadResult> {
    const done = this.#jobs.get(job.id);
    if (done) return { ...done, alreadyDone: true };

    const staged: WarehouseRowLike[] = [];
    const rowsPerFile = new Map<string, number>();
    for (const file of job.files) {
      const rows = await this.#readRows(file);
      rowsPerFile.set(file.key, rows.length);
      staged.push(...rows);
    }
    const target = this.tables[job.table];
    const keyOf = job.table === 'events' ? eventKey : errorKey;
    const fresh = dedupStaged(staged, keyOf);
    const minReceived = fresh.reduce((min, r) => Math.min(min, receivedAt(r)), Number.POSITIVE_INFINITY);
    const windowStart = minReceived - job.dedupWindowDays * DAY_MS;
    const existing = new Set(target.filter((r) => receivedAt(r) >= windowStart).map(keyOf));
    const loadedAt = new Date();
    const inserted = fresh.filter((r) => !existing.has(keyOf(r)));
    target.push(...inserted.map((r) => ({ ...r, loaded_at: loadedAt.toISOString() })));
    for (const file of job.files) {
      this.ledger.set(file.key, {
        key: file.key,
        jobId: job.id,
        rows: rowsPerFile.get(file.key) ?? 0,
        loadedAt,
      });
    }
    const result = {
      jobId: job.id,
      rowsRead: staged.length,
      rowsInserted: inserted.length,
      alreadyDone: false,
    };
    this.#jobs.set(job.id, result);
    return result;
  }

  async close(): Promise<void> {}
}

const eventKey = (r: WarehouseRowLike) => `${String(r.source)}\u0000${String(r.message_id)}`;
const errorKey = (r: WarehouseRowLike) => String(r.id);
/** Error rows have no received_at when the message could not be decoded: their failure time stands in. */
const receivedAt = (r: WarehouseRowLike) => Date.parse(String(r.received_at ?? r.failed_at ?? 0));

/** One row per key: the earliest received wins. */
function dedupStaged(rows: WarehouseRowLike[], keyOf: (r: WarehouseRowLike) => string): WarehouseRowLike[] {
  const byKey = new Map<string, WarehouseRowLike>();
  for (const row of rows) {
    const key = keyOf(row);
    const seen = byKey.get(key);
    if (!seen || receivedAt(row) < receivedAt(seen)) byKey.set(key, row);
  }
  return [...byKey.values()];
}

// The quarantine: files that can never load (a lone UTF-16 surrogate in a JSON
// string, a corrupt or truncated Parquet file, a malformed NDJSON line) are set
// aside so that they do not block every file behind them, forever.
//
// How a file gets here (loader.ts, loadIsolating): a job fails with an error the
// warehouse does not call transient; the group is split in halves and each half
// loaded again, down to single files. A file that fails alone is quarantined
// when the warehouse says its error is about the data (`classifyError` →
// 'data'), or when another file of the same group loaded (so the warehouse
// works and it is this file). Otherwise the error ends the lane's run as
// before, and the next run tries again. Bisection costs about 2·log2(n) jobs per
// bad file, never one job per file, and at most 4·ceil(log2(n + 1)) + 4 per group
// (failed jobs count against BigQuery's 1,500 load jobs per table a day too).
//
// The record is one small JSON object per file in the object store,
// `{prefix}_eventkit/quarantine/{key}.json` (the key without the prefix), so it
// works the same for DuckDB and BigQuery and survives the warehouse. Discovery
// and backfill skip a file that has one; deleting the record makes the file
// pending again (see the README: re-loading a quarantined file).
import type { LoadTable, ObjectStore } from '@eventkit/shared/ports';
import { listAll } from '@eventkit/shared/ports';

export interface QuarantineRecord {
  key: string;
  table: LoadTable;
  /** The load error, one log-safe line (describeError: no event data). */
  reason: string;
  job_id: string;
  quarantined_at: string;
}

export const quarantineRoot = (prefix: string): string => `${prefix}_eventkit/quarantine/`;

/** The record's key for the file `key` (which starts with `prefix`). */
export const quarantineKey = (prefix: string, key: string): string =>
  `${quarantineRoot(prefix)}${key.slice(prefix.length)}.json`;

export class Quarantine {
  readonly #store: ObjectStore;
  readonly #prefix: string;

  constructor(store: ObjectStore, prefix: string) {
    this.#store = store;
    this.#prefix = prefix;
  }

  /** The keys of the quarantined files (one listing of the quarantine prefix; the records are few). */
  async keys(): Promise<Set<string>> {
    const root = quarantineRoot(this.#prefix);
    const keys = new Set<string>();
    for await (const object of listAll(this.#store, root)) {
      if (object.key.endsWith('.json')) keys.add(`${this.#prefix}${object.key.slice(root.length, -5)}`);
    }
    return keys;
  }

  /** Every record, oldest first by key (for `status`). */
  async records(limit = 100): Promise<QuarantineRecord[]> {
    const out: QuarantineRecord[] = [];
    for await (const object of listAll(this.#store, quarantineRoot(this.#prefix))) {
      if (out.length >= limit) break;
      try {
        out.push(JSON.parse((await this.#store.get(object.key)).toString('utf8')) as QuarantineRecord);
      } catch {
        // removed meanwhile (released by an operator), or not ours: skip
      }
    }
    return out;
  }

  async add(record: QuarantineRecord): Promise<void> {
    await this.#store.put(quarantineKey(this.#prefix, record.key), Buffer.from(JSON.stringify(record)), {
      contentType: 'application/json',
    });
  }

  /** Makes the file pending again (after it was fixed or replaced). */
  async release(key: string): Promise<boolean> {
    const recordKey = quarantineKey(this.#prefix, key);
    const existed = (await this.#store.stat(recordKey)) !== undefined;
    await this.#store.delete(recordKey);
    return existed;
  }
}

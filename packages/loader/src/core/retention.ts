// Retention of loaded files on the local disk (the file store only; a bucket's
// lifecycle rule does it in production, see the README).
//
// Without it the data directory grows forever, and every run of the local
// loader gets slower: the file store's listing walks the whole tree.
//
// A file is deleted only when both hold:
// - the ledger has it (its rows are in the table: loaded, not just written;
//   a pending or quarantined file is never in the ledger, so never deleted);
// - its folder ended more than `graceMs` ago (the dedup window plus the
//   look-back by default).
// Why the grace: deleting a loaded file never weakens the dedup (a later copy
// of an event is compared with the table's rows, not with files) nor the
// discovery (the watermark comes from the ledger). What the files are still
// good for is `backfill`: a day can be reloaded from its files while it is
// within the dedup window (where a reload is deduplicated against the rows
// already there) and the look-back (where a run still lists it). Past that the
// table is the copy of record.
//
// It runs at the end of a run, holding the loader lease, so it never deletes a
// file a backfill is reading. Each run deletes at most `maxPerRun` files.
import type { LoadTable, ObjectStore, Warehouse } from '@eventkit/shared/ports';
import { type DiscoveryOptions, lanesFor, listLane } from './discovery.ts';
import { DAY, HOUR } from './layout.ts';

export interface RetentionOptions {
  /** A loaded file is deleted once its folder ended this long ago. */
  graceMs: number;
  /** Upper bound on deletions per run (the rest go in later runs). Default 10,000. */
  maxPerRun?: number;
  /** Called after each deletion (the local mode removes emptied folders). */
  onDeleted?: (key: string) => Promise<void> | void;
}

/** The default grace: the dedup window plus the look-back. */
export const defaultGraceMs = (dedupWindowDays: number, lookbackHours: number): number =>
  dedupWindowDays * DAY + lookbackHours * HOUR;

const folderLength = (table: LoadTable) => (table === 'events' ? HOUR : DAY);

/** Deletes loaded files whose folder ended more than graceMs before `now`. Returns how many. */
export async function deleteLoadedFiles(
  tables: readonly LoadTable[],
  discovery: DiscoveryOptions,
  retention: RetentionOptions,
  now: number,
): Promise<number> {
  const store: ObjectStore = discovery.store;
  const warehouse: Warehouse = discovery.warehouse;
  const max = retention.maxPerRun ?? 10_000;
  const cutoff = now - retention.graceMs;
  let deleted = 0;
  for (const table of tables) {
    for (const lane of await lanesFor(table, discovery)) {
      // Keys sort in folder-time order within a lane: stop at the first folder inside the grace.
      const old: string[] = [];
      for await (const f of listLane(lane, undefined, discovery)) {
        if (f.folderTime + folderLength(table) > cutoff) break;
        old.push(f.key);
        if (deleted + old.length >= max) break;
      }
      for (let i = 0; i < old.length; i += 500) {
        const batch = old.slice(i, i + 500);
        const loaded = await warehouse.loadedKeys(batch);
        for (const key of batch) {
          if (!loaded.has(key)) continue;
          await store.delete(key);
          await retention.onDeleted?.(key);
          deleted += 1;
        }
      }
      if (deleted >= max) return deleted;
    }
  }
  return deleted;
}

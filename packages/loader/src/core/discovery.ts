// Discovery: which files are there to load, oldest first, without listing the
// whole bucket on every run.
//
// The files are split into lanes whose keys sort in folder-time order: one lane
// per event stream (`…/events/stream=x/`) and one for the dead letters
// (`…/errors/`). The streams are found by a skip-scan (one one-key listing per
// stream, see `afterStream`), since the ObjectStore port has no delimiter.
// A listing page may be empty and still carry a token (GCS: startOffset is
// inclusive, so a page holding only the startAfter key comes back empty), so
// the skip-scan, like every listing, follows tokens and ends only on a page
// without one. A key that is no stream (the Console's zero-byte `events/`
// folder object, an `events/README`, an `events/tmp/` folder) is stepped over
// whole: the scan jumps past its top-level folder, never key by key.
//
// The watermark rule. A lane's watermark W is the folder of the greatest key the
// ledger holds for it (Warehouse.lastLoadedKeys). A run lists the lane from the
// folder that starts `lookbackHours` before W, i.e. it lists the folders
// [floor(W − lookback), ∞), and drops the keys the ledger already has. So a file
// that lands in an old folder (a slow upload named at flush time) is still found
// as long as the lane's newest loaded folder is at most `lookbackHours` later
// than the file's folder; since W never runs ahead of the workers' clock, a file
// visible within `lookbackHours` of its folder's end is always caught. Older
// late files need `backfill`. W is capped at the loader's now: a folder dated in
// the future (a worker whose clock ran ahead) would otherwise move the start
// past every correctly dated file. A lane with no watermark (new stream, empty
// ledger, or a warehouse without lastLoadedKeys) is listed from its start.
import { errorsRoot, eventsRoot, type ParsedKey, parseKey, streamRoot } from '@eventkit/shared/layout';
import type { LoadTable, ObjectInfo, ObjectStore, Warehouse } from '@eventkit/shared/ports';
import { afterStream, folderFloor, folderStartKey, HOUR, streamOfKey } from './layout.ts';

export interface DiscoveredFile {
  key: string;
  uri: string;
  size: number;
  /** When the object was created. */
  updated: Date;
  table: LoadTable;
  folderTime: number;
}

export interface DiscoveryOptions {
  store: ObjectStore;
  warehouse: Warehouse;
  /** Normalized storage prefix ('' or ending in '/'). */
  prefix: string;
  lookbackHours: number;
  /** Objects per listing request. */
  pageSize?: number;
  /** Keys per ledger lookup. */
  ledgerBatch?: number;
  /** Called once per key under a lane that is not a file of the layout (it is never loaded). */
  onForeignKey?: (key: string) => void;
  /** The loader's clock (ms since the epoch): watermarks are capped at it. Default Date.now. */
  now?: () => number;
}

export interface Lane {
  table: LoadTable;
  root: string;
}

/** Upper bound on streams and on skipped foreign keys in one skip-scan: a safety net, not a limit in practice. */
const MAX_SKIP_SCAN_STEPS = 100_000;

/** A folder placeholder: the zero-byte object the Cloud Console (or gsutil) creates for `a/b/`. */
export const isFolderPlaceholder = (key: string): boolean => key.endsWith('/');

/**
 * A `startAfter` past a key under `root` that is not a stream: past its whole
 * top-level folder when it has one (`events/tmp/x` → `events/tmp0`, since '/'
 * sorts just before '0', the same step as `afterStream`), else past the key
 * itself (`events/README`, the placeholder `events/`).
 */
function afterForeign(root: string, key: string): string {
  const rest = key.slice(root.length);
  const slash = rest.indexOf('/');
  return slash > 0 ? `${root}${rest.slice(0, slash)}0` : key;
}

/** The streams under `{prefix}events/`, in key order. */
export async function listStreams(store: ObjectStore, prefix: string, onForeignKey?: (key: string) => void) {
  const root = eventsRoot(prefix);
  const streams: string[] = [];
  let startAfter: string | undefined;
  let pageToken: string | undefined;
  for (let step = 0; step < MAX_SKIP_SCAN_STEPS; step++) {
    const page = await store.list(root, {
      pageSize: 1,
      ...(startAfter ? { startAfter } : {}),
      ...(pageToken ? { pageToken } : {}),
    });
    const first = page.objects[0];
    if (!first) {
      // Empty is not the end while there is a token (ports/object-store.ts, ListPage).
      if (!page.nextPageToken) return streams;
      pageToken = page.nextPageToken;
      continue;
    }
    pageToken = undefined; // a new query from the next position
    const stream = streamOfKey(prefix, first.key);
    if (stream === undefined) {
      if (!isFolderPlaceholder(first.key)) onForeignKey?.(first.key);
      startAfter = afterForeign(root, first.key);
    } else {
      streams.push(stream);
      startAfter = afterStream(prefix, stream);
    }
  }
  throw new Error(
    `more than ${MAX_SKIP_SCAN_STEPS} listing steps over streams and foreign keys under ${root}`,
  );
}

export async function lanesFor(table: LoadTable, opts: DiscoveryOptions): Promise<Lane[]> {
  if (table === 'errors') return [{ table, root: errorsRoot(opts.prefix) }];
  const streams = await listStreams(opts.store, opts.prefix, opts.onForeignKey);
  return streams.map((s) => ({ table, root: streamRoot(opts.prefix, s) }));
}

/** Where each lane's listing starts under the watermark rule (undefined: from the start). */
export async function laneStarts(lanes: readonly Lane[], opts: DiscoveryOptions) {
  const starts = new Map<string, string | undefined>();
  const marks = opts.warehouse.lastLoadedKeys
    ? await opts.warehouse.lastLoadedKeys(lanes.map((l) => l.root))
    : new Map<string, string>();
  for (const lane of lanes) {
    const mark = marks.get(lane.root);
    const parsed = mark === undefined ? undefined : parseKey(opts.prefix, mark);
    if (!parsed || parsed.laneRoot !== lane.root) {
      starts.set(lane.root, undefined);
      continue;
    }
    // Capped at now: a file from a worker whose clock ran ahead (a folder dated
    // in the future) must not move the listing start past the present, or it
    // would hide every correctly dated file behind it.
    const capped = Math.min(parsed.folderTime, (opts.now ?? Date.now)());
    const from = folderFloor(lane.table, capped - opts.lookbackHours * HOUR);
    starts.set(lane.root, folderStartKey(lane.table, lane.root, from));
  }
  return starts;
}

/** Every layout file of a lane from `startAfter` on, in key order, following page tokens. */
export async function* listLane(
  lane: Lane,
  startAfter: string | undefined,
  opts: Pick<DiscoveryOptions, 'store' | 'prefix' | 'pageSize' | 'onForeignKey'>,
): AsyncGenerator<DiscoveredFile> {
  let pageToken: string | undefined;
  do {
    // The same query on every page (GCS wants it), plus the token.
    const page = await opts.store.list(lane.root, {
      pageSize: opts.pageSize ?? 1000,
      ...(startAfter ? { startAfter } : {}),
      ...(pageToken ? { pageToken } : {}),
    });
    for (const object of page.objects) {
      const parsed = parseKey(opts.prefix, object.key);
      if (!parsed || parsed.table !== lane.table || parsed.laneRoot !== lane.root) {
        if (!isFolderPlaceholder(object.key)) opts.onForeignKey?.(object.key);
        continue;
      }
      yield toDiscovered(object, parsed);
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
}

function toDiscovered(object: ObjectInfo, parsed: ParsedKey): DiscoveredFile {
  return {
    key: object.key,
    uri: object.uri,
    size: object.size,
    updated: object.updated,
    table: parsed.table,
    folderTime: parsed.folderTime,
  };
}

const olderFirst = (a: DiscoveredFile, b: DiscoveredFile) =>
  a.folderTime - b.folderTime || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Merges lanes that are each in folder-time order into one stream, oldest first. */
export async function* mergeOldestFirst(
  lanes: readonly AsyncIterator<DiscoveredFile>[],
): AsyncGenerator<DiscoveredFile> {
  const heads: { it: AsyncIterator<DiscoveredFile>; file: DiscoveredFile }[] = [];
  for (const it of lanes) {
    const next = await it.next();
    if (!next.done) heads.push({ it, file: next.value });
  }
  while (heads.length > 0) {
    let min = 0;
    for (let i = 1; i < heads.length; i++) if (olderFirst(heads[i]!.file, heads[min]!.file) < 0) min = i;
    const head = heads[min]!;
    yield head.file;
    const next = await head.it.next();
    if (next.done) heads.splice(min, 1);
    else head.file = next.value;
  }
}

/** Drops the files the ledger already has, asking in batches. */
export async function* withoutLoaded(
  files: AsyncIterable<DiscoveredFile>,
  warehouse: Warehouse,
  batchSize = 500,
): AsyncGenerator<DiscoveredFile> {
  let batch: DiscoveredFile[] = [];
  const flush = async function* () {
    const writtenAfter = new Date(Math.min(...batch.map((f) => f.folderTime)));
    const loaded = await warehouse.loadedKeys(
      batch.map((f) => f.key),
      { writtenAfter },
    );
    for (const f of batch) if (!loaded.has(f.key)) yield f;
    batch = [];
  };
  for await (const file of files) {
    batch.push(file);
    if (batch.length >= batchSize) yield* flush();
  }
  if (batch.length > 0) yield* flush();
}

/** The files of `table` not loaded yet, oldest first, under the watermark rule. */
export async function* pendingFiles(
  table: LoadTable,
  opts: DiscoveryOptions,
): AsyncGenerator<DiscoveredFile> {
  const lanes = await lanesFor(table, opts);
  if (lanes.length === 0) return;
  const starts = await laneStarts(lanes, opts);
  const iterators = lanes.map((lane) => listLane(lane, starts.get(lane.root), opts));
  yield* withoutLoaded(mergeOldestFirst(iterators), opts.warehouse, opts.ledgerBatch);
}

/**
 * Every file of `table` whose folder date is within [fromDay, toDay] (UTC day
 * starts, inclusive), loaded or not, oldest first: what a backfill reloads.
 */
export async function* filesInDays(
  table: LoadTable,
  fromDay: number,
  toDay: number,
  opts: DiscoveryOptions,
): AsyncGenerator<DiscoveredFile> {
  const lanes = await lanesFor(table, opts);
  const iterators = lanes.map((lane) =>
    takeWhileBefore(listLane(lane, folderStartKey(lane.table, lane.root, fromDay), opts), toDay + 86_400_000),
  );
  yield* mergeOldestFirst(iterators);
}

async function* takeWhileBefore(files: AsyncIterable<DiscoveredFile>, end: number) {
  for await (const f of files) {
    if (f.folderTime >= end) return;
    yield f;
  }
}

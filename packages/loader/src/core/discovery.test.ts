import assert from 'node:assert/strict';
import { MemoryObjectStore } from '@eventkit/shared/memory';
import type { ListOptions, Warehouse } from '@eventkit/shared/ports';
import { describe, test } from 'vitest';
import { type DiscoveryOptions, filesInDays, listStreams, pendingFiles } from './discovery.ts';

/** A bucket that records its listings. */
class SpyStore extends MemoryObjectStore {
  readonly lists: { prefix: string; options: ListOptions }[] = [];
  override list(prefix: string, options: ListOptions = {}) {
    this.lists.push({ prefix, options });
    return super.list(prefix, options);
  }
}

/** Just the ledger side of a warehouse. */
function ledger(keys: string[] = [], withWatermarks = true): Warehouse & { asked: string[][] } {
  const loaded = new Set(keys);
  const asked: string[][] = [];
  return {
    kind: 'test',
    asked,
    ensureTables: async () => {},
    load: async () => {
      throw new Error('not here');
    },
    close: async () => {},
    loadedKeys: async (ks) => {
      asked.push([...ks]);
      return new Set(ks.filter((k) => loaded.has(k)));
    },
    ...(withWatermarks
      ? {
          lastLoadedKeys: async (prefixes: readonly string[]) =>
            new Map(
              prefixes.flatMap((p) => {
                const under = [...loaded].filter((k) => k.startsWith(p)).sort();
                return under.length > 0 ? [[p, under.at(-1)!] as [string, string]] : [];
              }),
            ),
        }
      : {}),
  };
}

const ev = (stream: string, at: string, name = 'w1-a') =>
  `events/stream=${stream}/date=${at.slice(0, 10)}/hour=${at.slice(11, 13)}/${name}.parquet`;

async function put(store: MemoryObjectStore, ...keys: string[]) {
  for (const key of keys) await store.put(key, Buffer.from(key));
}

async function keysOf(it: AsyncIterable<{ key: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const f of it) out.push(f.key);
  return out;
}

const options = (store: SpyStore, warehouse: Warehouse, extra: Partial<DiscoveryOptions> = {}) => ({
  store,
  warehouse,
  prefix: '',
  lookbackHours: 2,
  ...extra,
});

describe('discovery', () => {
  test('finds every stream with one one-key listing each, skipping foreign keys', async () => {
    const store = new SpyStore();
    const streams = ['a', 'a-b', 'a_b', 'a0', 'b'];
    for (const s of streams) await put(store, ev(s, '2026-11-27T10'), ev(s, '2026-11-27T11'));
    await put(store, 'events/README.txt');
    const foreign: string[] = [];
    // Key order: 'a-b/' sorts before 'a/' ('-' < '/').
    assert.deepEqual(await listStreams(store, '', (k) => foreign.push(k)), ['a-b', 'a', 'a0', 'a_b', 'b']);
    assert.deepEqual(foreign, ['events/README.txt']);
    assert.equal(store.lists.length, streams.length + 2);
    assert.ok(store.lists.every((l) => l.options.pageSize === 1));
  });

  test('a bucket whose pages can be empty yet carry a token (as GCS may answer) hides nothing from the skip-scan or the lanes', async () => {
    // Every real page is preceded by an empty one with a token, the worst case the port allows.
    class EmptyPagesStore extends SpyStore {
      override async list(prefix: string, options: ListOptions = {}) {
        if (options.pageToken?.startsWith('empty:')) {
          const rest = options.pageToken.slice('empty:'.length);
          const { pageToken: _, ...query } = options;
          return super.list(prefix, rest ? { ...query, pageToken: rest } : query);
        }
        return { objects: [], nextPageToken: `empty:${options.pageToken ?? ''}` };
      }
    }
    const store = new EmptyPagesStore();
    await put(store, ev('android', '2026-11-27T10'), ev('web', '2026-11-27T10'), ev('web', '2026-11-27T11'));
    assert.deepEqual(await listStreams(store, ''), ['android', 'web']);
    assert.deepEqual(await keysOf(pendingFiles('events', options(store, ledger(), { pageSize: 1 }))), [
      ev('android', '2026-11-27T10'),
      ev('web', '2026-11-27T10'),
      ev('web', '2026-11-27T11'),
    ]);
  });

  test('a foreign folder is stepped over whole, not key by key, and folder placeholders are not reported', async () => {
    const store = new SpyStore();
    await put(store, 'events/', ev('a', '2026-11-27T10'), ev('z', '2026-11-27T10'));
    for (let i = 0; i < 50; i++) await put(store, `events/tmp/part-${String(i).padStart(3, '0')}`);
    const foreign: string[] = [];
    assert.deepEqual(await listStreams(store, '', (k) => foreign.push(k)), ['a', 'z']);
    assert.deepEqual(foreign, ['events/tmp/part-000']);
    // events/, stream a, events/tmp/…, stream z, the end.
    assert.equal(store.lists.length, 5);
  });

  test('lists oldest first across streams, following page tokens, and drops what the ledger has', async () => {
    const store = new SpyStore();
    await put(
      store,
      ev('web', '2026-11-27T12'),
      ev('web', '2026-11-27T10'),
      ev('ios', '2026-11-27T11'),
      ev('ios', '2026-11-27T09'),
      ev('ios', '2026-11-27T13', 'w2-b'),
      'events/stream=ios/date=2026-11-27/hour=13/notes.txt',
    );
    const warehouse = ledger([ev('web', '2026-11-27T10')], false);
    const keys = await keysOf(pendingFiles('events', options(store, warehouse, { pageSize: 2 })));
    assert.deepEqual(keys, [
      ev('ios', '2026-11-27T09'),
      ev('ios', '2026-11-27T11'),
      ev('web', '2026-11-27T12'),
      ev('ios', '2026-11-27T13', 'w2-b'),
    ]);
    assert.ok(
      store.lists.some((l) => l.options.pageToken),
      'page tokens were followed',
    );
  });

  test('the watermark: a lane is listed from lookbackHours before its newest loaded folder', async () => {
    const store = new SpyStore();
    const loaded = [ev('web', '2026-11-27T08'), ev('web', '2026-11-27T12')];
    const lateInWindow = ev('web', '2026-11-27T10', 'w9-late');
    const lateTooOld = ev('web', '2026-11-27T09', 'w9-late');
    const fresh = ev('web', '2026-11-27T13');
    await put(store, ...loaded, lateInWindow, lateTooOld, fresh);
    const warehouse = ledger(loaded);
    const keys = await keysOf(pendingFiles('events', options(store, warehouse)));
    assert.deepEqual(keys, [lateInWindow, fresh], 'hour 09 is older than 12 − 2 h: left to backfill');
    const listing = store.lists.find((l) => l.prefix === 'events/stream=web/' && l.options.pageSize !== 1);
    assert.equal(listing?.options.startAfter, 'events/stream=web/date=2026-11-27/hour=10/');
    assert.deepEqual(warehouse.asked.flat(), [lateInWindow, ev('web', '2026-11-27T12'), fresh]);
  });

  test('without a watermark every lane is listed from its start (new stream, empty ledger)', async () => {
    const store = new SpyStore();
    await put(store, ev('web', '2026-11-20T01'), ev('new', '2026-11-27T12'));
    const keys = await keysOf(pendingFiles('events', options(store, ledger())));
    assert.deepEqual(keys, [ev('web', '2026-11-20T01'), ev('new', '2026-11-27T12')]);
    assert.ok(
      store.lists.filter((l) => l.options.pageSize !== 1).every((l) => l.options.startAfter === undefined),
    );
  });

  test('dead letters are one lane with day folders; the look-back reaches into the previous day', async () => {
    const store = new SpyStore();
    const err = (day: string, type = 'validation') => `errors/date=${day}/error_type=${type}/w1-a.ndjson`;
    await put(store, err('2026-11-25'), err('2026-11-26', 'processing'), err('2026-11-27'));
    const warehouse = ledger([err('2026-11-25'), err('2026-11-27')]);
    const keys = await keysOf(pendingFiles('errors', options(store, warehouse)));
    assert.deepEqual(keys, [err('2026-11-26', 'processing')]);
    assert.equal(store.lists.at(-1)?.options.startAfter, 'errors/date=2026-11-26/');
  });

  test('a storage prefix scopes everything; keys outside it are never seen', async () => {
    const store = new SpyStore();
    await put(store, `tenant/${ev('web', '2026-11-27T10')}`, ev('web', '2026-11-27T10'));
    const keys = await keysOf(pendingFiles('events', options(store, ledger(), { prefix: 'tenant/' })));
    assert.deepEqual(keys, [`tenant/${ev('web', '2026-11-27T10')}`]);
  });

  test('a date range lists loaded and unloaded files of those days only, and stops listing after them', async () => {
    const store = new SpyStore();
    await put(
      store,
      ev('web', '2026-11-25T23'),
      ev('web', '2026-11-26T00'),
      ev('web', '2026-11-26T23'),
      ev('web', '2026-11-27T00'),
      ev('ios', '2026-11-26T05'),
    );
    const warehouse = ledger([ev('web', '2026-11-26T00')]);
    const day = Date.parse('2026-11-26T00:00:00Z');
    const keys = await keysOf(filesInDays('events', day, day, options(store, warehouse)));
    assert.deepEqual(keys, [
      ev('web', '2026-11-26T00'),
      ev('ios', '2026-11-26T05'),
      ev('web', '2026-11-26T23'),
    ]);
  });
});

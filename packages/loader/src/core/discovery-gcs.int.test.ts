// Discovery over GCS (the bigquery mode's store): GcsObjectStore with the real
// @google-cloud/storage client against the fake GCS server.
import assert from 'node:assert/strict';
import { createStorageClient, GcsObjectStore } from '@eventkit/shared/gcs';
import { MemoryWarehouse } from '@eventkit/shared/memory';
import type { Warehouse } from '@eventkit/shared/ports';
import { type FakeGcsServer, startFakeGcs } from '@eventkit/testing';
import { afterAll, beforeAll, test } from 'vitest';
import { defaultLoaderSettings } from '../testing/settings.ts';
import { listStreams, pendingFiles } from './discovery.ts';
import { createLoader } from './loader.ts';

let gcs: FakeGcsServer;
beforeAll(async () => {
  gcs = await startFakeGcs();
});
afterAll(() => gcs.close());

const ev = (stream: string, hour: string, name = 'w1-a') =>
  `events/stream=${stream}/date=2026-11-27/hour=${hour}/${name}.parquet`;

test('lists GCS lanes from the watermark with startOffset and page tokens, oldest first', async () => {
  gcs.createBucket('lake');
  const loaded = [ev('web', '09'), ev('web', '12')];
  const keys = [
    ...loaded,
    ev('web', '08', 'w2-old'),
    ev('web', '10', 'w2-late'),
    ev('web', '11'),
    ev('web', '13'),
  ];
  for (const k of [...keys, ev('ios', '12'), ev('ios', '12', 'w2-b'), ev('ios', '12', 'w3-c')]) {
    gcs.putObject('lake', k, 'x');
  }
  const warehouse: Warehouse = {
    kind: 'test',
    ensureTables: async () => {},
    load: async () => {
      throw new Error('not here');
    },
    close: async () => {},
    loadedKeys: async (ks) => new Set(ks.filter((k) => loaded.includes(k))),
    lastLoadedKeys: async (prefixes) =>
      new Map(prefixes.filter((p) => p.includes('web')).map((p) => [p, ev('web', '12')])),
  };
  const store = new GcsObjectStore({
    storage: createStorageClient({ emulatorUrl: gcs.url }),
    bucket: 'lake',
  });
  const found: string[] = [];
  for await (const f of pendingFiles('events', {
    store,
    warehouse,
    prefix: '',
    lookbackHours: 2,
    pageSize: 2,
  })) {
    assert.equal(f.uri, `gs://lake/${f.key}`);
    found.push(f.key);
  }
  assert.deepEqual(found, [
    ev('web', '10', 'w2-late'),
    ev('web', '11'),
    ev('ios', '12'),
    ev('ios', '12', 'w2-b'),
    ev('ios', '12', 'w3-c'),
    ev('web', '13'),
  ]);
  const lists = gcs.requestsTo('GET', '/b/lake/o');
  assert.ok(lists.some((r) => r.query.startOffset === 'events/stream=web/date=2026-11-27/hour=10/'));
  assert.ok(
    lists.some((r) => r.query.pageToken),
    'followed page tokens',
  );
});

test('a folder placeholder (`events/`) and an `events/README` hide no stream: both streams are found and loaded', async () => {
  // GCS: startOffset is inclusive ("objects listed will have names between
  // startOffset (inclusive) and endOffset (exclusive)", JSON API objects.list,
  // https://cloud.google.com/storage/docs/json_api/v1/objects/list). The Cloud
  // Console's "Create folder" makes a zero-byte object named `events/`.
  gcs.createBucket('placeholders');
  gcs.putObject('placeholders', 'events/', '');
  gcs.putObject('placeholders', 'events/README', 'what this folder is');
  const rows = (stream: string) => [
    { source: 'web', message_id: `${stream}-1`, received_at: '2026-11-27T10:00:00Z' },
  ];
  for (const stream of ['android', 'web']) {
    gcs.putObject('placeholders', ev(stream, '10'), JSON.stringify(rows(stream)));
  }
  const store = new GcsObjectStore({
    storage: createStorageClient({ emulatorUrl: gcs.url }),
    bucket: 'placeholders',
  });
  assert.deepEqual(await listStreams(store, ''), ['android', 'web']);

  const warehouse = new MemoryWarehouse(async (file) => JSON.parse((await store.get(file.key)).toString()));
  const report = await createLoader({ ...defaultLoaderSettings(), store, warehouse }).runOnce();
  assert.equal(report.ok, true, String(report.error));
  assert.deepEqual(
    warehouse.tables.events.map((r) => r.message_id),
    ['android-1', 'web-1'],
  );
});

test('GCS pages answered empty with a token (GCS may return fewer results than maxResults) hide nothing', async () => {
  // objects.list, maxResults: "fewer total results may be returned than requested".
  gcs.createBucket('short-pages');
  const keys = [ev('android', '10'), ev('web', '10'), ev('web', '11')];
  for (const k of keys) gcs.putObject('short-pages', k, 'x');
  const store = new GcsObjectStore({
    storage: createStorageClient({ emulatorUrl: gcs.url }),
    bucket: 'short-pages',
  });
  gcs.emptyPagesNext(6);
  const warehouse: Warehouse = {
    kind: 'test',
    ensureTables: async () => {},
    load: async () => {
      throw new Error('not here');
    },
    close: async () => {},
    loadedKeys: async () => new Set(),
  };
  const found: string[] = [];
  for await (const f of pendingFiles('events', { store, warehouse, prefix: '', lookbackHours: 2 }))
    found.push(f.key);
  assert.deepEqual(found, [ev('android', '10'), ev('web', '10'), ev('web', '11')]);
  const emptied = gcs.requestsTo('GET', '/b/short-pages/o').filter((r) => r.status === 200).length;
  assert.ok(emptied > 6, 'the empty pages were answered and followed');
});

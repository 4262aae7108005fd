// The `file` sink and dead-letter store: the GCS layout under a local
// directory (FileObjectStore: temporary file, fsync, link or rename).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  deadLetterStoreContract,
  eventSinkContract,
  sampleDeadLetter,
  sampleEvent,
} from '@eventkit/shared/contracts';
import { FileObjectStore } from '@eventkit/shared/local';
import { listAll, ObjectExistsError, type ObjectStore, type PutOptions } from '@eventkit/shared/ports';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ObjectStoreDeadLetterStore } from './object-store-dead-letters.ts';
import { ObjectStoreEventSink } from './object-store-sink.ts';
import { ParquetEncoder } from './parquet.ts';
import { readBackEvents } from './test-support.ts';

let encoder: ParquetEncoder;
const dirs: string[] = [];
beforeAll(async () => {
  encoder = await ParquetEncoder.create();
});
afterAll(async () => {
  await encoder.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempStore(): Promise<FileObjectStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'eventkit-file-sink-'));
  dirs.push(dir);
  return new FileObjectStore(dir);
}

eventSinkContract('file (Parquet)', async () => {
  const store = await tempStore();
  return {
    sink: new ObjectStoreEventSink({ kind: 'file', store, encoder, prefix: 'lake', workerId: 'w1' }),
    readBack: () => readBackEvents(store, 'lake', encoder),
    async cleanup() {},
  };
});

deadLetterStoreContract('file (NDJSON)', async () => ({
  store: new ObjectStoreDeadLetterStore({ store: await tempStore(), prefix: '', workerId: 'w1' }),
  async cleanup() {},
}));

describe('file sinks: layout and durability', () => {
  test('event files: {prefix}events/stream=/date=/hour= of the write time, {worker}-{uuid}.parquet', async () => {
    const store = await tempStore();
    const now = () => new Date('2026-11-27T23:59:59.999Z');
    const sink = new ObjectStoreEventSink({
      kind: 'file',
      store,
      encoder,
      prefix: 'lake/',
      workerId: 'w-7',
      now,
    });
    const receipt = await sink.write({
      stream: 'events',
      partition: 2,
      events: [sampleEvent(1), sampleEvent(2)],
    });
    const keys: string[] = [];
    for await (const o of listAll(store, '')) keys.push(o.key);
    assert.equal(keys.length, 1);
    assert.match(
      keys[0]!,
      /^lake\/events\/stream=events\/date=2026-11-27\/hour=23\/w-7-[0-9a-f-]{36}\.parquet$/,
    );
    assert.equal(receipt.location, path.join(store.root, ...keys[0]!.split('/')));
    const dir = path.dirname(receipt.location);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.startsWith('.')),
      [],
      'no temporary file left behind',
    );
  });

  test('dead letters: NDJSON of ERROR_COLUMNS rows, one file per error type', async () => {
    const store = await tempStore();
    const now = () => new Date('2026-11-28T00:00:01Z');
    const dlq = new ObjectStoreDeadLetterStore({ store, prefix: '', workerId: 'w1', now });
    await dlq.write([sampleDeadLetter(1), sampleDeadLetter(2, { errorType: 'processing' })]);
    const keys: string[] = [];
    for await (const o of listAll(store, 'errors/')) keys.push(o.key);
    assert.equal(keys.length, 2);
    assert.ok(keys.some((k) => /^errors\/date=2026-11-28\/error_type=validation\/w1-.*\.ndjson$/.test(k)));
    const line = JSON.parse((await store.get(keys.find((k) => k.includes('validation'))!)).toString());
    assert.deepEqual(Object.keys(line), [
      'id',
      'error_type',
      'reasons',
      'failed_at',
      'stream',
      'source',
      'request_id',
      'received_at',
      'message_id',
      'payload',
      'raw',
    ]);
    assert.equal(typeof line.payload, 'string', 'JSON columns are JSON text');
  });

  test('an upload retried after it did land counts as written, not as a duplicate or a failure', async () => {
    const inner = await tempStore();
    // The first put lands but reports "exists", as a client retry after a lost answer would.
    const flaky: ObjectStore = {
      put: async (key: string, data: Uint8Array, options?: PutOptions) => {
        await inner.put(key, data, options);
        throw new ObjectExistsError(key);
      },
      get: (key) => inner.get(key),
      stat: (key) => inner.stat(key),
      list: (prefix, options) => inner.list(prefix, options),
      delete: (key) => inner.delete(key),
    };
    const sink = new ObjectStoreEventSink({
      kind: 'file',
      store: flaky,
      encoder,
      prefix: '',
      workerId: 'w1',
    });
    const receipt = await sink.write({ stream: 'events', partition: 0, events: [sampleEvent(1)] });
    assert.equal(receipt.count, 1);
    const events = await readBackEvents(inner, '', encoder);
    assert.equal(events.length, 1);
  });

  test('writing the same dead letters again (a retried write) adds no copy', async () => {
    const store = await tempStore();
    const dlq = new ObjectStoreDeadLetterStore({ store, prefix: '', workerId: 'w1' });
    const letters = [sampleDeadLetter(1), sampleDeadLetter(2, { errorType: 'processing' })];
    await dlq.write(letters);
    await dlq.write(letters);
    const got = [];
    for await (const l of dlq.scan()) got.push(l.id);
    assert.deepEqual(got.sort(), letters.map((l) => l.id).sort());
  });

  test('the replay ledger remembers replayed letters', async () => {
    const dlq = new ObjectStoreDeadLetterStore({ store: await tempStore(), prefix: 'p', workerId: 'w1' });
    assert.deepEqual([...(await dlq.replayed())], []);
    await dlq.recordReplayed(['a', 'b']);
    await dlq.recordReplayed(['c']);
    assert.deepEqual([...(await dlq.replayed())].sort(), ['a', 'b', 'c']);
  });
});

// The `gcs` sink and dead-letter store with the real Storage client against
// the fake GCS server of @eventkit/testing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { deadLetterStoreContract, eventSinkContract, sampleEvent } from '@eventkit/shared/contracts';
import { GcsObjectStore } from '@eventkit/shared/gcs';
import { type FakeGcsServer, startFakeGcs } from '@eventkit/testing';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ObjectStoreDeadLetterStore } from './object-store-dead-letters.ts';
import { ObjectStoreEventSink } from './object-store-sink.ts';
import { ParquetEncoder } from './parquet.ts';
import { readBackEvents } from './test-support.ts';

let gcs: FakeGcsServer;
let encoder: ParquetEncoder;
beforeAll(async () => {
  gcs = await startFakeGcs();
  encoder = await ParquetEncoder.create();
});
afterAll(async () => {
  await encoder.close();
  await gcs.close();
});

function bucketStore(): { store: GcsObjectStore; bucket: string } {
  const bucket = `lake-${randomUUID()}`;
  gcs.createBucket(bucket);
  return {
    store: new GcsObjectStore({ storage: new Storage(gcs.clientOptions({ fastRetries: true })), bucket }),
    bucket,
  };
}

eventSinkContract('gcs (Parquet, fake GCS)', async () => {
  const { store } = bucketStore();
  return {
    sink: new ObjectStoreEventSink({ kind: 'gcs', store, encoder, prefix: 'eventkit', workerId: 'w1' }),
    readBack: () => readBackEvents(store, 'eventkit', encoder),
    async cleanup() {},
  };
});

deadLetterStoreContract('gcs (NDJSON, fake GCS)', async () => ({
  store: new ObjectStoreDeadLetterStore({ store: bucketStore().store, prefix: 'eventkit', workerId: 'w1' }),
  async cleanup() {},
}));

describe('gcs event sink', () => {
  test('uploads each file once, create-only, as one request, with a gs:// location', async () => {
    const { store, bucket } = bucketStore();
    const sink = new ObjectStoreEventSink({ kind: 'gcs', store, encoder, prefix: '', workerId: 'w1' });
    const from = gcs.requests.length;
    const receipt = await sink.write({
      stream: 'pages',
      partition: 1,
      events: [sampleEvent(1, { stream: 'pages' })],
    });
    const uploads = gcs.requests.slice(from).filter((r) => r.path.includes('/upload/'));
    assert.equal(uploads.length, 1);
    assert.equal(uploads[0]!.query.ifGenerationMatch, '0');
    const [object] = gcs.objects(bucket);
    assert.equal(receipt.location, `gs://${bucket}/${object!.name}`);
    assert.match(object!.name, /^events\/stream=pages\/date=\d{4}-\d\d-\d\d\/hour=\d\d\/w1-/);
  });

  test('a bucket failing for a while: the sink rejects (the worker retries), then writes once it is back', async () => {
    const { store, bucket } = bucketStore();
    const sink = new ObjectStoreEventSink({ kind: 'gcs', store, encoder, prefix: '', workerId: 'w1' });
    gcs.faults.failAlways({ status: 403, path: '/upload/' });
    await assert.rejects(sink.write({ stream: 'events', partition: 0, events: [sampleEvent(1)] }));
    gcs.faults.clear();
    await sink.write({ stream: 'events', partition: 0, events: [sampleEvent(1)] });
    assert.equal(gcs.objects(bucket).length, 1);
  });
});

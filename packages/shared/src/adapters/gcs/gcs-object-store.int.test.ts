// GcsObjectStore with the real @google-cloud/storage client against the fake
// GCS server: the object store contract, plus GCS specifics (the generation
// preconditions it sends, retries, gs:// URIs).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, test } from 'vitest';
// @eventkit/testing depends on shared, so shared's tests reach it by path (test-only; no package cycle).
import { type FakeGcsServer, startFakeGcs } from '../../../../testing/src/index.ts';
import { objectStoreContract } from '../../contracts/index.ts';
import { runChecks } from '../../doctor/check.ts';
import { objectStoreCheck } from '../../doctor/object-store.ts';
import { ObjectExistsError } from '../../ports/object-store.ts';
import { createStorageClient } from './client.ts';
import { GcsObjectStore } from './gcs-object-store.ts';

let gcs: FakeGcsServer;
beforeAll(async () => {
  gcs = await startFakeGcs();
});
afterAll(async () => {
  await gcs.close();
});

function freshStore(): { store: GcsObjectStore; bucket: string } {
  const bucket = `b-${randomUUID()}`;
  gcs.createBucket(bucket);
  // A Storage per store: the client keeps retry state on the instance.
  const storage = new Storage(gcs.clientOptions({ fastRetries: true }));
  return { store: new GcsObjectStore({ storage, bucket }), bucket };
}

objectStoreContract('gcs (fake GCS server, real client)', async () => ({
  store: freshStore().store,
  async cleanup() {},
}));

describe('GcsObjectStore specifics', () => {
  test('create-only puts send ifGenerationMatch=0 in one request and return gs:// URIs', async () => {
    const { store, bucket } = freshStore();
    const before = gcs.requests.length;
    const info = await store.put('events/a.parquet', Buffer.from('PAR1'), { ifNotExists: true });
    assert.equal(info.uri, `gs://${bucket}/events/a.parquet`);
    assert.equal(info.size, 4);
    const uploads = gcs.requests.slice(before).filter((r) => r.path.includes('/upload/'));
    assert.equal(uploads.length, 1);
    assert.equal(uploads[0]!.query.ifGenerationMatch, '0');
    assert.notEqual(uploads[0]!.query.uploadType, 'resumable');
  });

  test('a create-only put is retried after a transient 503 and lands once', async () => {
    const { store, bucket } = freshStore();
    gcs.faults.failNext(1, { status: 503, method: 'POST', path: '/upload/' });
    await store.put('errors/x.ndjson', Buffer.from('{}\n'), { ifNotExists: true });
    assert.equal(gcs.object(bucket, 'errors/x.ndjson')?.data.toString(), '{}\n');
    await assert.rejects(
      store.put('errors/x.ndjson', Buffer.from('{}\n'), { ifNotExists: true }),
      ObjectExistsError,
    );
  });

  test('overwrites and deletes carry a generation precondition, so the client keeps retrying afterwards', async () => {
    const { store } = freshStore();
    const from = gcs.requests.length;
    await store.put('a/b', Buffer.from('1'));
    await store.put('a/b', Buffer.from('2'));
    await store.delete('a/b');
    const writes = gcs.requests
      .slice(from)
      .filter((r) => r.path.includes('/upload/') || r.method === 'DELETE');
    assert.equal(writes.length, 3);
    for (const w of writes) {
      assert.notEqual(w.query.ifGenerationMatch, undefined, `${w.method} ${w.path} has no precondition`);
    }
    gcs.faults.failNext(1, { status: 503, method: 'GET' });
    assert.equal(await store.stat('a/b'), undefined, 'a transient 503 after those writes is still retried');
  });

  test('check() fails for a missing bucket', async () => {
    const storage = new Storage(gcs.clientOptions({ fastRetries: true }));
    await assert.rejects(new GcsObjectStore({ storage, bucket: `missing-${randomUUID()}` }).check());
    await freshStore().store.check();
  });
});

describe('the doctor on a bucket (objectStoreCheck)', () => {
  test('a writer puts, reads back and deletes its probe; a missing bucket fails with the fix', async () => {
    const { store } = freshStore();
    const fix = 'grant roles/storage.objectUser';
    const storage = new Storage(gcs.clientOptions({ fastRetries: true }));
    const missing = new GcsObjectStore({ storage, bucket: `missing-${randomUUID()}` });
    const [ok, read, gone] = await runChecks([
      objectStoreCheck(store, { where: 'gs://b/p/', prefix: 'p/', access: 'write', fix }),
      objectStoreCheck(store, { where: 'gs://b/p/', prefix: 'p/', access: 'read', fix }),
      objectStoreCheck(missing, { where: 'gs://missing/', prefix: '', access: 'write', fix }),
    ]);
    assert.equal(ok?.status, 'ok', ok?.detail);
    assert.equal(read?.status, 'ok', read?.detail);
    assert.deepEqual((await store.list('p/_eventkit/doctor/')).objects, [], 'no probe object left');
    assert.equal(gone?.status, 'fail');
    assert.equal(gone?.fix, fix);
  });
});

describe('createStorageClient', () => {
  test('STORAGE_EMULATOR_HOST in the environment (as the roles are configured) still reaches the JSON API under /storage/v1', async () => {
    const bucket = `b-${randomUUID()}`;
    gcs.createBucket(bucket);
    const saved = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = gcs.url;
    try {
      const store = new GcsObjectStore({ storage: createStorageClient({ emulatorUrl: gcs.url }), bucket });
      await store.put('a/b', Buffer.from('x'), { ifNotExists: true });
      assert.equal((await store.stat('a/b'))?.size, 1);
      assert.deepEqual(
        (await store.list('a/')).objects.map((o) => o.key),
        ['a/b'],
      );
    } finally {
      if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = saved;
    }
  });
});

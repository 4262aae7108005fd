import assert from 'node:assert/strict';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, test } from 'vitest';
import { crc32cBase64, md5Base64 } from './checksums.ts';
import { type FakeGcsServer, startFakeGcs } from './fake-gcs-server.ts';

const BUCKET = 'eventkit-test';

describe('fake GCS with the real @google-cloud/storage client', () => {
  let server: FakeGcsServer;
  let storage: Storage;

  beforeAll(async () => {
    server = await startFakeGcs();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.reset();
    server.createBucket(BUCKET);
    // A fresh client per test: a simple upload without a precondition switches
    // retries off for its whole Storage instance (see README, quirks).
    storage = new Storage(server.clientOptions({ fastRetries: true }));
  });

  test('buckets: create, get, and 409 on a second create', async () => {
    const [bucket] = await storage.createBucket('made-by-client');
    assert.equal(bucket.name, 'made-by-client');
    const [exists] = await storage.bucket('made-by-client').exists();
    assert.equal(exists, true);
    const [missing] = await storage.bucket('no-such-bucket').exists();
    assert.equal(missing, false);
    await assert.rejects(storage.createBucket('made-by-client'), { code: 409 });
    assert.deepEqual(server.requestsTo('POST', '/storage/v1/b').at(0)?.query.project, 'test-project');
  });

  test('save and download round trip (resumable and simple uploads), with checksums and metadata', async () => {
    const payload = Buffer.from('{"a":1}\n{"a":2}\n'.repeat(1000));
    const resumable = storage.bucket(BUCKET).file('events/stream=web/date=2026-11-27/hour=06/w-1.ndjson');
    await resumable.save(payload, {
      contentType: 'application/x-ndjson',
      metadata: { metadata: { worker: 'w-1' } },
    });
    const simple = storage.bucket(BUCKET).file('events/x.bin');
    await simple.save(payload, { resumable: false });

    for (const file of [resumable, simple]) {
      const [downloaded] = await file.download();
      assert.ok(downloaded.equals(payload), `${file.name} round trips`);
      const stored = server.object(BUCKET, file.name);
      assert.ok(stored?.data.equals(payload));
    }
    const [meta] = await resumable.getMetadata();
    assert.equal(Number(meta.size), payload.length);
    assert.equal(meta.contentType, 'application/x-ndjson');
    assert.equal(meta.crc32c, crc32cBase64(payload));
    assert.equal(meta.md5Hash, md5Base64(payload));
    assert.deepEqual(meta.metadata, { worker: 'w-1' });

    assert.equal(
      server.requestsTo('POST', '/upload/').find((r) => r.query.uploadType === 'resumable')?.status,
      200,
    );
    assert.equal(
      server.requestsTo('POST', '/upload/').find((r) => r.query.uploadType === 'multipart')?.status,
      200,
    );

    await resumable.delete();
    assert.equal(server.object(BUCKET, resumable.name), undefined);
    const [exists] = await resumable.exists();
    assert.equal(exists, false);
  });

  test('a chunked resumable upload (several PUTs) stores the whole object', async () => {
    const payload = Buffer.alloc(600 * 1024, 7);
    const file = storage.bucket(BUCKET).file('big.bin');
    await file.save(payload, { chunkSize: 256 * 1024 });
    assert.ok(server.object(BUCKET, 'big.bin')?.data.equals(payload));
    assert.equal(server.requestsTo('PUT', '/upload/').length, 3);
  });

  test('create-only (ifGenerationMatch=0): the second save fails with 412 and the first object stays', async () => {
    for (const resumable of [false, true]) {
      const file = storage.bucket(BUCKET).file(`create-only-${resumable}.parquet`);
      const options = { resumable, preconditionOpts: { ifGenerationMatch: 0 } };
      await file.save('first', options);
      const first = server.object(BUCKET, file.name);
      await assert.rejects(file.save('second', options), (err: { code?: unknown }) => {
        assert.equal(err.code, 412, `resumable=${resumable}: the client surfaces HTTP 412`);
        return true;
      });
      const now = server.object(BUCKET, file.name);
      assert.equal(now?.data.toString(), 'first');
      assert.equal(now?.generation, first?.generation);
    }
    // The precondition made it to the server each time.
    assert.ok(server.requestsTo('POST', '/upload/').every((r) => r.query.ifGenerationMatch === '0'));
  });

  test('list with prefix and small pages: every key once, in order, across several pages', async () => {
    const keys = Array.from(
      { length: 23 },
      (_, i) => `events/stream=web/date=2026-11-27/hour=${String(i).padStart(2, '0')}/f.parquet`,
    );
    for (const key of [...keys].reverse()) server.putObject(BUCKET, key, key);
    server.putObject(BUCKET, 'errors/date=2026-11-27/x.ndjson', 'x');
    server.putObject(BUCKET, 'events-other', 'y');

    const seen: string[] = [];
    let pages = 0;
    let query: { prefix: string; maxResults: number; autoPaginate: boolean; pageToken?: string } | null = {
      prefix: 'events/',
      maxResults: 5,
      autoPaginate: false,
    };
    while (query) {
      const [files, next] = await storage.bucket(BUCKET).getFiles(query);
      pages += 1;
      assert.ok(files.length <= 5);
      seen.push(...files.map((f) => f.name));
      query = next as typeof query;
    }
    assert.equal(pages, 5);
    assert.deepEqual(seen, keys);
    assert.equal(new Set(seen).size, keys.length);

    const [fromOffset] = await storage.bucket(BUCKET).getFiles({ prefix: 'events/', startOffset: keys[20] });
    assert.deepEqual(
      fromOffset.map((f) => f.name),
      keys.slice(20),
    );
  });

  test('list with a delimiter rolls deeper keys up into prefixes', async () => {
    server.putObject(BUCKET, 'events/stream=a/1', '1');
    server.putObject(BUCKET, 'events/stream=a/2', '2');
    server.putObject(BUCKET, 'events/stream=b/1', '3');
    server.putObject(BUCKET, 'events/top.txt', '4');
    const [files, , response] = await storage
      .bucket(BUCKET)
      .getFiles({ prefix: 'events/', delimiter: '/', autoPaginate: false });
    assert.deepEqual(
      files.map((f) => f.name),
      ['events/top.txt'],
    );
    assert.deepEqual((response as { prefixes?: string[] }).prefixes, [
      'events/stream=a/',
      'events/stream=b/',
    ]);
  });

  test('an injected 503 on upload is retried by the client; the object is written once', async () => {
    server.faults.failNext(1, { status: 503, method: 'POST', path: '/upload/' });
    const file = storage.bucket(BUCKET).file('retried.parquet');
    await file.save('payload', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const uploads = server.requestsTo('POST', '/upload/');
    assert.deepEqual(
      uploads.map((r) => [r.status, r.injected]),
      [
        [503, true],
        [200, false],
      ],
    );
    assert.equal(server.objects(BUCKET).length, 1);
    assert.equal(server.faults.injected, 1);
  });

  test('a reset connection during download is retried; persistent 503s surface to the caller', async () => {
    server.putObject(BUCKET, 'a.txt', 'hello');
    // Retry delays of 20 ms (save() cannot go below 1 s, but plain requests can).
    const impatient = new Storage({
      ...server.clientOptions(),
      retryOptions: { maxRetries: 1, maxRetryDelay: 0.02 },
    });
    server.faults.failNext(1, { reset: true, path: '/o/a.txt' });
    const [data] = await impatient.bucket(BUCKET).file('a.txt').download();
    assert.equal(data.toString(), 'hello');
    assert.deepEqual(
      server.requestsTo('GET', '/o/a.txt').map((r) => r.status),
      [0, 200],
    );

    server.faults.failAlways({ status: 503, method: 'GET' });
    await assert.rejects(impatient.bucket(BUCKET).file('a.txt').getMetadata(), { code: 503 });
    const failedTries = server.requestsTo('GET', '/o/a.txt').filter((r) => r.status === 503);
    assert.ok(
      failedTries.length >= 2,
      `the 503 was retried before it surfaced (${failedTries.length} tries)`,
    );
  });

  test('latency is added to every answer', async () => {
    server.putObject(BUCKET, 'slow.txt', 's');
    server.faults.latencyMs = 60;
    const started = performance.now();
    await storage.bucket(BUCKET).file('slow.txt').getMetadata();
    assert.ok(performance.now() - started >= 55);
  });
});

// Rules of GCS that eventkit relies on, each with the documentation page that states it.
describe('fake GCS: the rules it models, with the real client', () => {
  let server: FakeGcsServer;
  let storage: Storage;
  beforeAll(async () => {
    server = await startFakeGcs();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.reset();
    server.createBucket(BUCKET);
    storage = new Storage(server.clientOptions({ fastRetries: true }));
  });
  const names = (files: { name: string }[]) => files.map((f) => f.name);

  // JSON API objects.list, https://cloud.google.com/storage/docs/json_api/v1/objects/list:
  // "the objects listed will have names between startOffset (inclusive) and endOffset (exclusive)".
  test('objects.list: startOffset is inclusive, endOffset exclusive', async () => {
    for (const k of ['a/1', 'a/2', 'a/3', 'a/4']) server.putObject(BUCKET, k, k);
    const [files] = await storage
      .bucket(BUCKET)
      .getFiles({ prefix: 'a/', startOffset: 'a/2', endOffset: 'a/4' });
    assert.deepEqual(names(files), ['a/2', 'a/3']);
    const [none] = await storage.bucket(BUCKET).getFiles({ startOffset: 'a/3', endOffset: 'a/3' });
    assert.deepEqual(names(none), []);
  });

  // objects.list, maxResults: "fewer total results may be returned than requested";
  // pageToken: "A previously-returned page token representing part of the larger set of results to view."
  test('objects.list: a page may hold fewer results than maxResults, even none, with a nextPageToken; the client follows it', async () => {
    for (const k of ['a/1', 'a/2', 'a/3']) server.putObject(BUCKET, k, k);
    server.emptyPagesNext(1);
    const [first, next] = await storage
      .bucket(BUCKET)
      .getFiles({ prefix: 'a/', maxResults: 2, autoPaginate: false });
    assert.deepEqual(names(first), [], 'an empty page…');
    assert.ok((next as { pageToken?: string } | null)?.pageToken, '…that still carries a token');
    // (No maxResults here: the client takes it as a cap on the total and then fetches one page only.)
    server.emptyPagesNext(2);
    const [all] = await storage.bucket(BUCKET).getFiles({ prefix: 'a/' });
    assert.deepEqual(names(all), ['a/1', 'a/2', 'a/3'], 'autoPaginate follows tokens across empty pages');
    const pages = server.requestsTo('GET', `/b/${BUCKET}/o`).slice(1);
    assert.equal(pages.length, 3, 'two empty pages, then the results');
  });

  // objects.list, prefix and delimiter: "items will contain only objects whose names, aside from the
  // prefix, do not contain delimiter… truncated after the delimiter, returned in prefixes".
  // Folders, https://cloud.google.com/storage/docs/folders: "If you create an empty folder using the
  // Cloud Console, Cloud Storage creates a zero-byte object as a placeholder" named `folder/`.
  test('folder placeholders are zero-byte objects named with a trailing slash: items under their own prefix, rolled up into prefixes below it', async () => {
    await storage
      .bucket(BUCKET)
      .file('events/')
      .save('', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    server.putObject(BUCKET, 'events/tmp/', '');
    server.putObject(BUCKET, 'events/stream=web/x.parquet', 'x');
    assert.equal(server.object(BUCKET, 'events/')?.size, 0);
    const [flat] = await storage.bucket(BUCKET).getFiles({ prefix: 'events/' });
    assert.deepEqual(names(flat), ['events/', 'events/stream=web/x.parquet', 'events/tmp/']);
    assert.equal(Number(flat[0]!.metadata.size), 0);
    const [items, , response] = await storage
      .bucket(BUCKET)
      .getFiles({ prefix: 'events/', delimiter: '/', autoPaginate: false });
    assert.deepEqual(names(items), ['events/'], 'the placeholder of the listed folder is an item');
    assert.deepEqual((response as { prefixes?: string[] }).prefixes, ['events/stream=web/', 'events/tmp/']);
  });

  // Request preconditions, https://cloud.google.com/storage/docs/request-preconditions: a Match
  // precondition that does not hold fails with 412 Precondition Failed; ifGenerationNotMatch and
  // ifMetagenerationNotMatch that name the live value fail with 304 Not Modified.
  test('preconditions on upload, delete and metadata patch: 412 for Match mismatches, 304 for a NotMatch that matches', async () => {
    const file = storage.bucket(BUCKET).file('p.txt');
    await file.save('v1', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const v1 = server.object(BUCKET, 'p.txt')!;
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (err: { code?: unknown }) => err.code,
      );
    const wrong = Number(v1.generation) + 1;
    // upload
    assert.equal(
      await code(file.save('x', { resumable: false, preconditionOpts: { ifGenerationMatch: wrong } })),
      412,
    );
    assert.equal(
      await code(file.save('x', { resumable: false, preconditionOpts: { ifMetagenerationMatch: 9 } })),
      412,
    );
    assert.equal(
      await code(
        file.save('x', {
          resumable: false,
          preconditionOpts: { ifGenerationNotMatch: Number(v1.generation) },
        }),
      ),
      304,
    );
    assert.equal(server.object(BUCKET, 'p.txt')?.data.toString(), 'v1', 'no failed upload wrote anything');
    // metadata patch
    assert.equal(await code(file.setMetadata({ metadata: { a: '1' } }, { ifMetagenerationMatch: 9 })), 412);
    assert.equal(await code(file.setMetadata({ metadata: { a: '1' } }, { ifGenerationMatch: wrong })), 412);
    assert.equal(await code(file.setMetadata({ metadata: { a: '1' } }, { ifMetagenerationMatch: 1 })), 200);
    assert.equal(server.object(BUCKET, 'p.txt')?.metageneration, 2);
    // delete
    assert.equal(await code(file.delete({ ifGenerationMatch: wrong })), 412);
    assert.equal(await code(file.delete({ ifMetagenerationMatch: 1 })), 412);
    assert.equal(await code(file.delete({ ifGenerationNotMatch: Number(v1.generation) })), 304);
    assert.ok(server.object(BUCKET, 'p.txt'), 'still there');
    assert.equal(await code(file.delete({ ifGenerationMatch: Number(v1.generation) })), 200);
    assert.equal(server.object(BUCKET, 'p.txt'), undefined);
  });

  // Retry strategy, https://cloud.google.com/storage/docs/retry-strategy: uploads, deletes and
  // metadata updates are only "conditionally idempotent"; the Node.js client's default
  // (IdempotencyStrategy.RetryConditional) retries them only when they carry a precondition such
  // as ifGenerationMatch, and retries 408, 429 and 5xx.
  test('client retry rules: a write with a precondition is retried after a 503, one without is not', async () => {
    server.faults.failNext(1, { status: 503, method: 'DELETE' });
    server.putObject(BUCKET, 'd1', 'x');
    const gen = Number(server.object(BUCKET, 'd1')!.generation);
    await storage.bucket(BUCKET).file('d1').delete({ ifGenerationMatch: gen });
    assert.deepEqual(
      server.requestsTo('DELETE', '/o/d1').map((r) => r.status),
      [503, 204],
    );

    server.faults.failNext(1, { status: 503, method: 'POST', path: '/upload/' });
    await assert.rejects(storage.bucket(BUCKET).file('u1').save('x', { resumable: false }), { code: 503 });
    assert.equal(server.requestsTo('POST', '/upload/').length, 1, 'not retried without a precondition');
    assert.equal(server.object(BUCKET, 'u1'), undefined);

    server.putObject(BUCKET, 'd2', 'x');
    server.faults.failNext(1, { status: 503, method: 'DELETE' });
    const fresh = new Storage(server.clientOptions({ fastRetries: true }));
    await assert.rejects(fresh.bucket(BUCKET).file('d2').delete(), { code: 503 });
    assert.equal(
      server.requestsTo('DELETE', '/o/d2').length,
      1,
      'a delete without a precondition is not retried',
    );
  });
});

// The loader lease on GCS: GcsObjectStore with the real @google-cloud/storage
// client against the fake GCS server, which answers 412 when an
// ifGenerationMatch precondition does not hold ("Request preconditions",
// https://cloud.google.com/storage/docs/request-preconditions).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createStorageClient, GcsObjectStore } from '@eventkit/shared/gcs';
import { MemoryWarehouse } from '@eventkit/shared/memory';
import type { LoadJob, Warehouse } from '@eventkit/shared/ports';
import { type FakeGcsServer, startFakeGcs } from '@eventkit/testing';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { defaultLoaderSettings } from '../testing/settings.ts';
import { Lease, LeaseLostError, leaseKey } from './lease.ts';
import { createLoader } from './loader.ts';

let gcs: FakeGcsServer;
beforeAll(async () => {
  gcs = await startFakeGcs();
});
afterAll(() => gcs.close());

function bucket(): { name: string; store: GcsObjectStore } {
  const name = `lease-${randomUUID()}`;
  gcs.createBucket(name);
  return {
    name,
    store: new GcsObjectStore({ storage: createStorageClient({ emulatorUrl: gcs.url }), bucket: name }),
  };
}

/** A clock the test moves by hand. */
function clock(start = Date.parse('2026-11-27T10:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

const KEY = leaseKey('', 'events.raw_events');

describe('loader lease on GCS (fake server, real client)', () => {
  test('one holder at a time: a second loader is refused and told who holds it until when', async () => {
    const { name, store } = bucket();
    const t = clock();
    const a = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'loader-a', now: t.now });
    const b = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'loader-b', now: t.now });
    assert.deepEqual(await a.acquire(), { acquired: true });
    const refused = await b.acquire();
    assert.deepEqual(refused, {
      acquired: false,
      holder: { owner: 'loader-a', expiresAt: new Date(t.now() + 60_000) },
    });
    const stored = JSON.parse(gcs.object(name, KEY)!.data.toString());
    assert.equal(stored.owner, 'loader-a');
    const create = gcs.requestsTo('POST', '/upload/').filter((r) => r.query.name === KEY);
    assert.equal(create[0]?.query.ifGenerationMatch, '0', 'taken with a create-only precondition');
  });

  test('many loaders racing for a free lease: exactly one gets it', async () => {
    const { store } = bucket();
    const leases = [1, 2, 3, 4, 5].map(
      (n) => new Lease({ store, key: KEY, durationMs: 60_000, owner: `l${n}` }),
    );
    const results = await Promise.all(leases.map((l) => l.acquire()));
    assert.equal(results.filter((r) => r.acquired).length, 1);
    assert.equal(leases.filter((l) => l.held).length, 1);
  });

  test('an expired lease is taken over (ifGenerationMatch on the generation read); the old holder then fails to renew, with a clear error', async () => {
    const { name, store } = bucket();
    const t = clock();
    const a = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'loader-a', now: t.now });
    const b = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'loader-b', now: t.now });
    await a.acquire();
    const seen = gcs.object(name, KEY)!.generation;
    t.advance(59_000);
    assert.equal((await b.acquire()).acquired, false, 'not before it expires');
    t.advance(2_000); // a has not renewed for 61 s: paused, partitioned or dead
    assert.deepEqual(await b.acquire(), { acquired: true });
    const takeover = gcs
      .requestsTo('POST', '/upload/')
      .filter((r) => r.query.name === KEY)
      .at(-1);
    assert.equal(takeover?.query.ifGenerationMatch, seen);

    await assert.rejects(a.renew(), (err: Error) => {
      assert.ok(err instanceof LeaseLostError);
      assert.match(err.message, /taken over by loader-b/);
      return true;
    });
    assert.equal(a.held, false);
    await assert.rejects(a.confirm(), LeaseLostError);
    // a's release must not remove b's lease.
    await a.release();
    assert.equal(JSON.parse(gcs.object(name, KEY)!.data.toString()).owner, 'loader-b');
    await b.release();
    assert.equal(gcs.object(name, KEY), undefined, 'released by a conditional delete');
    assert.ok(gcs.requestsTo('DELETE', '/o/').every((r) => r.query.ifGenerationMatch !== undefined));
  });

  test('confirm(): renews after a quarter of the duration, otherwise checks the generation with a read', async () => {
    const { store } = bucket();
    const t = clock();
    const a = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'loader-a', now: t.now });
    await a.acquire();
    const g1 = a.generation;
    await a.confirm();
    assert.equal(a.generation, g1, 'a read, no write');
    t.advance(15_000);
    await a.confirm();
    assert.notEqual(a.generation, g1, 'renewed: a new generation');
  });

  test('a loader whose lease was taken over stops before its next merge; the run fails naming the new holder', async () => {
    const { name, store } = bucket();
    const files = [1, 2, 3].map((n) => `events/stream=web/date=2026-11-27/hour=1${n}/w-${n}.parquet`);
    for (const [i, key] of files.entries()) {
      gcs.putObject(
        name,
        key,
        JSON.stringify([{ source: 'web', message_id: `m${i}`, received_at: '2026-11-27T10:00:00Z' }]),
      );
    }
    const merged: LoadJob[] = [];
    const memory = new MemoryWarehouse(async (f) => JSON.parse((await store.get(f.key)).toString()));
    const warehouse: Warehouse = {
      kind: 'memory',
      ensureTables: () => memory.ensureTables(),
      loadedKeys: (keys) => memory.loadedKeys(keys),
      close: () => memory.close(),
      load: async (job: LoadJob) => {
        merged.push(job);
        const result = await memory.load(job);
        // While the first job runs, another loader takes the lease over (as after a long pause of this one).
        const live = gcs.object(name, KEY)!;
        gcs.putObject(
          name,
          KEY,
          JSON.stringify({ ...JSON.parse(live.data.toString()), owner: 'loader-b', nonce: 'x' }),
        );
        return result;
      },
    };
    const loader = createLoader({
      ...defaultLoaderSettings(),
      store,
      warehouse,
      leaseTarget: 'events.raw_events',
      leaseOwner: 'loader-a',
      limits: { maxFiles: 1 },
    });
    const report = await loader.runOnce();
    assert.equal(report.ok, false);
    assert.ok(report.error instanceof LeaseLostError, String(report.error));
    assert.match(report.error.message, /taken over by loader-b/);
    assert.equal(merged.length, 1, 'no merge after the takeover');
    assert.equal(
      JSON.parse(gcs.object(name, KEY)!.data.toString()).owner,
      'loader-b',
      'the new holder keeps it',
    );
  });
});

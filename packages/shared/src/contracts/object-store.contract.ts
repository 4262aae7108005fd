// The contract every object store keeps (memory, local files, GCS).
import assert from 'node:assert/strict';
import { afterAll, describe, test } from 'vitest';
import {
  listAll,
  ObjectExistsError,
  ObjectNotFoundError,
  type ObjectStore,
  PreconditionFailedError,
} from '../ports/object-store.ts';

export interface ObjectStoreUnderTest {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

const hiveKey = (n: number) =>
  `events/stream=events/date=2026-11-27/hour=10/worker-1-${String(n).padStart(4, '0')}.parquet`;

export function objectStoreContract(name: string, make: () => Promise<ObjectStoreUnderTest>): void {
  describe(`object store contract: ${name}`, () => {
    const opened: ObjectStoreUnderTest[] = [];
    const open = async () => {
      const s = await make();
      opened.push(s);
      return s.store;
    };
    afterAll(async () => {
      for (const s of opened) await s.cleanup();
    });

    test('stores and returns bytes under hive-style keys', async () => {
      const store = await open();
      const data = Buffer.from('PAR1\u0000\u00ff binary');
      const info = await store.put(hiveKey(1), data);
      assert.equal(info.key, hiveKey(1));
      assert.equal(info.size, data.length);
      assert.ok(info.uri.length > 0);
      assert.deepEqual(await store.get(hiveKey(1)), data);
      const stat = await store.stat(hiveKey(1));
      assert.equal(stat?.size, data.length);
    });

    test('create-only put refuses to overwrite and keeps the first object intact', async () => {
      const store = await open();
      await store.put('errors/x.ndjson', Buffer.from('first'), { ifNotExists: true });
      await assert.rejects(
        store.put('errors/x.ndjson', Buffer.from('second'), { ifNotExists: true }),
        ObjectExistsError,
      );
      assert.equal((await store.get('errors/x.ndjson')).toString(), 'first');
    });

    test('a plain put overwrites', async () => {
      const store = await open();
      await store.put('a/b', Buffer.from('1'));
      await store.put('a/b', Buffer.from('22'));
      assert.equal((await store.get('a/b')).toString(), '22');
    });

    test('missing objects: get throws ObjectNotFoundError, stat is undefined, delete is harmless', async () => {
      const store = await open();
      await assert.rejects(store.get('nope/none'), ObjectNotFoundError);
      assert.equal(await store.stat('nope/none'), undefined);
      await store.delete('nope/none');
      await store.put('del/me', Buffer.from('x'));
      await store.delete('del/me');
      assert.equal(await store.stat('del/me'), undefined);
    });

    test('lists by prefix in key order, across pages, each key once', async () => {
      const store = await open();
      const keys = [5, 1, 4, 2, 3].map(hiveKey);
      for (const k of keys) await store.put(k, Buffer.from(k));
      await store.put('events/stream=users/date=2026-11-27/hour=10/u.parquet', Buffer.from('u'));
      await store.put('errors/date=2026-11-27/error_type=validation/e.ndjson', Buffer.from('e'));
      const prefix = 'events/stream=events/';
      const pages: string[][] = [];
      let pageToken: string | undefined;
      do {
        const page = await store.list(prefix, { pageSize: 2, ...(pageToken ? { pageToken } : {}) });
        pages.push(page.objects.map((o) => o.key));
        pageToken = page.nextPageToken;
      } while (pageToken);
      assert.deepEqual(pages.flat(), [...keys].sort());
      assert.ok(pages.length >= 3, `expected several pages, got ${pages.length}`);
      assert.ok(pages.every((p) => p.length <= 2));
      const all: string[] = [];
      for await (const o of listAll(store, 'events/')) all.push(o.key);
      assert.equal(all.length, 6);
    });

    test('startAfter resumes listing after a watermark key', async () => {
      const store = await open();
      for (const n of [1, 2, 3, 4]) await store.put(hiveKey(n), Buffer.from('x'));
      const page = await store.list('events/', { startAfter: hiveKey(2) });
      assert.deepEqual(
        page.objects.map((o) => o.key),
        [hiveKey(3), hiveKey(4)],
      );
    });

    test('pages can be short or empty while a token remains: following tokens from a startAfter key gives every later key once', async () => {
      // GCS answers startOffset inclusively, so the GCS adapter's first page
      // here holds only the startAfter key itself, dropped: empty, with a token.
      // A caller that stops at an empty page misses the rest (issue 9, bug 2).
      const store = await open();
      const keys = [1, 2, 3, 4].map(hiveKey);
      for (const k of keys) await store.put(k, Buffer.from('x'));
      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await store.list('events/', {
          pageSize: 1,
          startAfter: keys[0]!,
          ...(pageToken ? { pageToken } : {}),
        });
        assert.ok(page.objects.length <= 1);
        seen.push(...page.objects.map((o) => o.key));
        pageToken = page.nextPageToken;
        pages += 1;
      } while (pageToken && pages < 20);
      assert.deepEqual(seen, keys.slice(1));
      const all: string[] = [];
      for await (const o of listAll(store, 'events/', { pageSize: 1, startAfter: keys[0]! })) all.push(o.key);
      assert.deepEqual(all, keys.slice(1));
    });

    test('every write gives the object a new generation; stat and list report it', async () => {
      const store = await open();
      const first = await store.put('gen/a', Buffer.from('1'));
      assert.ok(first.generation.length > 0);
      assert.equal((await store.stat('gen/a'))?.generation, first.generation);
      const second = await store.put('gen/a', Buffer.from('2'));
      assert.notEqual(second.generation, first.generation);
      const listed = (await store.list('gen/')).objects;
      assert.deepEqual(
        listed.map((o) => o.generation),
        [second.generation],
      );
    });

    test('ifGenerationMatch: a compare-and-swap write; the loser of two writers naming one version fails and changes nothing', async () => {
      const store = await open();
      const v1 = await store.put('cas/lease', Buffer.from('v1'), { ifNotExists: true });
      const v2 = await store.put('cas/lease', Buffer.from('v2'), { ifGenerationMatch: v1.generation });
      assert.notEqual(v2.generation, v1.generation);
      await assert.rejects(
        store.put('cas/lease', Buffer.from('stale'), { ifGenerationMatch: v1.generation }),
        PreconditionFailedError,
      );
      assert.equal((await store.get('cas/lease')).toString(), 'v2');
      await assert.rejects(
        store.put('cas/absent', Buffer.from('x'), { ifGenerationMatch: v1.generation }),
        PreconditionFailedError,
        'an absent object matches no generation',
      );
      assert.equal(await store.stat('cas/absent'), undefined);

      // Several writers at once, all naming v2: exactly one wins.
      const results = await Promise.allSettled(
        [1, 2, 3, 4, 5].map((n) =>
          store.put('cas/lease', Buffer.from(`w${n}`), { ifGenerationMatch: v2.generation }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, 'one writer wins');
      for (const r of results) {
        if (r.status === 'rejected') assert.ok(r.reason instanceof PreconditionFailedError, String(r.reason));
      }
      const winner = (won[0] as PromiseFulfilledResult<{ generation: string }>).value;
      assert.equal((await store.stat('cas/lease'))?.generation, winner.generation);
    });

    test('a conditional delete removes only the version it names; absent objects are still no error', async () => {
      const store = await open();
      const v1 = await store.put('cas/del', Buffer.from('1'));
      const v2 = await store.put('cas/del', Buffer.from('2'));
      await assert.rejects(
        store.delete('cas/del', { ifGenerationMatch: v1.generation }),
        PreconditionFailedError,
      );
      assert.equal((await store.get('cas/del')).toString(), '2');
      await store.delete('cas/del', { ifGenerationMatch: v2.generation });
      assert.equal(await store.stat('cas/del'), undefined);
      await store.delete('cas/del', { ifGenerationMatch: v2.generation });
      await store.delete('cas/never/there', { ifGenerationMatch: v2.generation });
    });

    test('an empty prefix match is an empty page, not an error', async () => {
      const store = await open();
      const page = await store.list('events/stream=nothing/');
      assert.deepEqual(page.objects, []);
      assert.equal(page.nextPageToken, undefined);
    });
  });
}

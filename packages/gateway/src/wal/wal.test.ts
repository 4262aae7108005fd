import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'vitest';
import { type WalRowInput, WalStore } from './store.ts';
import { WriteAheadLog } from './wal.ts';

const tempDb = async () => path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-wal-')), 'wal.db');

const row = (i: number, stream = 'events'): WalRowInput => ({
  stream,
  source: 'web',
  requestId: `req-${i}`,
  type: 'track',
  payload: JSON.stringify({ type: 'track', messageId: `m-${i}`, event: 'E', properties: { i } }),
  receivedAt: 1_764_237_600_000 + i,
});

describe('WriteAheadLog', () => {
  test('append() resolves after commit; rows survive a reopen in id order', async () => {
    const file = await tempDb();
    const wal = await WriteAheadLog.open(file);
    await wal.append([row(1), row(2)]);
    await wal.append([row(3)]);
    assert.equal(wal.pendingCount, 3);
    await wal.close();

    const again = await WriteAheadLog.open(file);
    assert.equal(again.pendingCount, 3, 'pending count is restored from the file');
    const rows = await again.readPending(0, 10, 1e9);
    assert.deepEqual(
      rows.map((r) => JSON.parse(r.payload).messageId),
      ['m-1', 'm-2', 'm-3'],
    );
    assert.equal(rows[0]!.requestId, 'req-1');
    await again.close();
  });

  for (const [sync, expected] of [
    [undefined, 'full'],
    ['full', 'full'],
    ['normal', 'normal'],
  ] as const) {
    test(`EVENTKIT_WAL_SYNC=${sync ?? '(default)'}: the WAL thread's connection reads back synchronous=${expected}`, async () => {
      const file = await tempDb();
      const wal = await WriteAheadLog.open(file, sync ? { sync } : {});
      assert.equal(wal.synchronous, expected);
      await wal.append([row(1)]);
      assert.equal((await wal.stats()).synchronous, expected, 'still in force after a commit');
      await wal.close();
      const reopened = await WriteAheadLog.open(file, sync ? { sync } : {});
      assert.equal((await reopened.stats()).synchronous, expected, 'applied again on every open');
      await reopened.close();
    });
  }

  test('concurrent appends share commits (group commit)', async () => {
    const commits: number[] = [];
    const wal = await WriteAheadLog.open(await tempDb(), { onCommit: ({ rows }) => commits.push(rows) });
    await Promise.all(Array.from({ length: 200 }, (_, i) => wal.append([row(i)])));
    assert.equal(
      commits.reduce((a, b) => a + b, 0),
      200,
    );
    assert.ok(commits.length < 200, `expected fewer commits than appends, got ${commits.length}`);
    assert.equal((await wal.stats()).pendingCount, 200);
    await wal.close();
  });

  test('markPublished removes rows from the pending set and the gauges', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append([row(1), row(2), row(3)]);
    const pending = await wal.readPending(0, 10, 1e9);
    await wal.markPublished([pending[0]!.id, pending[1]!.id]);
    assert.equal(wal.pendingCount, 1);
    const stats = await wal.stats();
    assert.equal(stats.pendingCount, 1);
    assert.equal(stats.publishedCount, 2);
    assert.equal(wal.pendingBytes, stats.pendingBytes);
    // Marking again changes nothing (a publisher retry after a crash), bytes included.
    await wal.markPublished([pending[0]!.id, pending[2]!.id]);
    assert.equal(wal.pendingCount, 0);
    assert.equal(wal.pendingBytes, 0);
    assert.equal((await wal.stats()).pendingBytes, 0);
    await wal.close();
  });

  test('readPending honours the row limit and the byte budget (but always returns one row)', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append(Array.from({ length: 10 }, (_, i) => row(i)));
    assert.equal((await wal.readPending(0, 4, 1e9)).length, 4);
    const one = Buffer.byteLength(row(1).payload);
    assert.equal((await wal.readPending(0, 10, one * 3)).length, 3);
    assert.equal((await wal.readPending(0, 10, 1)).length, 1);
    const after = await wal.readPending(5, 10, 1e9);
    assert.ok(after.every((r) => r.id > 5));
    await wal.close();
  });

  test('cleanup never removes pending rows; removes published rows past retention or max size', async () => {
    const file = await tempDb();
    const wal = await WriteAheadLog.open(file);
    await wal.append(Array.from({ length: 10 }, (_, i) => row(i)));
    const rows = await wal.readPending(0, 10, 1e9);
    await wal.markPublished(rows.slice(0, 6).map((r) => r.id));
    let res = await wal.cleanup({ retentionMs: 3_600_000, maxPublished: 4 });
    assert.equal(res.deleted, 2, 'the two oldest published rows beyond max size');
    res = await wal.cleanup({ retentionMs: -1, maxPublished: 100 });
    assert.equal(res.deleted, 4, 'every published row past retention');
    const stats = await wal.stats();
    assert.equal(stats.pendingCount, 4);
    assert.equal(stats.publishedCount, 0);
    await wal.close();
  });

  test('file size is reclaimed after cleanup (incremental vacuum)', async () => {
    const file = await tempDb();
    const wal = await WriteAheadLog.open(file, { sync: 'normal' });
    const big = (i: number) => ({ ...row(i), payload: JSON.stringify({ pad: 'x'.repeat(4000), i }) });
    await wal.append(Array.from({ length: 2000 }, (_, i) => big(i)));
    const grown = (await wal.stats()).fileBytes;
    const rows = await wal.readPending(0, 5000, 1e12);
    await wal.markPublished(rows.map((r) => r.id));
    await wal.cleanup({ retentionMs: -1, maxPublished: 0 });
    const shrunk = (await wal.stats()).fileBytes;
    assert.ok(grown > 8_000_000, `grew to ${grown}`);
    assert.ok(shrunk < grown / 10, `file ${grown} → ${shrunk} bytes after cleanup`);
    await wal.close();
  });

  test('a WAL file that cannot be opened fails open() with a clear error', async () => {
    await assert.rejects(
      WriteAheadLog.open('/proc/definitely/not/here.db'),
      /unable to open|no such|cannot/i,
    );
  });

  test('a write SQLite already rolled back (a full disk, an I/O error) fails with its own error, not "no transaction is active"', async () => {
    const file = await tempDb();
    const store = new WalStore(file);
    // What SQLITE_FULL does to a transaction, on demand: SQLite ends it before the error reaches us.
    const setup = new DatabaseSync(file);
    setup.exec(
      `CREATE TRIGGER simulate_full BEFORE INSERT ON wal_events WHEN NEW.stream = 'full'
       BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full (simulated)'); END`,
    );
    setup.close();
    assert.throws(() => store.append([row(1), row(2, 'full')]), /disk is full \(simulated\)/);
    assert.equal(store.stats().pendingCount, 0, 'nothing of the failed group was kept');
    store.append([row(3)]);
    assert.equal(store.stats().pendingCount, 1, 'the store keeps working once the cause is gone');
    store.close();
  });

  test('the synchronous store reads the file the thread wrote (CLI path)', async () => {
    const file = await tempDb();
    const wal = await WriteAheadLog.open(file);
    await wal.append([row(1)]);
    await wal.close();
    const store = new WalStore(file);
    assert.equal(store.stats().pendingCount, 1);
    assert.equal(store.inspectPending(5)[0]?.requestId, 'req-1');
    store.close();
  });
});

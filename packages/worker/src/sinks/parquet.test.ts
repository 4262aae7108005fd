// The Parquet files the worker writes, read back with DuckDB.
import assert from 'node:assert/strict';
import { sampleEvent } from '@eventkit/shared/contracts';
import {
  normalizeEvent,
  type RoutedEvent,
  toWarehouseRow,
  validateEvent,
  WAREHOUSE_COLUMNS,
} from '@eventkit/shared/event';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { EventsRejectedError } from '../core/errors.ts';
import { ParquetEncoder, rowToRoutedEvent } from './parquet.ts';

let encoder: ParquetEncoder;
beforeAll(async () => {
  encoder = await ParquetEncoder.create();
});
afterAll(async () => {
  await encoder.close();
});

/** Events as the worker holds them: validated and normalised, with a spread of types and optional fields. */
function workerEvents(): RoutedEvent[] {
  const track = sampleEvent(1);
  const identify = sampleEvent(2, { stream: 'users' });
  identify.event = {
    type: 'identify',
    messageId: 'id-2',
    userId: 'u-2',
    anonymousId: 'a-2',
    timestamp: '2026-11-27T09:59:59.123Z',
    receivedAt: '2026-11-27T10:00:00.000Z',
    context: { traits: { plan: 'pro', emoji: 'snow ☃ and "quotes"' } },
  };
  const page = sampleEvent(3);
  page.event = {
    type: 'page',
    messageId: 'p-3',
    anonymousId: 'a-3',
    name: 'Home',
    timestamp: '2026-11-27T10:00:01.000Z',
    receivedAt: '2026-11-27T10:00:02.000Z',
    integrations: { All: false },
    properties: { path: '/', big: 12345678901234, frac: 0.1, nothing: null },
  };
  return [track, identify, page].map((r) => {
    const v = validateEvent(r.event);
    assert.ok(v.ok);
    return { ...r, event: normalizeEvent(v.event, { receivedAt: new Date(r.event.receivedAt) }) };
  });
}

describe('Parquet encoding', () => {
  test('a file read back with DuckDB equals the warehouse rows of what was sent', async () => {
    const events = workerEvents();
    const bytes = await encoder.encode(events);
    assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
    const rows = await encoder.readRows(bytes);
    assert.deepEqual(rows, events.map(toWarehouseRow));
    assert.deepEqual(
      rows.map(rowToRoutedEvent).map((r) => r.event.messageId),
      ['msg-1', 'id-2', 'p-3'],
    );
  });

  test('any well-formed text survives exactly (quotes, backslashes, newlines, control characters, U+2028, astral symbols); an empty string stays empty, an absent field stays null', async () => {
    const text = fc.string({
      unit: fc.constantFrom(
        '"',
        '\\',
        '\n',
        '\r',
        '\t',
        '\u0000',
        '\u001f',
        '\u2028',
        '😀',
        'é',
        'a',
        '{',
        ',',
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 20 }), async (pairs) => {
        const events = pairs.map(([name, value], i) => {
          const routed = sampleEvent(i);
          routed.event = { ...routed.event, event: name, userId: value, properties: { [name]: value } };
          delete routed.event.anonymousId;
          return routed;
        });
        const rows = await encoder.readRows(await encoder.encode(events));
        assert.deepEqual(rows, events.map(toWarehouseRow));
        assert.ok(rows.every((r) => r.anonymous_id === null));
      }),
      { numRuns: 25 },
    );
  });

  test('columns are WAREHOUSE_COLUMNS in order: UTF-8 strings, UTC microsecond timestamps, zstd, one row group', async () => {
    const bytes = await encoder.encode(workerEvents());
    const { columns: schema, compressions, rowGroups } = await encoder.describe(bytes);
    assert.deepEqual(compressions, ['ZSTD']);
    assert.equal(rowGroups, 1);
    assert.deepEqual(
      schema.map((c) => c.name),
      WAREHOUSE_COLUMNS.map((c) => c.name),
    );
    for (const column of WAREHOUSE_COLUMNS) {
      const got = schema.find((c) => c.name === column.name)!;
      if (column.type === 'TIMESTAMP') {
        assert.equal(got.type, 'INT64', column.name);
        assert.match(got.logical ?? '', /isAdjustedToUTC=1.*MICROS=MicroSeconds/, column.name);
      } else {
        assert.equal(got.type, 'BYTE_ARRAY', column.name);
        assert.equal(got.converted, 'UTF8', column.name);
      }
    }
    const rows = await encoder.readRows(bytes);
    assert.ok(rows.every((r) => r.loaded_at === null));
  });

  test('an event whose time cannot be stored is rejected by index, before anything is written', async () => {
    const events = workerEvents();
    const broken = { ...events[1]!, event: { ...events[1]!.event, sentAt: 'not a time' } };
    await assert.rejects(encoder.encode([events[0]!, broken, events[2]!]), (err: unknown) => {
      assert.ok(err instanceof EventsRejectedError);
      assert.deepEqual(
        err.rejected.map((r) => r.index),
        [1],
      );
      return true;
    });
  });

  test('files requested together are encoded in one round, each file holding only its own events', async () => {
    const batches = Array.from({ length: 4 }, (_, b) =>
      Array.from({ length: 250 + b }, (_, i) => sampleEvent(b * 1000 + i)),
    );
    const files = await Promise.all(batches.map((b) => encoder.encode(b)));
    for (const [b, file] of files.entries()) {
      const rows = await encoder.readRows(file);
      assert.deepEqual(
        rows.map((r) => r.message_id).sort(),
        batches[b]!.map((e) => e.event.messageId).sort(),
      );
      assert.deepEqual(
        (await encoder.describe(file)).columns.map((c) => c.name),
        WAREHOUSE_COLUMNS.map((c) => c.name),
        'the round bookkeeping column is not written',
      );
    }
  });

  test('in a shared round, only the file with an unstorable event is refused', async () => {
    const good = [sampleEvent(1), sampleEvent(2)];
    const broken = sampleEvent(3);
    broken.event = { ...broken.event, sentAt: 'not a time' };
    const results = await Promise.allSettled([
      encoder.encode(good),
      encoder.encode([sampleEvent(4), broken]),
      encoder.encode([sampleEvent(5)]),
    ]);
    assert.equal(results[0].status, 'fulfilled');
    assert.equal(results[2].status, 'fulfilled');
    assert.equal(results[1].status, 'rejected');
    const err = (results[1] as PromiseRejectedResult).reason;
    assert.ok(err instanceof EventsRejectedError);
    assert.deepEqual(
      err.rejected.map((r) => r.index),
      [1],
    );
  });

  test('a large round builds and appends its rows in slices, a turn of the event loop between them', async () => {
    // 16 flushes of 5,000 events (a pressure flush of every partition at the
    // default file size): built and appended in one go, they held the loop
    // ~0.5 s, and with it the acks and lease extensions.
    let read = 0;
    const counted = <T extends object>(item: T, key: keyof T): T => {
      const value = item[key];
      return Object.defineProperty(item, key, {
        enumerable: true,
        get: () => {
          read++;
          return value;
        },
      });
    };
    const mostReadInOneTurn = async (work: Promise<unknown>) => {
      let done = false;
      let most = 0;
      void work.finally(() => {
        done = true;
      });
      while (!done) {
        const before = read;
        await new Promise<void>((resolve) => setImmediate(resolve));
        most = Math.max(most, read - before);
      }
      await work;
      return most;
    };
    // Building rows: each event's messageId is read once by toWarehouseRow.
    const batches = Array.from({ length: 16 }, (_, b) =>
      Array.from({ length: 5000 }, (_, i) => {
        const routed = sampleEvent(b * 5000 + i);
        return { ...routed, event: counted({ ...routed.event }, 'messageId') };
      }),
    );
    const encoding = Promise.all(batches.map((b) => encoder.encode(b)));
    const building = await mostReadInOneTurn(encoding);
    assert.ok(building <= 1000, `${building} rows built in one turn`);
    // Appending: each row's message_id is read once by the appender.
    read = 0;
    const rows = batches.map((b) => b.map((e) => counted(toWarehouseRow(e), 'message_id')));
    const appending = Promise.all(rows.map((r) => encoder.encodeRows(r)));
    const appended = await mostReadInOneTurn(appending);
    assert.ok(appended <= 1000, `${appended} rows appended in one turn`);
    const files = await appending;
    assert.deepEqual(
      (await encoder.readRows(files[15]!)).map((r) => r.message_id).sort(),
      batches[15]!.map((e) => e.event.messageId).sort(),
    );
  });
});

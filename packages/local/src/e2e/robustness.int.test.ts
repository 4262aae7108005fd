// The local pipeline under bad input and a crash: clear 4xx and nothing else
// disturbed; a SIGKILL mid-load loses no acknowledged event and duplicates none.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from '@eventkit/testing';
import { afterAll, describe, test } from 'vitest';
import { type Dev, query, startDev } from './support.int.ts';

const running: Dev[] = [];
afterAll(async () => {
  for (const d of running) await d.proc.stop('SIGKILL');
});

/** Message ids in the warehouse; none when nothing was ever loaded (no table yet). */
function warehouseIds(dataDir: string): Set<string> {
  try {
    return new Set(
      query<{ message_id: string }>(dataDir, 'select message_id from events.raw_events').map(
        (r) => r.message_id,
      ),
    );
  } catch (err) {
    if (/does not exist|no DuckDB warehouse/i.test((err as Error).message)) return new Set();
    throw err;
  }
}

/** `eventkit-gateway wal status --json` on the dev data directory. */
function walStatus(dataDir: string): { pending_events: number; published_events: number } {
  const res = spawnSync(
    process.execPath,
    [`${REPO_ROOT}packages/gateway/src/cli.ts`, 'wal', 'status', '--json', '--data-dir', dataDir],
    { encoding: 'utf8', env: { ...process.env, GCP_PROJECT_ID: 'local', NODE_TEST_CONTEXT: undefined } },
  );
  if (res.status !== 0) throw new Error(`wal status failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout);
}

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const send = (dev: Dev, path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${dev.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('eventkit-dev robustness', () => {
  test('malformed, oversized and unauthorised requests get a clear 4xx; the good ones around them land once', async () => {
    const dev = await startDev({ EVENTKIT_WRITE_KEYS: 'good-key=web' });
    running.push(dev);
    const auth = { authorization: basic('good-key') };
    const event = (id: string) => JSON.stringify({ type: 'track', event: 'E', userId: 'u', messageId: id });

    assert.equal((await send(dev, '/v1/track', event('before'), auth)).status, 200);
    const cases: [string, Response, number, string][] = [
      ['malformed JSON', await send(dev, '/v1/batch', '{"batch": [', auth), 400, 'invalid_json'],
      [
        'oversized body',
        await send(dev, '/v1/batch', JSON.stringify({ batch: [], pad: 'x'.repeat(600_000) }), auth),
        413,
        'payload_too_large',
      ],
      [
        'gzip bomb',
        await send(dev, '/v1/batch', gzipSync(`{"pad":"${'x'.repeat(20_000_000)}"}`), {
          ...auth,
          'content-encoding': 'gzip',
        }),
        413,
        'payload_too_large',
      ],
      [
        'bad write key',
        await send(dev, '/v1/track', event('bad-key'), { authorization: basic('nope') }),
        401,
        'unauthorized',
      ],
      ['no write key', await send(dev, '/v1/track', event('no-key')), 401, 'unauthorized'],
      [
        'invalid event',
        await send(dev, '/v1/track', JSON.stringify({ userId: 'u', messageId: 'no-name' }), auth),
        400,
        'validation_failed',
      ],
    ];
    for (const [what, res, status, code] of cases) {
      assert.equal(res.status, status, what);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      assert.equal(body.error.code, code, what);
      assert.ok(body.error.message.length > 10 && body.error.requestId, what);
    }
    assert.equal((await send(dev, '/v1/track', event('after'), auth)).status, 200);
    assert.equal(await dev.proc.stop('SIGTERM'), 0, dev.proc.output());

    const rows = query<{ message_id: string }>(
      dev.dataDir,
      'select message_id from events.raw_events order by 1',
    );
    assert.deepEqual(
      rows.map((r) => r.message_id),
      ['after', 'before'],
    );
    // The invalid event is not lost: it is in the dead-letter table with its reason.
    const errors = query<{ message_id: string; reasons: unknown }>(
      dev.dataDir,
      'select message_id, reasons from events.raw_events_errors',
    );
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.message_id, 'no-name');
    assert.match(JSON.stringify(errors[0]?.reasons), /missing_event_name/);
  });

  test('SIGKILL mid-load, then a restart: every acknowledged event is in the warehouse exactly once', async (t) => {
    // No load before the kill (the loop's interval is an hour): whatever was
    // acknowledged is still to be carried to the warehouse when the process dies.
    const first = await startDev({ EVENTKIT_WAREHOUSE_LOADER_INTERVAL: '3600' });
    running.push(first);
    const acked = new Set<string>();
    let stop = false;
    const sender = async (w: number) => {
      for (let i = 0; !stop && i < 2000; i++) {
        const batch = Array.from({ length: 25 }, (_, j) => ({
          type: 'track',
          event: 'Load',
          userId: `u${w}`,
          messageId: `w${w}-${i}-${j}`,
        }));
        try {
          const res = await send(first, '/v1/batch', JSON.stringify({ batch }));
          if (res.status === 200) for (const e of batch) acked.add(e.messageId);
        } catch {
          return;
        }
      }
    };
    const senders = Array.from({ length: 6 }, (_, w) => sender(w));
    while (acked.size < 3000) await new Promise((r) => setTimeout(r, 20));
    await first.proc.stop('SIGKILL');
    stop = true;
    await Promise.all(senders);

    // The state the restart must recover from: acknowledged events not in the warehouse.
    const atKill = warehouseIds(first.dataDir);
    const notLoaded = [...acked].filter((id) => !atKill.has(id));
    assert.ok(
      notLoaded.length > 0,
      `${atKill.size} rows in the warehouse at the kill, ${acked.size} acknowledged`,
    );
    const wal = walStatus(first.dataDir);
    void t.annotate(
      `at the kill: ${acked.size} acknowledged, ${atKill.size} in the warehouse, ${wal.pending_events} pending in the WAL`,
    );

    const second = await startDev({}, first.dataDir);
    running.push(second);
    assert.equal(await second.proc.stop('SIGTERM'), 0, second.proc.output());
    const [counts] = query<{ n: number; distinct_ids: number }>(
      second.dataDir,
      'select count(*)::int as n, count(distinct message_id)::int as distinct_ids from events.raw_events',
    );
    const ids = new Set(
      query<{ message_id: string }>(second.dataDir, 'select message_id from events.raw_events').map(
        (r) => r.message_id,
      ),
    );
    const missing = [...acked].filter((id) => !ids.has(id));
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged events missing`);
    assert.equal(counts?.n, counts?.distinct_ids, 'no duplicates in the warehouse');
    assert.ok((counts?.n ?? 0) >= acked.size);
  });
});

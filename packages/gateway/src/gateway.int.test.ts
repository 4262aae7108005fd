// The gateway as a real process against the real Pub/Sub emulator.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { freeLoopbackPort, REPO_ROOT, startTcpProxy } from '@eventkit/testing';
import { afterAll, describe, test } from 'vitest';
import {
  collect,
  PROJECT,
  startGateway,
  topicWithSubscription,
  until,
  walStatus,
} from './test-support.int.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** Message id → pending | published, for every row in a WAL file (read with the gateway stopped or killed). */
function rowsInWal(dataDir: string): Map<string, 'pending' | 'published'> {
  const db = new DatabaseSync(path.join(dataDir, 'eventkit_ring_buffer.db'), { readOnly: true });
  try {
    const rows = db.prepare('SELECT payload, published_at FROM wal_events').all() as {
      payload: string;
      published_at: number | null;
    }[];
    return new Map(
      rows.map((r) => [
        (JSON.parse(r.payload) as { messageId: string }).messageId,
        r.published_at === null ? 'pending' : 'published',
      ]),
    );
  } finally {
    db.close();
  }
}

/**
 * POSTs on a raw socket with `Connection: close`, writing the body in 64 KiB
 * pieces as fast as the socket takes them (up to `bodyBytes`), and reads what
 * comes back: the status (0: none, the connection was reset or closed first)
 * and how many body bytes the socket took.
 */
function rawPost(
  port: number,
  opts: { declaredBytes?: number; bodyBytes: number; chunked?: boolean },
): Promise<{ status: number; written: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let response = '';
    let written = 0;
    let settled = false;
    const done = (status: number) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ status, written, ms: Date.now() - started });
    };
    socket.on('data', (d) => {
      response += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(response);
      if (m) done(Number(m[1]));
    });
    socket.on('error', () => done(0));
    socket.on('close', () => done(0));
    socket.on('connect', async () => {
      const length = opts.chunked
        ? 'transfer-encoding: chunked'
        : `content-length: ${opts.declaredBytes ?? opts.bodyBytes}`;
      socket.write(
        `POST /v1/track HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnection: close\r\n${length}\r\n\r\n`,
      );
      const piece = Buffer.alloc(64 * 1024, 'x');
      while (written < opts.bodyBytes && !settled) {
        const frame = opts.chunked
          ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
          : piece;
        if (!socket.write(frame)) await new Promise((r) => socket.once('drain', r).once('close', r));
        written += piece.length;
      }
      if (opts.chunked && !settled) socket.write('0\r\n\r\n');
    });
  });
}

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('gateway process → Pub/Sub emulator', () => {
  test('EVENTKIT_ADMIN_PORT: /metrics on the admin listener only, probes on both, events on the public one only; probes logged at debug', async () => {
    const { pubsubHost, topic, pubsub } = await topicWithSubscription();
    cleanups.push(() => pubsub.close());
    const adminPort = await freeLoopbackPort();
    const gw = await startGateway({ pubsubHost, topic, env: { EVENTKIT_ADMIN_PORT: String(adminPort) } });
    cleanups.push(() => gw.proc.stop('SIGKILL'));
    const admin = `http://127.0.0.1:${adminPort}`;

    const metrics = await fetch(`${admin}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /eventkit_gateway_wal_pending_events/);
    assert.equal((await fetch(`${gw.url}/metrics`)).status, 404, 'not on the public port');
    for (const base of [admin, gw.url]) {
      assert.equal((await fetch(`${base}/ready`)).status, 200, base);
      assert.equal((await fetch(`${base}/health`)).status, 200, base);
    }
    const onAdmin = await postJson(`${admin}/v1/track`, { event: 'x', userId: 'u', messageId: 'adm-1' });
    assert.equal(onAdmin.status, 404, 'the admin port takes no events');
    assert.equal(
      (await postJson(`${gw.url}/v1/track`, { event: 'x', userId: 'u', messageId: 'pub-1' })).status,
      200,
    );

    assert.equal(await gw.proc.stop('SIGTERM'), 0, gw.proc.output());
    const completed = gw.proc
      .output()
      .split('\n')
      .filter((l) => l.includes('"request_completed"'))
      .map((l) => JSON.parse(l) as { path: string });
    // At EVENTKIT_LOG_LEVEL=info: the event requests and the refused ones, not the probes and scrapes.
    assert.deepEqual(completed.map((l) => l.path).sort(), ['/metrics', '/v1/track', '/v1/track']);
    assert.match(gw.proc.output(), new RegExp(`"admin_port":${adminPort}`));
  });

  test('publishes accepted events and dead letters; SIGTERM drains and exits 0', async () => {
    const { pubsubHost, topic, subscription, pubsub } = await topicWithSubscription();
    cleanups.push(() => pubsub.close());
    const got = collect(subscription);
    cleanups.push(got.stop);
    const gw = await startGateway({ pubsubHost, topic });
    cleanups.push(() => gw.proc.stop('SIGKILL'));

    let res = await postJson(`${gw.url}/collect/orders`, [
      { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'a1' },
      { type: 'track', userId: 'u1' },
    ]);
    assert.equal(res.status, 202);
    res = await postJson(
      `${gw.url}/v1/batch`,
      { batch: [{ type: 'identify', userId: 'u2', messageId: 'b1', traits: { plan: 'pro' } }] },
      { 'x-request-id': 'trace-me-1' },
    );
    assert.equal(res.status, 200);

    await until(() => got.events.length === 2 && got.deadLetters.length === 1, 15_000, 'events on the topic');
    const byId = new Map(got.events.map((e) => [e.event.messageId, e]));
    assert.equal(byId.get('a1')?.stream, 'orders');
    assert.equal(byId.get('b1')?.stream, 'users');
    assert.equal(byId.get('b1')?.requestId, 'trace-me-1', 'the request id travels with the event');
    assert.equal(got.deadLetters[0]?.reasons[0]?.code, 'missing_event_name');

    const code = await gw.proc.stop('SIGTERM');
    assert.equal(code, 0, gw.proc.output());
    const logs = gw.proc.output();
    assert.match(logs, /"message":"shutdown_complete"/);
    assert.match(logs, /"request_id":"trace-me-1".*"message":"request_completed"/);
    assert.doesNotMatch(logs, /u2|"plan"/, 'no user ids or payloads in logs');

    const status = spawnSync(
      process.execPath,
      [`${REPO_ROOT}packages/gateway/src/cli.ts`, 'wal', 'status', '--json', '--data-dir', gw.dataDir],
      {
        encoding: 'utf8',
        env: { ...process.env, GCP_PROJECT_ID: 'test-project', NODE_TEST_CONTEXT: undefined },
      },
    );
    assert.equal(status.status, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.equal(s.pending_events, 0);
    assert.equal(s.published_events, 3);
  });

  test('a refused body is read and dropped before the 413, so a client that sends it all and closes still gets the answer; past 16 MiB the server stops reading', async () => {
    const { pubsubHost, topic, pubsub } = await topicWithSubscription();
    cleanups.push(() => pubsub.close());
    const gw = await startGateway({ pubsubHost, topic });
    cleanups.push(() => gw.proc.stop('SIGKILL'));
    const port = Number(new URL(gw.url).port);
    // Before the fix, the server answered at once and closed with the body
    // unread: the reset discarded the 413 on the client's side (status 0).
    for (let i = 0; i < 5; i++) {
      const declared = await rawPost(port, { bodyBytes: 2 * 1024 * 1024 });
      assert.equal(declared.status, 413, 'Content-Length over the limit: the answer arrives');
      const chunked = await rawPost(port, { bodyBytes: 2 * 1024 * 1024, chunked: true });
      assert.equal(chunked.status, 413, 'chunked body over the limit: the answer arrives');
    }
    // At the bound: a body declared as 1 GiB is not read to its end. The
    // client manages to write 16 MiB plus what the sockets buffer, then the
    // answer comes (or the connection closes), well before 1 GiB.
    const huge = await rawPost(port, { declaredBytes: 1024 ** 3, bodyBytes: 1024 ** 3 });
    assert.ok(
      huge.written < 64 * 1024 * 1024,
      `the server stopped reading (client wrote ${huge.written} bytes)`,
    );
    assert.ok(
      huge.written > 16 * 1024 * 1024,
      `it read up to its bound first (client wrote ${huge.written} bytes)`,
    );
    const res = await postJson(`${gw.url}/v1/track`, { event: 'E', userId: 'u', messageId: 'after-discard' });
    assert.equal(res.status, 200, 'the gateway keeps serving');
  });

  test('a live server enforces the request limit (Content-Length and chunked) and keeps serving', async () => {
    const { pubsubHost, topic, pubsub } = await topicWithSubscription();
    cleanups.push(() => pubsub.close());
    const gw = await startGateway({ pubsubHost, topic });
    cleanups.push(() => gw.proc.stop('SIGKILL'));
    const big = JSON.stringify({
      batch: [{ type: 'track', event: 'E', userId: 'u' }],
      pad: 'x'.repeat(600 * 1024),
    });
    let res = await fetch(`${gw.url}/v1/batch`, { method: 'POST', body: big });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'payload_too_large');
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < big.length; i += 32 * 1024)
          controller.enqueue(new TextEncoder().encode(big.slice(i, i + 32 * 1024)));
        controller.close();
      },
    });
    res = await fetch(`${gw.url}/v1/batch`, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit);
    assert.equal(res.status, 413);
    await res.body?.cancel();
    res = await postJson(`${gw.url}/v1/track`, { event: 'E', userId: 'u', messageId: 'after-413' });
    assert.equal(res.status, 200, 'the gateway keeps serving after refusing oversized bodies');
    // Idle connections outlive a load balancer's (600 s), so a reused connection never races a close.
    const raw = await new Promise<string | undefined>((resolve, reject) => {
      http
        .get(`${gw.url}/health`, (r) => {
          r.resume();
          resolve(String(r.headers['keep-alive']));
        })
        .on('error', reject);
    });
    assert.equal(raw, 'timeout=620');
  });

  test('SIGTERM with Pub/Sub unreachable exits within the shutdown timeout, keeping the events in the WAL', async () => {
    const closedPort = await freeLoopbackPort();
    const gw = await startGateway({
      pubsubHost: `127.0.0.1:${closedPort}`,
      topic: 'unreachable',
      env: { EVENTKIT_PUBSUB_CREATE: 'false', EVENTKIT_SHUTDOWN_TIMEOUT: '2' },
    });
    cleanups.push(() => gw.proc.stop('SIGKILL'));
    const res = await postJson(`${gw.url}/v1/batch`, {
      batch: [1, 2, 3].map((i) => ({ type: 'track', event: 'E', userId: 'u', messageId: `k${i}` })),
    });
    assert.equal(res.status, 200, 'accepted: the WAL has them even though Pub/Sub is down');
    const started = Date.now();
    const code = await gw.proc.stop('SIGTERM', 20_000);
    assert.equal(code, 0, gw.proc.output());
    assert.ok(Date.now() - started < 10_000, `exited after ${Date.now() - started} ms`);
    const status = spawnSync(
      process.execPath,
      [`${REPO_ROOT}packages/gateway/src/cli.ts`, 'wal', 'status', '--json', '--data-dir', gw.dataDir],
      {
        encoding: 'utf8',
        env: { ...process.env, GCP_PROJECT_ID: 'test-project', NODE_TEST_CONTEXT: undefined },
      },
    );
    assert.equal(JSON.parse(status.stdout).pending_events, 3);

    // The orphaned-volume recovery: `wal drain --json` publishes them once Pub/Sub is there, and
    // stdout is one JSON object (the relay's logs go to stderr).
    const { pubsubHost, topic, subscription, pubsub } = await topicWithSubscription();
    cleanups.push(() => pubsub.close());
    const got = collect(subscription);
    cleanups.push(got.stop);
    const drain = spawnSync(
      process.execPath,
      [`${REPO_ROOT}packages/gateway/src/cli.ts`, 'wal', 'drain', '--json', '--data-dir', gw.dataDir],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          GCP_PROJECT_ID: PROJECT,
          PUBSUB_EMULATOR_HOST: pubsubHost,
          EVENTKIT_PUBSUB_TOPIC: topic,
          EVENTKIT_JSON_LOGS: 'true',
          NODE_TEST_CONTEXT: undefined,
        },
        timeout: 60_000,
      },
    );
    assert.equal(drain.status, 0, drain.stderr);
    const drained = JSON.parse(drain.stdout) as { published_events: number; pending_events: number };
    assert.deepEqual([drained.published_events, drained.pending_events], [3, 0]);
    await until(() => got.events.length === 3, 15_000, 'the drained events on the topic');
  });

  test('SIGKILL mid-load loses no acknowledged event: a restart publishes what was pending', async () => {
    const { pubsubHost, topic, subscription, pubsub } = await topicWithSubscription();
    cleanups.push(() => pubsub.close());
    const got = collect(subscription);
    cleanups.push(got.stop);
    // Pub/Sub through a proxy the test can cut: the kill must find events
    // acknowledged but not yet published, or the restart would prove nothing.
    const proxy = await startTcpProxy(pubsubHost);
    cleanups.push(() => proxy.close());
    const first = await startGateway({
      pubsubHost: proxy.host,
      topic,
      env: { EVENTKIT_PUBSUB_CREATE: 'false' },
    });
    cleanups.push(() => first.proc.stop('SIGKILL'));

    // Concurrent senders; every 2xx is a promise. Kill the gateway while they run.
    const acked = new Set<string>();
    let stopSending = false;
    const sender = async (w: number) => {
      for (let i = 0; !stopSending && i < 5000; i++) {
        const batch = Array.from({ length: 20 }, (_, j) => ({
          type: 'track',
          event: 'Load',
          userId: `u${w}`,
          messageId: `w${w}-${i}-${j}`,
        }));
        try {
          const res = await postJson(`${first.url}/v1/batch`, { batch });
          if (res.status === 200) for (const e of batch) acked.add(e.messageId);
        } catch {
          return; // the gateway died mid-request: not acknowledged
        }
      }
    };
    const senders = Array.from({ length: 8 }, (_, w) => sender(w));
    await until(
      () => acked.size >= 2000 && got.events.length > 0,
      60_000,
      '2000 acknowledged events, some published',
    );
    proxy.down();
    const ackedAtCut = acked.size;
    await until(
      () => acked.size >= ackedAtCut + 2000,
      60_000,
      '2000 more acknowledged events with Pub/Sub cut off',
    );
    await first.proc.stop('SIGKILL');
    stopSending = true;
    await Promise.all(senders);

    // The state the restart must recover from, read from the killed gateway's file.
    const atKill = walStatus(first.dataDir);
    const inFile = rowsInWal(first.dataDir);
    assert.ok(atKill.published_events > 0, 'published before the cut');
    assert.ok(
      atKill.pending_events >= 2000,
      `pending at the kill: ${atKill.pending_events} (acknowledged ${acked.size}, published ${atKill.published_events})`,
    );
    for (const id of acked) assert.ok(inFile.has(id), `acknowledged ${id} is in the WAL file`);
    const pendingAcked = [...acked].filter((id) => inFile.get(id) === 'pending');
    assert.ok(pendingAcked.length >= 2000, `${pendingAcked.length} acknowledged events pending at the kill`);
    const seenAtKill = new Set(got.events.map((e) => e.event.messageId));
    assert.ok(
      pendingAcked.some((id) => !seenAtKill.has(id)),
      'some acknowledged events had not reached the topic when the gateway died',
    );

    proxy.up();
    const second = await startGateway({
      pubsubHost: proxy.host,
      topic,
      dataDir: first.dataDir,
      env: { EVENTKIT_PUBSUB_CREATE: 'false' },
    });
    cleanups.push(() => second.proc.stop('SIGKILL'));
    await until(
      () => {
        const seen = new Set(got.events.map((e) => e.event.messageId));
        for (const id of acked) if (!seen.has(id)) return false;
        return true;
      },
      120_000,
      `all ${acked.size} acknowledged events on the topic`,
    );
    assert.equal(await second.proc.stop('SIGTERM'), 0);
    assert.equal(walStatus(first.dataDir).pending_events, 0, 'the restart published the whole backlog');
  });
});

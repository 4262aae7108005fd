// /live and /live/events as a page sees them: served where they should be,
// refused where they should not, and the stream carries what the ingest routes
// stored or refused.
import assert from 'node:assert/strict';
import { silentLogger } from '@eventkit/shared/logging';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import { describe, test } from 'vitest';
import { createGatewayMetrics } from '../../metrics.ts';
import { createAdminApp } from '../admin-app.ts';
import { testApp } from '../test-app.ts';
import type { LiveEntry } from './entries.ts';
import { LiveFeed, MAX_CLIENTS } from './feed.ts';

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const track = { type: 'track', event: 'Signed Up', userId: 'ada@example.com', messageId: 'm-1' };

function liveApp(listener: 'public' | 'admin' = 'public', writeKeyMap?: Record<string, string>) {
  const feed = new LiveFeed({ payloads: false });
  return { feed, ...testApp({ live: { feed, listener }, ...(writeKeyMap ? { writeKeyMap } : {}) }) };
}

/** An open SSE stream: its parsed messages as they come, and a way to hang up. */
function sse(res: Response) {
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const messages: { event: string; data: string; id?: string }[] = [];
  const parse = () => {
    let at = text.indexOf('\n\n');
    while (at >= 0) {
      const block = text.slice(0, at);
      text = text.slice(at + 2);
      const field = (name: string) =>
        block
          .split('\n')
          .filter((l) => l.startsWith(`${name}: `))
          .map((l) => l.slice(name.length + 2))
          .join('\n');
      if (!block.startsWith(':'))
        messages.push({ event: field('event') || 'message', data: field('data'), id: field('id') });
      at = text.indexOf('\n\n');
    }
  };
  return {
    messages,
    /** Entries of the data messages so far. */
    entries: () =>
      messages.filter((m) => m.event === 'message').flatMap((m) => JSON.parse(m.data) as LiveEntry[]),
    async until(done: () => boolean): Promise<void> {
      while (!done()) {
        const { value, done: ended } = await reader.read();
        if (ended) throw new Error(`the stream ended; got ${JSON.stringify(messages)}`);
        text += decoder.decode(value, { stream: true });
        parse();
      }
    },
    /** Reads until the stream ends; true when it did. */
    async ended(): Promise<boolean> {
      for (;;) {
        const { done } = await reader.read();
        if (done) return true;
      }
    },
    close: () => reader.cancel(),
  };
}

describe('GET /live', () => {
  test('is one HTML page whose script runs by its hash only, never cached', async () => {
    const { app } = liveApp();
    const res = await app.request('/live');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(
      res.headers.get('content-security-policy') ?? '',
      /script-src 'sha256-[A-Za-z0-9+/=]+'; .*connect-src 'self'/,
    );
    assert.match(await res.text(), /new EventSource\('\/live\/events'\)/);
  });

  test('is not on the public app without the setting, nor when the admin port serves it', async () => {
    assert.equal((await testApp().app.request('/live')).status, 404);
    assert.equal((await testApp().app.request('/live/events')).status, 404);
    const { app } = liveApp('admin');
    assert.equal((await app.request('/live')).status, 404);
  });
});

describe('the admin listener', () => {
  const admin = (live?: LiveFeed) => {
    const registry = createMetricsRegistry(undefined, { processMetrics: false });
    return createAdminApp({
      state: { refusal: () => undefined, notReady: () => undefined, unhealthy: () => undefined },
      renderMetrics: async () => ({ contentType: 'text/plain', body: '' }),
      logger: silentLogger(),
      metrics: createGatewayMetrics(registry),
      live: live ? { feed: live, listener: 'admin' } : undefined,
    });
  };

  test('serves /live and its stream when the gateway has the page on', async () => {
    const feed = new LiveFeed({ payloads: false });
    const app = admin(feed);
    assert.equal((await app.request('/live')).status, 200);
    const stream = sse(await app.request('/live/events'));
    await stream.until(() => stream.messages.length >= 1);
    assert.deepEqual(JSON.parse(stream.messages[0]?.data ?? ''), { payloads: false, capacity: 500 });
    await stream.close();
  });

  test('without it, /live is a 404 that lists what the port serves', async () => {
    const res = await admin().request('/live');
    assert.equal(res.status, 404);
    assert.match(
      ((await res.json()) as { error: { message: string } }).error.message,
      /serves \/metrics, \/health and \/ready/,
    );
  });
});

describe('GET /live/events', () => {
  test('sends the ring, then each event as it is stored or refused, with its reason', async () => {
    const { app, feed } = liveApp('public', { 'wk-1': 'web' });
    await app.request('/v1/track', post({ ...track, writeKey: 'wk-1' }));
    const stream = sse(await app.request('/live/events'));
    await stream.until(() => stream.entries().length >= 1);
    assert.equal(stream.messages[0]?.event, 'hello');
    assert.equal(feed.clientCount, 1);

    await app.request('/v1/track', post({ type: 'track', event: 'Anonymous', writeKey: 'wk-1' }));
    await app.request('/v1/track', post({ ...track, writeKey: 'nope' }));
    await app.request('/v1/batch', post('{"batch": [', { authorization: `Basic ${btoa('wk-1:')}` }));
    await stream.until(() => stream.entries().length >= 4);
    const [stored, invalid, unknownKey, badJson] = stream.entries();
    assert.deepEqual(
      [stored?.status, stored?.type, stored?.event, stored?.source, stored?.stream, stored?.messageId],
      ['accepted', 'track', 'Signed Up', 'web', 'events', 'm-1'],
    );
    assert.deepEqual(
      [invalid?.status, invalid?.event, invalid?.reasons?.[0]?.code],
      ['rejected', 'Anonymous', 'missing_identity'],
    );
    assert.deepEqual([unknownKey?.source, unknownKey?.reasons?.[0]?.code], [null, 'unauthorized']);
    assert.equal(badJson?.reasons?.[0]?.code, 'invalid_json');
    assert.doesNotMatch(JSON.stringify(stream.entries()), /ada@example\.com/);
    assert.equal(
      stream.messages.at(-1)?.id,
      String(badJson?.seq),
      'each message carries its last entry’s id',
    );

    await stream.close();
    assert.equal(feed.clientCount, 0, 'a page that leaves frees its slot');
  });

  test('a request refused before its body is read (429 over the high-water mark, 503 at shutdown) shows with its code', async () => {
    const { app, state } = liveApp();
    state.refusal = {
      status: 429,
      code: 'rate_limited',
      message: 'the WAL holds 300 unpublished events',
      retryAfter: 10,
    };
    assert.equal((await app.request('/v1/track', post(track))).status, 429);
    state.refusal = {
      status: 503,
      code: 'unavailable',
      message: 'the gateway is shutting down',
      retryAfter: 2,
    };
    assert.equal((await app.request('/v1/batch', post({ batch: [track] }))).status, 503);
    const stream = sse(await app.request('/live/events'));
    await stream.until(() => stream.entries().length >= 2);
    const [busy, closing] = stream.entries();
    // Refused before the body is read: the stream (by the event's type) is not known yet.
    assert.deepEqual(
      [busy?.status, busy?.reasons?.[0]?.code, busy?.stream],
      ['rejected', 'rate_limited', null],
    );
    assert.equal(closing?.reasons?.[0]?.code, 'unavailable');
    await stream.close();
  });

  test('a reconnecting page (Last-Event-ID) gets only what it missed', async () => {
    const { app } = liveApp();
    for (const id of ['a', 'b', 'c']) await app.request('/v1/track', post({ ...track, messageId: id }));
    const stream = sse(await app.request('/live/events', { headers: { 'Last-Event-ID': '1' } }));
    await stream.until(() => stream.entries().length >= 2);
    assert.deepEqual(
      stream.entries().map((e) => e.messageId),
      ['b', 'c'],
    );
    await stream.close();
  });

  test(`${MAX_CLIENTS} pages at once; one more gets 429 with Retry-After`, async () => {
    const { app } = liveApp();
    const open = [];
    for (let i = 0; i < MAX_CLIENTS; i++) {
      const res = await app.request('/live/events');
      assert.equal(res.status, 200);
      open.push(sse(res));
    }
    const refused = await app.request('/live/events');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '10');
    for (const s of open) await s.close();
    assert.equal((await app.request('/live/events')).status, 200, 'a slot is free again');
  });

  test('refuses another origin: the public port’s CORS would otherwise let any page read it', async () => {
    const { app, feed } = liveApp();
    const res = await app.request('http://127.0.0.1:8000/live/events', {
      headers: { Origin: 'http://evil.example' },
    });
    assert.equal(res.status, 400);
    assert.equal(feed.clientCount, 0);
    const same = await app.request('http://127.0.0.1:8000/live/events', {
      headers: { Origin: 'http://127.0.0.1:8000' },
    });
    assert.equal(same.status, 200);
    await sse(same).close();
  });

  test('at shutdown every stream ends (the listener can close) and new ones get 503', async () => {
    const { app, feed } = liveApp();
    const stream = sse(await app.request('/live/events'));
    await stream.until(() => stream.messages.length >= 1);
    feed.close();
    assert.equal(await stream.ended(), true);
    assert.equal((await app.request('/live/events')).status, 503);
  });
});

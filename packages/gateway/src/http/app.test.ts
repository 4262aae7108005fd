import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { deadLetterId } from '@eventkit/shared/event';
import { describe, test } from 'vitest';
import { testApp } from './test-app.ts';

const track = (i = 1, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `user-${i}`,
  messageId: `m-${i}`,
  properties: { revenue: 9.5 },
  ...extra,
});

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
});

/** A JSON text of exactly `bytes` bytes: `value` with a `pad` string sized to fit. */
function exactly(bytes: number, value: Record<string, unknown>): string {
  const base = JSON.stringify({ ...value, pad: '' });
  const text = JSON.stringify({ ...value, pad: 'x'.repeat(bytes - Buffer.byteLength(base)) });
  assert.equal(Buffer.byteLength(text), bytes);
  return text;
}

describe('POST /collect', () => {
  test('accepts one event with 202 {"status":"accepted"} into the default stream', async () => {
    const { app, sink } = testApp();
    const res = await app.request('/collect', post(track()));
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { status: 'accepted' });
    const [routed] = sink.accepted;
    assert.equal(routed?.stream, 'default');
    assert.equal(routed?.source, 'default');
    assert.equal(routed?.event.messageId, 'm-1');
    assert.equal(routed?.requestId, res.headers.get('x-request-id'));
    assert.ok(Date.parse(routed?.event.receivedAt ?? '') > Date.now() - 5000);
  });

  test('a lone UTF-16 surrogate, in a value or a key, is stored as U+FFFD: accepted, and loadable downstream', async () => {
    const { app, sink } = testApp();
    // Exactly what a client sends after truncating a string mid-character: the JSON escapes are valid JSON.
    const body =
      '{"type":"track","event":"x","userId":"u","messageId":"s-1","properties":{"l":"a\\ud800b","\\udc00k":["\\udbff"],"pair":"\\ud83d\\ude00"}}';
    const res = await app.request('/collect', post(body));
    assert.equal(res.status, 202);
    const props = sink.accepted[0]?.event.properties as Record<string, unknown>;
    assert.equal(props.l, 'a\uFFFDb');
    assert.deepEqual(props['\uFFFDk'], ['\uFFFD']);
    assert.equal(props.pair, '😀', 'a well-formed pair is kept as it is');
    assert.ok(JSON.stringify(sink.accepted[0]?.event).isWellFormed());
  });

  test('/collect/:stream takes an array into that stream', async () => {
    const { app, sink } = testApp();
    const res = await app.request('/collect/users', post([track(1), track(2, { type: 'identify' })]));
    assert.equal(res.status, 202);
    assert.deepEqual(
      sink.accepted.map((e) => e.stream),
      ['users', 'users'],
    );
  });

  test('an invalid stream name is a 400 naming the rule', async () => {
    const { app, sink } = testApp();
    const res = await app.request('/collect/Bad%20Stream', post(track()));
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    assert.equal(body.error.code, 'bad_request');
    assert.match(body.error.message, /a-z, 0-9/);
    assert.equal(body.error.requestId, res.headers.get('x-request-id'));
    assert.equal(sink.results.length, 0);
  });
});

describe('Segment-compatible routes', () => {
  for (const [path, type, stream] of [
    ['/v1/track', 'track', 'events'],
    ['/v1/identify', 'identify', 'users'],
    ['/v1/page', 'page', 'pages'],
    ['/v1/screen', 'screen', 'events'],
    ['/v1/group', 'group', 'events'],
    ['/v1/alias', 'alias', 'events'],
    ['/v1/t', 'track', 'events'],
    ['/v1/i', 'identify', 'users'],
    ['/v1/p', 'page', 'pages'],
    ['/v1/s', 'screen', 'events'],
    ['/v1/g', 'group', 'events'],
    ['/v1/a', 'alias', 'events'],
  ] as const) {
    test(`${path} answers 200 {"success":true} and routes a ${type} to "${stream}"`, async () => {
      const { app, sink } = testApp();
      const event = { userId: 'u1', event: 'E', groupId: 'g1', previousId: 'p1', messageId: 'm' };
      const res = await app.request(path, post(event));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { success: true });
      assert.equal(sink.accepted[0]?.event.type, type, 'the route implies the type when the body has none');
      assert.equal(sink.accepted[0]?.stream, stream);
    });
  }

  test('/v1/batch routes each event by its type and merges batch context and integrations', async () => {
    const { app, sink } = testApp();
    const body = {
      batch: [
        track(1, { context: { ip: '1.2.3.4' } }),
        { type: 'identify', userId: 'u2', traits: { plan: 'pro' } },
        { type: 'page', anonymousId: 'a3', name: 'Home' },
      ],
      context: { library: { name: 'analytics-node', version: '3.1.0' }, ip: 'batch-ip' },
      integrations: { All: true },
      sentAt: new Date().toISOString(),
    };
    const res = await app.request('/v1/batch', post(body));
    assert.equal(res.status, 200);
    assert.deepEqual(
      sink.accepted.map((e) => e.stream),
      ['events', 'users', 'pages'],
    );
    const first = sink.accepted[0]!.event;
    assert.deepEqual(first.context, { library: { name: 'analytics-node', version: '3.1.0' }, ip: '1.2.3.4' });
    assert.deepEqual(first.integrations, { All: true });
    assert.ok(sink.accepted[1]!.event.sentAt, 'batch sentAt applies to each event');
  });

  test('/v1/b (analytics.js batching) and /beacon/v1/batch?writeKey= take batches', async () => {
    const { app, sink } = testApp({ writeKeyMap: { k1: 'web' } });
    let res = await app.request(
      '/v1/b',
      post({ writeKey: 'k1', batch: [track(1)], sentAt: new Date().toISOString() }),
    );
    assert.equal(res.status, 200);
    res = await app.request(
      '/beacon/v1/batch?writeKey=k1',
      post({ batch: [track(2)] }, { 'content-type': 'text/plain' }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(
      sink.accepted.map((e) => e.source),
      ['web', 'web'],
    );
  });

  test('/v1/m (client metrics) is accepted and discarded', async () => {
    const { app, sink } = testApp();
    const res = await app.request('/v1/m', post({ series: [{ type: 'Counter', metric: 'x', value: 1 }] }));
    assert.equal(res.status, 200);
    assert.equal(sink.results.length, 0);
  });
});

describe('bodies: Content-Type is not trusted', () => {
  test('text/plain JSON (analytics.js) is parsed', async () => {
    const { app, sink } = testApp();
    const res = await app.request('/v1/t', post(JSON.stringify(track()), { 'content-type': 'text/plain' }));
    assert.equal(res.status, 200);
    assert.equal(sink.accepted.length, 1);
  });

  test('gzip-compressed form-urlencoded (rudder-sdk-node) is gunzipped', async () => {
    const { app, sink } = testApp();
    const body = gzipSync(JSON.stringify({ batch: [track(1), track(2)] }));
    const res = await app.request(
      '/v1/batch',
      post(body, { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }),
    );
    assert.equal(res.status, 200);
    assert.equal(sink.accepted.length, 2);
  });

  test('gzip is detected by its magic bytes even without Content-Encoding', async () => {
    const { app, sink } = testApp();
    const res = await app.request('/collect', post(gzipSync(JSON.stringify(track()))));
    assert.equal(res.status, 202);
    assert.equal(sink.accepted.length, 1);
  });

  test('malformed JSON, an empty body and corrupt gzip are 400s with the error envelope', async () => {
    const { app } = testApp();
    for (const [body, headers, code] of [
      ['{"type": "track",', {}, 'invalid_json'],
      ['', {}, 'invalid_json'],
      [Buffer.from([0x1f, 0x8b, 0, 1, 2]), {}, 'bad_request'],
    ] as const) {
      const res = await app.request('/collect', post(body, headers));
      assert.equal(res.status, 400);
      const json = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(json.error.code, code);
      assert.ok(json.error.message.length > 10);
    }
  });

  test('a batch route given something that is not a batch is a 400', async () => {
    const { app } = testApp();
    const res = await app.request('/v1/batch', post({ notbatch: true }));
    assert.equal(res.status, 400);
  });
});

describe('validation at the edge: invalid events are reported and kept', () => {
  test('a partly invalid batch is accepted with the rejects listed and kept as dead letters', async () => {
    const { app, sink } = testApp();
    const res = await app.request(
      '/v1/batch',
      post({ batch: [track(1), { type: 'track', userId: 'u' }, 42] }),
    );
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      success: boolean;
      rejected: { index: number; code: string; message: string }[];
    };
    assert.equal(body.success, true);
    assert.deepEqual(
      body.rejected.map((r) => [r.index, r.code]),
      [
        [1, 'missing_event_name'],
        [2, 'not_an_object'],
      ],
    );
    assert.equal(sink.accepted.length, 1);
    assert.equal(sink.deadLetters.length, 2);
    const [letter] = sink.deadLetters;
    assert.equal(letter?.errorType, 'validation');
    assert.deepEqual(letter?.payload, { type: 'track', userId: 'u' });
    assert.equal(letter?.requestId, res.headers.get('x-request-id'));
    assert.equal(letter?.stream, 'events');
  });

  test('a letter names its failure, not its delivery: a client retry gives the same id; it keeps what a replay needs', async () => {
    const { app, sink } = testApp();
    const body = {
      context: { library: { name: 'analytics-node' } },
      batch: [
        { userId: 'u', messageId: 'retry-me' },
        { type: 'track', userId: 'u' },
      ],
    };
    for (let i = 0; i < 2; i++)
      await app.request('/v1/track', post({ ...body, batch: undefined, ...body.batch[0] }));
    await app.request('/v1/batch', post(body));
    await app.request('/v1/batch', post(body));
    const [first, second, third, fourth, fifth, sixth] = sink.deadLetters;
    assert.equal(sink.deadLetters.length, 6);
    assert.equal(first?.id, second?.id, 'the same refused event sent twice is one letter');
    assert.equal(first?.id, deadLetterId('validation', 'default', 'retry-me', 'missing_event_name'));
    assert.equal(first?.messageId, 'retry-me');
    assert.deepEqual(
      first?.payload,
      {
        context: body.context,
        userId: 'u',
        messageId: 'retry-me',
        type: 'track',
      },
      '/v1/track implies the type: a replay re-submits it with it',
    );
    assert.equal(third?.id, deadLetterId('validation', 'default', 'retry-me', 'missing_type'));
    assert.deepEqual(
      (third?.payload as { context?: unknown } | undefined)?.context,
      body.context,
      "the batch's context travels with the letter",
    );
    // An item without a messageId gets one made for it, kept on the letter (and so on its replay).
    assert.match(String(fourth?.messageId), /^[0-9a-f-]{36}$/);
    assert.equal(
      fourth?.id,
      deadLetterId('validation', 'default', String(fourth?.messageId), 'missing_event_name'),
    );
    assert.equal(fifth?.id, third?.id);
    assert.notEqual(sixth?.id, fourth?.id, 'without a client messageId two sends are two events');
  });

  test('an event nested too deeply to serialise (100,000 levels): 400 naming the reason, kept with its first levels; never a 5xx', async () => {
    const { app, sink } = testApp();
    const depth = 100_000;
    const body = `{"type":"track","event":"x","userId":"u","properties":{"deep":${'['.repeat(depth)}1${']'.repeat(depth)}}}`;
    const res = await app.request('/v1/track', post(body));
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(await res.json()), /not_serializable/);
    const [letter] = sink.deadLetters;
    assert.equal(letter?.reasons[0]?.code, 'not_serializable');
    const text = JSON.stringify(letter); // the WAL row: must not throw
    assert.match(text, /nested deeper than kept/);
    assert.ok(text.length < 2000, 'the cut copy is small');
    assert.equal(sink.accepted.length, 0);
  });

  test('when every event is invalid: 400 with the list, and the events are still kept', async () => {
    const { app, sink } = testApp();
    const res = await app.request(
      '/collect/orders',
      post([{ event: 'no type' }, { type: 'nope', userId: 'u' }]),
    );
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string }; rejected: unknown[] };
    assert.equal(body.error.code, 'validation_failed');
    assert.equal(body.rejected.length, 2);
    assert.equal(sink.deadLetters.length, 2);
    assert.ok(sink.deadLetters.every((l) => l.stream === 'orders'));
  });
});

describe('limits (at the limit, and one byte over)', () => {
  test('request body: 500 KB is accepted, 500 KB + 1 is a 413 naming the limit', async () => {
    const { app } = testApp();
    const batch = [track(1)];
    let res = await app.request('/v1/batch', post(exactly(500 * 1024, { batch })));
    assert.equal(res.status, 200);
    res = await app.request('/v1/batch', post(exactly(500 * 1024 + 1, { batch })));
    assert.equal(res.status, 413);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'payload_too_large');
    assert.match(body.error.message, /512000-byte limit \(EVENTKIT_MAX_REQUEST_BYTES\)/);
  });

  test('the request limit holds without Content-Length (chunked) too', async () => {
    const { app } = testApp();
    const text = exactly(500 * 1024 + 1, { batch: [track(1)] });
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < text.length; i += 64 * 1024)
          controller.enqueue(new TextEncoder().encode(text.slice(i, i + 65536)));
        controller.close();
      },
    });
    const res = await app.request('/v1/batch', {
      method: 'POST',
      body: stream,
      headers: { 'transfer-encoding': 'chunked' },
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
  });

  test('decompressed body: a gzip bomb is a 413, not memory exhaustion', async () => {
    const { app, sink } = testApp();
    const bomb = gzipSync(Buffer.from(`{"batch":[],"pad":"${'x'.repeat(50 * 1024 * 1024)}"}`));
    assert.ok(bomb.length < 500 * 1024);
    const res = await app.request('/v1/batch', post(bomb, { 'content-encoding': 'gzip' }));
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /decompressed/);
    assert.equal(sink.results.length, 0);
  });

  test('event size: 32 KB is accepted, 32 KB + 1 is a 413 on a single-event route', async () => {
    const { app, sink } = testApp();
    let res = await app.request('/v1/track', post(exactly(32 * 1024, track(1))));
    assert.equal(res.status, 200);
    res = await app.request('/v1/track', post(exactly(32 * 1024 + 1, track(2))));
    assert.equal(res.status, 413);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'payload_too_large');
    assert.match(body.error.message, /32768/);
    assert.equal(sink.deadLetters.length, 1, 'the oversized event is kept as a dead letter');
  });

  test('event size in a batch: only the oversized event is refused', async () => {
    const { app, sink } = testApp();
    const big = JSON.parse(exactly(32 * 1024 + 1, track(2)));
    const res = await app.request('/v1/batch', post({ batch: [track(1), big] }));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { rejected: { index: number; code: string }[] };
    assert.deepEqual(
      body.rejected.map((r) => [r.index, r.code]),
      [[1, 'event_too_large']],
    );
    assert.equal(sink.accepted.length, 1);
  });

  test('events per batch: 2,500 are accepted, 2,501 are a 400 naming the limit', async () => {
    const { app, sink } = testApp({
      limits: { maxEventBytes: 32 * 1024, maxRequestBytes: 5 * 1024 * 1024, maxBatchEvents: 2500 },
    });
    const small = (i: number) => ({ type: 'track', event: 'e', userId: String(i) });
    let res = await app.request(
      '/v1/batch',
      post({ batch: Array.from({ length: 2500 }, (_, i) => small(i)) }),
    );
    assert.equal(res.status, 200);
    assert.equal(sink.accepted.length, 2500);
    res = await app.request('/v1/batch', post({ batch: Array.from({ length: 2501 }, (_, i) => small(i)) }));
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'too_many_events');
    assert.match(body.error.message, /2500-event limit/);
    assert.equal(sink.accepted.length, 2500);
  });
});

describe('write keys', () => {
  const keys = { 'key-web': 'web', 'key-ios': 'ios' };
  const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

  test('with keys configured, a request without a key or with an unknown one is a 401', async () => {
    const { app, sink } = testApp({ writeKeyMap: keys });
    let res = await app.request('/v1/track', post(track()));
    assert.equal(res.status, 401);
    res = await app.request('/v1/track', post(track(), { authorization: basic('nope') }));
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized');
    assert.equal(sink.results.length, 0);
  });

  test('the key is found as Basic auth user, body writeKey or ?writeKey=, and names the source', async () => {
    const { app, sink } = testApp({ writeKeyMap: keys });
    assert.equal(
      (await app.request('/v1/track', post(track(1), { authorization: basic('key-web') }))).status,
      200,
    );
    assert.equal((await app.request('/v1/t', post({ ...track(2), writeKey: 'key-ios' }))).status, 200);
    assert.equal((await app.request('/v1/track?writeKey=key-web', post(track(3)))).status, 200);
    assert.deepEqual(
      sink.accepted.map((e) => e.source),
      ['web', 'ios', 'web'],
    );
    assert.ok(!('writeKey' in sink.accepted[1]!.event), 'the key is not copied into the stored event');
  });

  test('unset, the gateway is open and the source is "default"', async () => {
    const { app, sink } = testApp();
    assert.equal((await app.request('/v1/track', post({ ...track(), writeKey: 'anything' }))).status, 200);
    assert.equal(sink.accepted[0]?.source, 'default');
  });
});

describe('CORS', () => {
  test('preflights reflect the requested headers and are cacheable', async () => {
    const { app } = testApp();
    const res = await app.request('/v1/t', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers':
          'authorization,content-type,x-retry-count,anonymousid,rsa-retry-attempt',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example');
    assert.equal(
      res.headers.get('access-control-allow-headers'),
      'authorization,content-type,x-retry-count,anonymousid,rsa-retry-attempt',
    );
    assert.ok(Number(res.headers.get('access-control-max-age')) > 0);
    assert.ok(res.headers.get('x-request-id'), 'preflights carry a request id too');
    assert.equal(res.headers.get('access-control-allow-credentials'), null, 'no credentials are needed');
  });

  test('preflights are counted in the request metrics', async () => {
    const { app } = testApp();
    await app.request('/v1/t', {
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' },
    });
    const text = await (await app.request('/metrics')).text();
    assert.match(text, /eventkit_gateway_requests_total\{[^}]*status="204"[^}]*\} 1/);
  });

  test('error responses carry CORS headers and expose Retry-After', async () => {
    const { app, state } = testApp();
    const res = await app.request('/v1/t', post('{bad', { origin: 'https://shop.example' }));
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /X-RateLimit-Reset/);
    state.refusal = { status: 429, code: 'rate_limited', message: 'backlog', retryAfter: 7 };
    const limited = await app.request('/v1/t', post(track(), { origin: 'https://shop.example' }));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('access-control-allow-origin'), 'https://shop.example');
  });

  test('an origin outside a configured list gets no CORS headers', async () => {
    const { app } = testApp({ corsOrigins: ['https://allowed.example'] });
    const res = await app.request('/v1/t', post(track(), { origin: 'https://evil.example' }));
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const ok = await app.request('/v1/t', post(track(), { origin: 'https://allowed.example' }));
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://allowed.example');
  });
});

describe('request ids, temporary refusals and failures', () => {
  test('a sane client X-Request-Id is kept; anything else is replaced', async () => {
    const { app, sink } = testApp();
    let res = await app.request('/collect', post(track(), { 'x-request-id': 'abc-123' }));
    assert.equal(res.headers.get('x-request-id'), 'abc-123');
    assert.equal(sink.accepted[0]?.requestId, 'abc-123');
    res = await app.request('/collect', post(track(), { 'x-request-id': 'bad id\twith spaces' }));
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('a backlog refusal is a 429 with Retry-After and X-RateLimit-Reset; shutdown is a 503', async () => {
    const { app, state, sink } = testApp();
    state.refusal = {
      status: 429,
      code: 'rate_limited',
      message: 'the WAL backlog is over its high-water mark',
      retryAfter: 5,
    };
    let res = await app.request('/v1/track', post(track()));
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.ok(Number(res.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
    state.refusal = { status: 503, code: 'unavailable', message: 'shutting down', retryAfter: 2 };
    res = await app.request('/v1/track', post(track()));
    assert.equal(res.status, 503);
    assert.equal(sink.results.length, 0);
  });

  test('a WAL write failure is a 503 with Retry-After: nothing claimed as accepted', async () => {
    const { app, sink } = testApp();
    sink.failWith = new Error('disk I/O error');
    const res = await app.request('/v1/track', post(track()));
    assert.equal(res.status, 503);
    assert.ok(res.headers.get('retry-after'));
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unavailable');
  });

  test('unknown routes are a 404 with the error envelope', async () => {
    const { app } = testApp();
    const res = await app.request('/v2/track', post(track()));
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
  });
});

describe('health, readiness, metrics, settings', () => {
  test('/health is 200; /ready is 200 or 503 with the reason', async () => {
    const { app, state } = testApp();
    assert.deepEqual(await (await app.request('/health')).json(), { status: 'ok' });
    assert.equal((await app.request('/ready')).status, 200);
    state.notReady = 'the WAL backlog is over its high-water mark';
    const res = await app.request('/ready');
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      status: 'not_ready',
      reason: 'the WAL backlog is over its high-water mark',
    });
  });

  test('/metrics exposes request and event counters', async () => {
    const { app } = testApp();
    await app.request('/v1/batch', post({ batch: [track(1), { type: 'track', userId: 'u' }] }));
    const text = await (await app.request('/metrics')).text();
    assert.match(text, /eventkit_gateway_requests_total\{route="\/v1\/batch",status="200"\} 1/);
    assert.match(text, /eventkit_gateway_events_accepted_total 1/);
    assert.match(text, /eventkit_gateway_events_rejected_total\{code="missing_event_name"\} 1/);
  });

  test('analytics.js settings point the browser back at this gateway', async () => {
    const { app } = testApp({ writeKeyMap: { k1: 'web' } });
    const res = await app.request('http://gw.example:8000/v1/projects/k1/settings');
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      integrations: Record<string, { apiKey: string; apiHost: string; protocol: string }>;
    };
    assert.deepEqual(
      { ...body.integrations['Segment.io'] },
      { ...body.integrations['Segment.io'], apiKey: 'k1', apiHost: 'gw.example:8000/v1', protocol: 'http' },
    );
    assert.equal((await app.request('/v1/projects/unknown/settings')).status, 404);
  });

  test('the Rudder source config names the source', async () => {
    const { app } = testApp({ writeKeyMap: { k1: 'web' } });
    const res = await app.request('/sourceConfig/?p=npm&v=3.34.1&writeKey=k1');
    const body = (await res.json()) as {
      source: { name: string; writeKey: string; enabled: boolean; destinations: [] };
    };
    assert.equal(body.source.name, 'web');
    assert.equal(body.source.writeKey, 'k1');
    assert.equal(body.source.enabled, true);
  });
});

describe('server-side enrichment (context.ip, context.userAgent)', () => {
  const BROWSER =
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15';
  const behindOneProxy = { enrichment: { trustedProxyHops: 1, ipCapture: 'full' as const } };

  test("the client's address from the trusted proxy's X-Forwarded-For entry, and a browser's User-Agent", async () => {
    const { app, sink } = testApp(behindOneProxy);
    const res = await app.request(
      '/v1/track',
      post(track(1), { 'x-forwarded-for': '6.6.6.6, 198.51.100.4', 'user-agent': BROWSER }),
    );
    assert.equal(res.status, 200);
    const context = sink.accepted[0]?.event.context as Record<string, unknown>;
    assert.equal(context.ip, '198.51.100.4');
    assert.equal(context.userAgent, BROWSER);
  });

  test('what the client sent is kept, in the event or in the batch context', async () => {
    const { app, sink } = testApp(behindOneProxy);
    const res = await app.request(
      '/v1/batch',
      post(
        {
          batch: [track(1, { context: { ip: '203.0.113.7' } }), track(2)],
          context: { userAgent: 'from-sdk' },
        },
        { 'x-forwarded-for': '198.51.100.4', 'user-agent': BROWSER },
      ),
    );
    assert.equal(res.status, 200);
    const [first, second] = sink.accepted.map((r) => r.event.context as Record<string, unknown>);
    assert.deepEqual(first, { userAgent: 'from-sdk', ip: '203.0.113.7' });
    assert.deepEqual(second, { userAgent: 'from-sdk', ip: '198.51.100.4' });
  });

  test('EVENTKIT_IP_CAPTURE=truncate stores the /24, off stores no address; a server SDK gets no userAgent', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.4', 'user-agent': 'analytics-node-next/latest' };
    const truncated = testApp({ enrichment: { trustedProxyHops: 1, ipCapture: 'truncate' } });
    await truncated.app.request('/v1/track', post(track(1), headers));
    assert.deepEqual(truncated.sink.accepted[0]?.event.context, { ip: '198.51.100.0' });
    const off = testApp({ enrichment: { trustedProxyHops: 1, ipCapture: 'off' } });
    await off.app.request('/v1/track', post(track(1), headers));
    assert.equal(off.sink.accepted[0]?.event.context, undefined);
  });

  test('a refused event is kept as the client sent it: its dead letter gains no address', async () => {
    const { app, sink } = testApp(behindOneProxy);
    const res = await app.request(
      '/v1/batch',
      post({ batch: [track(1), { type: 'track', userId: 'u' }] }, { 'x-forwarded-for': '198.51.100.4' }),
    );
    assert.equal(res.status, 200);
    assert.equal((sink.accepted[0]!.event.context as Record<string, unknown>).ip, '198.51.100.4');
    assert.equal(sink.deadLetters.length, 1);
    assert.equal((sink.deadLetters[0]!.payload as Record<string, unknown>).context, undefined);
  });
});

// Hostile requests, written byte by byte on a raw socket (HTTP/1.1,
// Connection: close) so nothing on the client side mends them: broken text,
// odd JSON, wrong types, bombs, truncated and slow bodies. Each returns the
// status the gateway answered (0: no answer, the connection was closed).
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { WRITE_KEY } from './load.ts';

export interface HostileCase {
  name: string;
  path?: string;
  body: Buffer;
  headers?: Record<string, string>;
  /** Declared Content-Length when it differs from the body (a truncated body). */
  contentLength?: number;
  /** Write the body in pieces of this many bytes, this many ms apart (a slow client). */
  dribble?: { bytes: number; everyMs: number; maxMs: number };
}

const AUTH = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const text = (s: string) => Buffer.from(s, 'utf8');
let n = 0;
/** Ids of hostile events: not the load's prefix, so they are never counted as good events. */
const id = () => `hx-${process.pid}-${++n}`;
const track = (extra: Record<string, unknown>) => ({
  type: 'track',
  event: 'Hostile',
  userId: 'hx-user',
  messageId: id(),
  ...extra,
});

function nested(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

export function hostileCases(): HostileCase[] {
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  const good = gzipSync(json({ batch: [track({})] }));
  return [
    {
      name: 'lone-surrogate-escaped',
      path: '/v1/track',
      body: text(
        `{"type":"track","event":"Hostile","userId":"hx\\ud800u","messageId":"${id()}","properties":{"s":"\\udc00x"}}`,
      ),
    },
    {
      name: 'lone-surrogate-bytes',
      path: '/v1/track',
      body: Buffer.concat([
        text(`{"event":"Hostile","userId":"hx","messageId":"${id()}","properties":{"s":"`),
        Buffer.from([0xed, 0xa0, 0x80]),
        text('"}}'),
      ]),
    },
    {
      name: 'invalid-utf8',
      path: '/v1/track',
      body: Buffer.concat([
        text(`{"event":"Hostile","userId":"hx","messageId":"${id()}","properties":{"s":"`),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80]),
        text('"}}'),
      ]),
    },
    {
      name: 'nul-escaped',
      path: '/v1/track',
      body: text(
        `{"event":"Hos\\u0000tile","userId":"hx\\u0000","messageId":"${id()}","properties":{"k\\u0000":"v\\u0000"}}`,
      ),
    },
    {
      name: 'nul-raw',
      path: '/v1/track',
      body: Buffer.concat([
        text(`{"event":"Hostile","userId":"hx","messageId":"${id()}","properties":{"s":"a`),
        Buffer.from([0]),
        text('b"}}'),
      ]),
    },
    {
      name: 'deep-nesting-1k',
      path: '/v1/track',
      body: text(
        `{"event":"Hostile","userId":"hx","messageId":"${id()}","properties":{"deep":${nested(1000)}}}`,
      ),
    },
    {
      name: 'deep-nesting-10k',
      path: '/v1/track',
      body: text(
        `{"event":"Hostile","userId":"hx","messageId":"${id()}","properties":{"deep":${nested(10_000)}}}`,
      ),
    },
    {
      name: 'deep-nesting-100k',
      path: '/v1/track',
      body: text(
        `{"event":"Hostile","userId":"hx","messageId":"${id()}","properties":{"deep":${nested(100_000)}}}`,
      ),
    },
    {
      name: 'huge-numbers',
      path: '/v1/track',
      body: text(
        `{"event":"Hostile","userId":"hx","messageId":"${id()}","properties":{"a":1e400,"b":-1e400,"c":123456789012345678901234567890123,"d":1e-400,"e":-0}}`,
      ),
    },
    {
      name: 'string-1mb',
      path: '/v1/track',
      body: json(track({ properties: { s: 'x'.repeat(1024 * 1024) } })),
    },
    {
      name: 'event-40kb-in-batch',
      path: '/v1/batch',
      body: json({ batch: [track({ properties: { s: 'x'.repeat(40 * 1024) } }), track({})] }),
    },
    {
      name: 'wrong-types-fields',
      path: '/v1/track',
      body: json({
        event: 42,
        userId: { a: 1 },
        messageId: 7,
        properties: [1, 2],
        timestamp: 'yesterday',
        context: 'ctx',
      }),
    },
    {
      name: 'wrong-type-type',
      path: '/v1/batch',
      body: json({ batch: [{ type: 'nope', messageId: id(), userId: 'hx' }, track({})] }),
    },
    { name: 'batch-not-array', path: '/v1/batch', body: json({ batch: 'everything' }) },
    { name: 'body-null', path: '/v1/batch', body: text('null') },
    { name: 'body-number', path: '/v1/track', body: text('12345') },
    {
      name: 'body-array-of-junk',
      path: '/collect',
      body: json([1, 'two', null, [3], { event: 'Hostile', messageId: id() }]),
    },
    {
      name: 'too-many-events',
      path: '/v1/batch',
      body: json({ batch: Array.from({ length: 2501 }, () => ({ event: 'Hostile', userId: 'hx' })) }),
    },
    { name: 'invalid-json', path: '/v1/batch', body: text('{{{"batch":[') },
    { name: 'gzip-bomb-64mb', path: '/v1/batch', body: bomb, headers: { 'content-encoding': 'gzip' } },
    { name: 'gzip-bomb-no-header', path: '/v1/batch', body: bomb },
    {
      name: 'gzip-truncated',
      path: '/v1/batch',
      body: good.subarray(0, Math.floor(good.length / 2)),
      headers: { 'content-encoding': 'gzip' },
    },
    {
      name: 'gzip-not-gzip',
      path: '/v1/batch',
      body: text('{"batch":[]}'),
      headers: { 'content-encoding': 'gzip' },
    },
    { name: 'json-truncated', path: '/v1/batch', body: text('{"batch":[{"event":"Hostile","userId":"hx"') },
    {
      name: 'body-shorter-than-length',
      path: '/v1/batch',
      body: json({ batch: [track({})] }).subarray(0, 20),
      contentLength: 5000,
    },
    {
      name: 'slow-body-10s',
      path: '/v1/track',
      body: json(track({})),
      dribble: { bytes: 4, everyMs: 500, maxMs: 10_000 },
    },
  ];
}

/** Sends one case; resolves with the status (0: no answer), within `timeoutMs`. */
export function sendHostile(port: number, c: HostileCase, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let response = '';
    let settled = false;
    const done = (status: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => done(0), timeoutMs);
    socket.on('data', (d) => {
      response += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(response);
      if (m) done(Number(m[1]));
    });
    socket.on('error', () => done(0));
    socket.on('close', () => done(0));
    socket.on('connect', async () => {
      const headers = {
        host: `127.0.0.1:${port}`,
        'content-type': 'application/json',
        authorization: AUTH,
        connection: 'close',
        'content-length': String(c.contentLength ?? c.body.length),
        ...c.headers,
      };
      const head = `POST ${c.path ?? '/v1/batch'} HTTP/1.1\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n`;
      socket.write(head);
      if (!c.dribble) {
        socket.write(c.body);
        if (c.contentLength !== undefined) socket.end();
        return;
      }
      const end = Date.now() + c.dribble.maxMs;
      for (let i = 0; i < c.body.length && !settled; i += c.dribble.bytes) {
        if (Date.now() > end) break;
        socket.write(c.body.subarray(i, i + c.dribble.bytes));
        await new Promise((r) => setTimeout(r, c.dribble?.everyMs ?? 0));
      }
    });
  });
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, test } from 'vitest';
import type { RoutedEvent } from '../event/types.ts';
import {
  type Codec,
  DEAD_LETTER_STREAM,
  decodeEnvelope,
  EnvelopeError,
  encodeEnvelope,
  encodeRawEnvelope,
  MAX_DECODED_BYTES,
  MAX_ENVELOPE_BYTES,
} from './envelope.ts';

function routed(i: number, overrides: Partial<RoutedEvent> = {}): RoutedEvent {
  return {
    stream: 'events',
    source: 'web',
    requestId: 'req-1',
    event: {
      type: 'track',
      event: 'Order Completed',
      messageId: `msg-${i}`,
      userId: `user-${i % 7}`,
      timestamp: '2026-11-27T10:00:00.000Z',
      receivedAt: '2026-11-27T10:00:01.000Z',
      properties: { revenue: i * 1.5, currency: 'EUR', items: [{ sku: `sku-${i}` }] },
      context: { library: { name: 'analytics-node', version: '3.1.0' } },
    },
    ...overrides,
  };
}

async function expectEnvelopeError(p: Promise<unknown>, code: EnvelopeError['code']) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof EnvelopeError, `expected EnvelopeError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.ok(err.message.length > 10);
    return true;
  });
}

describe('envelope', () => {
  for (const codec of ['zstd', 'gzip', 'none'] as Codec[]) {
    test(`round-trips a batch with several sources and requests (${codec})`, async () => {
      const events = [
        routed(1),
        routed(2, { source: 'ios' }),
        routed(3, { requestId: 'req-2' }),
        routed(4, { source: 'ios', requestId: 'req-2' }),
      ];
      const encoded = await encodeEnvelope('events', events, { codec });
      const decoded = await decodeEnvelope(encoded.data);
      assert.equal(decoded.version, 1);
      assert.equal(decoded.stream, 'events');
      assert.deepEqual(decoded.events, events);
      assert.deepEqual(decoded.deadLetters, []);
    });
  }

  test('round-trips any JSON properties (property-based)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 20 }),
        async (props) => {
          const events = props.map((properties, i) => {
            const e = routed(i);
            e.event.properties = properties;
            return e;
          });
          const decoded = await decodeEnvelope((await encodeEnvelope('events', events)).data);
          assert.deepEqual(JSON.parse(JSON.stringify(decoded.events)), JSON.parse(JSON.stringify(events)));
        },
      ),
      { numRuns: 50 },
    );
  });

  test('an envelope holding a lone surrogate (written by an older gateway) decodes well-formed', async () => {
    const event = routed(1);
    event.event.properties = { l: 'a\ud800b' };
    const decoded = await decodeEnvelope((await encodeEnvelope('events', [event])).data);
    assert.equal(decoded.events[0]?.event.properties?.l, 'a\uFFFDb');
  });

  test('is compact: 100 events from one request compress well below their JSON size', async () => {
    const events = Array.from({ length: 100 }, (_, i) => routed(i));
    const encoded = await encodeEnvelope('events', events);
    const rawJson = Buffer.byteLength(JSON.stringify(events));
    assert.ok(encoded.data.length * 4 < rawJson, `${encoded.data.length} bytes vs ${rawJson} raw`);
  });

  test('carries filterable attributes without payloads or user ids', async () => {
    const encoded = await encodeEnvelope('events', [routed(1), routed(2, { requestId: 'req-9' })]);
    assert.deepEqual(encoded.attributes, {
      stream: 'events',
      envelope_version: '1',
      event_count: '2',
      types: 'track',
      request_id: 'req-1',
    });
    assert.ok(!JSON.stringify(encoded.attributes).includes('user-'));
  });

  test('refuses to mix streams in one envelope', async () => {
    await assert.rejects(encodeEnvelope('events', [routed(1, { stream: 'users' })]), RangeError);
  });

  test('refuses to encode past the Pub/Sub message limit', async () => {
    // Random (incompressible) properties, so the encoded size tracks the raw size.
    const events = Array.from({ length: 40 }, (_, i) => {
      const e = routed(i);
      e.event.properties = { blob: randomBytes(300_000).toString('base64') };
      return e;
    });
    await expectEnvelopeError(encodeEnvelope('events', events, { codec: 'zstd' }), 'too_large');
    await expectEnvelopeError(encodeEnvelope('events', events, { codec: 'none' }), 'too_large');
    assert.ok(MAX_ENVELOPE_BYTES < 10_000_000);
  });

  test('rejects an unknown version with a clear message', async () => {
    const { data } = await encodeEnvelope('events', [routed(1)]);
    data[2] = 2;
    await assert.rejects(decodeEnvelope(data), /version 2 is not supported.*reads version 1/);
    await expectEnvelopeError(decodeEnvelope(data), 'unknown_version');
  });

  test('rejects bytes that are not an envelope, an unknown codec and corrupt bodies', async () => {
    await expectEnvelopeError(decodeEnvelope(Buffer.from('{"type":"track"}')), 'not_an_envelope');
    await expectEnvelopeError(decodeEnvelope(Buffer.alloc(0)), 'not_an_envelope');
    const { data } = await encodeEnvelope('events', [routed(1)]);
    const badCodec = Buffer.from(data);
    badCodec[3] = 9;
    await expectEnvelopeError(decodeEnvelope(badCodec), 'unknown_codec');
    const truncated = data.subarray(0, data.length - 5);
    await expectEnvelopeError(decodeEnvelope(truncated), 'corrupt');
    const wrongShape = Buffer.concat([Buffer.from([0x45, 0x4b, 1, 0]), Buffer.from('{"stream":1}')]);
    await expectEnvelopeError(decodeEnvelope(wrongShape), 'corrupt');
    const danglingIndex = Buffer.concat([
      Buffer.from([0x45, 0x4b, 1, 0]),
      Buffer.from('{"stream":"s","sources":[],"requestIds":[],"events":[[0,0,{}]]}'),
    ]);
    await expectEnvelopeError(decodeEnvelope(danglingIndex), 'corrupt');
  });

  test('never decompresses past the cap (zstd bomb)', async () => {
    const bomb = zlib.zstdCompressSync(Buffer.alloc(MAX_DECODED_BYTES + 1024, 0x20));
    const data = Buffer.concat([Buffer.from([0x45, 0x4b, 1, 2]), bomb]);
    await expectEnvelopeError(decodeEnvelope(data), 'too_large');
  });

  test('decoding never throws anything but EnvelopeError on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0, 1, 2), async (bytes, codec) => {
        const data = Buffer.concat([Buffer.from([0x45, 0x4b, 1, codec]), bytes]);
        try {
          await decodeEnvelope(data);
        } catch (err) {
          assert.ok(err instanceof EnvelopeError);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('raw envelopes (from the gateway WAL)', () => {
  test('decode to the same events as encodeEnvelope, without a parse on the way in', async () => {
    const events = [routed(1), routed(2, { source: 'ios' }), routed(3, { requestId: 'req-2' })];
    const raw = events.map((e) => ({
      source: e.source,
      requestId: e.requestId,
      type: e.event.type,
      json: JSON.stringify(e.event),
    }));
    const encoded = await encodeRawEnvelope('events', raw);
    const decoded = await decodeEnvelope(encoded.data);
    assert.deepEqual(decoded.events, events);
    assert.deepEqual(decoded.deadLetters, []);
    assert.equal(encoded.attributes.event_count, '3');
    assert.equal(encoded.attributes.request_id, 'req-1');
  });

  test('carry dead letters on their own stream', async () => {
    const letter = {
      id: 'dl-1',
      errorType: 'validation' as const,
      reasons: [{ code: 'missing_type', message: 'type is required' }],
      failedAt: '2026-11-27T10:00:00.000Z',
      requestId: 'req-7',
      payload: { userId: 'u', event: 'x' },
    };
    const encoded = await encodeRawEnvelope(DEAD_LETTER_STREAM, [
      { source: 'web', requestId: 'req-7', type: 'dead_letter', json: JSON.stringify(letter) },
    ]);
    assert.equal(encoded.attributes.kind, 'dead_letters');
    assert.equal(encoded.attributes.stream, DEAD_LETTER_STREAM);
    const decoded = await decodeEnvelope(encoded.data);
    assert.deepEqual(decoded.events, []);
    assert.deepEqual(decoded.deadLetters, [letter]);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { normalizeEvent } from './normalize.ts';
import { ERROR_COLUMNS, toErrorRow, toWarehouseRow, WAREHOUSE_COLUMNS } from './row.ts';
import { rudderNodeIdentify, rudderNodeTrack, segmentAlias, segmentGroup } from './test-payloads.ts';
import type { DeadLetter, JsonObject, RoutedEvent } from './types.ts';
import { validateEvent } from './validate.ts';

function routed(sent: JsonObject, stream = 'events'): RoutedEvent {
  const result = validateEvent(sent);
  if (!result.ok) assert.fail(JSON.stringify(result.reasons));
  const event = normalizeEvent(result.event, { receivedAt: new Date('2026-11-27T10:05:00.000Z') });
  return { event, source: 'web-shop', stream, requestId: 'req-1' };
}

describe('WAREHOUSE_COLUMNS', () => {
  test('are the documented columns, in order, with JSON for the last four', () => {
    assert.deepEqual(
      WAREHOUSE_COLUMNS.map((c) => `${c.name}:${c.type}:${c.mode}`),
      [
        'message_id:STRING:REQUIRED',
        'source:STRING:REQUIRED',
        'type:STRING:REQUIRED',
        'event:STRING:NULLABLE',
        'name:STRING:NULLABLE',
        'user_id:STRING:NULLABLE',
        'anonymous_id:STRING:NULLABLE',
        'group_id:STRING:NULLABLE',
        'previous_id:STRING:NULLABLE',
        'stream:STRING:REQUIRED',
        'timestamp:TIMESTAMP:REQUIRED',
        'original_timestamp:TIMESTAMP:NULLABLE',
        'sent_at:TIMESTAMP:NULLABLE',
        'received_at:TIMESTAMP:REQUIRED',
        'loaded_at:TIMESTAMP:NULLABLE',
        'properties:JSON:NULLABLE',
        'traits:JSON:NULLABLE',
        'context:JSON:NULLABLE',
        'integrations:JSON:NULLABLE',
      ],
    );
  });
});

describe('toWarehouseRow', () => {
  test('lays out a rudder-sdk-node track with JSON text and ISO timestamps', () => {
    const row = toWarehouseRow(routed(rudderNodeTrack()));
    assert.deepEqual(
      Object.keys(row),
      WAREHOUSE_COLUMNS.map((c) => c.name),
    );
    assert.deepEqual(row, {
      message_id: 'node-5f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e-0b0f5d5e-3c3a-4c55-9a2e-7a1c2b3d4e5f',
      source: 'web-shop',
      type: 'track',
      event: 'Order Completed',
      name: null,
      user_id: 'user-8d1f4c',
      anonymous_id: null,
      group_id: null,
      previous_id: null,
      stream: 'events',
      timestamp: '2026-11-27T10:04:58.766Z',
      original_timestamp: '2026-11-27T10:00:00.000Z',
      sent_at: '2026-11-27T10:00:01.234Z',
      received_at: '2026-11-27T10:05:00.000Z',
      loaded_at: null,
      properties: '{"orderId":"ord-1042","revenue":19.99}',
      traits: null,
      context: '{"library":{"name":"analytics-node","version":"3.0.13"}}',
      integrations: null,
    });
  });

  test('group and alias ids get their columns', () => {
    const group = toWarehouseRow(routed(segmentGroup()));
    assert.equal(group.group_id, 'acme-inc');
    assert.equal(group.traits, '{"name":"Acme Inc","plan":"enterprise"}');
    assert.equal(toWarehouseRow(routed(segmentAlias())).previous_id, '7c6a2b8e-1f0d-4e9a-b3c2-5d4e6f7a8b9c');
  });

  test("an identify without top-level traits takes context.traits (Rudder's SDKs send them there)", () => {
    const row = toWarehouseRow(routed(rudderNodeIdentify(), 'users'));
    assert.equal(row.traits, '{"plan":"pro","email":"a@example.com"}');
    assert.equal(row.stream, 'users');
  });

  test('an empty object stays an empty JSON object, not null', () => {
    const row = toWarehouseRow(routed({ ...rudderNodeTrack(), integrations: {} }));
    assert.equal(row.integrations, '{}');
  });
});

describe('toErrorRow', () => {
  const deadLetter: DeadLetter = {
    id: '0d9f3c1e-8b7a-4c6d-9e5f-1a2b3c4d5e6f',
    errorType: 'validation',
    reasons: [
      { code: 'missing_event_name', message: 'a track call needs an event name in `event`', path: 'event' },
    ],
    failedAt: '2026-11-27T10:05:00.010Z',
    stream: 'events',
    source: 'web-shop',
    requestId: 'req-1',
    receivedAt: '2026-11-27T10:05:00.000Z',
    messageId: 'm-1',
    payload: { type: 'track', userId: 'u' },
  };

  test('lays out a validation dead letter, in column order', () => {
    const row = toErrorRow(deadLetter);
    assert.deepEqual(
      Object.keys(row),
      ERROR_COLUMNS.map((c) => c.name),
    );
    assert.deepEqual(row, {
      id: '0d9f3c1e-8b7a-4c6d-9e5f-1a2b3c4d5e6f',
      error_type: 'validation',
      reasons: JSON.stringify(deadLetter.reasons),
      failed_at: '2026-11-27T10:05:00.010Z',
      stream: 'events',
      source: 'web-shop',
      request_id: 'req-1',
      received_at: '2026-11-27T10:05:00.000Z',
      message_id: 'm-1',
      payload: '{"type":"track","userId":"u"}',
      raw: null,
    });
  });

  test('a processing dead letter with only raw bytes', () => {
    const row = toErrorRow({
      id: 'x',
      errorType: 'processing',
      reasons: [{ code: 'undecodable', message: 'not JSON' }],
      failedAt: '2026-11-27T10:05:00.010Z',
      raw: Buffer.from('{oops').toString('base64'),
    });
    assert.equal(row.payload, null);
    assert.equal(row.stream, null);
    assert.equal(row.raw, 'e29vcHM=');
  });

  test('a payload JSON cannot hold is stored as null with a reason saying so, never a throw', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    const row = toErrorRow({ ...deadLetter, payload: deep });
    assert.equal(row.payload, null);
    assert.deepEqual(
      JSON.parse(row.reasons).map((r: { code: string }) => r.code),
      ['missing_event_name', 'payload_not_serializable'],
    );
  });
});

// The whole local pipeline (`eventkit-dev`) with stock server-side SDKs: every
// call type, with a write key, ends in the warehouse once with the right columns.
import assert from 'node:assert/strict';
import Rudder from '@rudderstack/rudder-sdk-node';
import { Analytics } from '@segment/analytics-node';
import { afterAll, describe, test } from 'vitest';
import { type Dev, query, startDev, until } from './support.int.ts';

const KEYS = { EVENTKIT_WRITE_KEYS: 'wk-seg=segment-node,wk-rud=rudder-node' };
let dev: Dev | undefined;
afterAll(async () => {
  await dev?.proc.stop('SIGKILL');
});

interface Row {
  message_id: string;
  source: string;
  type: string;
  event: string | null;
  name: string | null;
  user_id: string | null;
  group_id: string | null;
  previous_id: string | null;
  stream: string;
  properties: unknown;
  traits: unknown;
  context: unknown;
  timestamp: string;
  received_at: string;
  loaded_at: string | null;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;

describe('eventkit-dev with @segment/analytics-node and @rudderstack/rudder-sdk-node', () => {
  test('every call type from both SDKs lands in the warehouse exactly once, with the right columns', async () => {
    dev = await startDev(KEYS);
    const seg = new Analytics({ writeKey: 'wk-seg', host: dev.url, flushAt: 20 });
    seg.track({ userId: 's-1', event: 'Order Completed', properties: { revenue: 42.5 } });
    seg.identify({ userId: 's-1', traits: { plan: 'pro' } });
    seg.page({ userId: 's-1', name: 'Home', properties: { path: '/' } });
    seg.screen({ userId: 's-1', name: 'Main' });
    seg.group({ userId: 's-1', groupId: 'g-1', traits: { size: 3 } });
    seg.alias({ userId: 's-1', previousId: 'anon-1' });
    await seg.closeAndFlush({ timeout: 20_000 });

    // rudder-sdk-node gzips by default and authenticates with Basic auth only.
    const rud = new Rudder('wk-rud', {
      dataPlaneUrl: dev.url,
      flushAt: 10,
      flushInterval: 200,
      logLevel: 'error',
    });
    rud.track({ userId: 'r-1', event: 'Viewed', properties: { item: 'x' } });
    rud.identify({ userId: 'r-1', traits: { name: 'R' } });
    rud.page({ userId: 'r-1', name: 'Pricing' });
    rud.screen({ userId: 'r-1', name: 'Settings' });
    rud.group({ userId: 'r-1', groupId: 'g-2' });
    rud.alias({ userId: 'r-1', previousId: 'anon-2' });
    await rud.flush();

    // In the warehouse within seconds, while running.
    const count = () =>
      query<{ n: number }>(dev!.dataDir, 'select count(*)::int as n from events.raw_events')[0]?.n ?? 0;
    await until(() => count() >= 12, 30_000, '12 rows in the warehouse');

    // A client retry resends an event with its messageId: it must not land twice.
    const [first] = query<Row>(
      dev.dataDir,
      "select * from events.raw_events where source = 'segment-node' and type = 'track'",
    );
    const retry = await fetch(`${dev.url}/v1/track`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('wk-seg:').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        userId: 's-1',
        event: 'Order Completed',
        properties: { revenue: 42.5 },
        messageId: first!.message_id,
      }),
    });
    assert.equal(retry.status, 200);
    assert.equal(await dev.proc.stop('SIGTERM'), 0, dev.proc.output());

    const rows = query<Row>(dev.dataDir, 'select * from events.raw_events order by source, type');
    assert.equal(rows.length, 12, `each event once: ${rows.map((r) => `${r.source}:${r.type}`).join(',')}`);
    assert.deepEqual(
      rows.map((r) => [r.source, r.type, r.stream]),
      [
        ['rudder-node', 'alias', 'events'],
        ['rudder-node', 'group', 'events'],
        ['rudder-node', 'identify', 'users'],
        ['rudder-node', 'page', 'pages'],
        ['rudder-node', 'screen', 'events'],
        ['rudder-node', 'track', 'events'],
        ['segment-node', 'alias', 'events'],
        ['segment-node', 'group', 'events'],
        ['segment-node', 'identify', 'users'],
        ['segment-node', 'page', 'pages'],
        ['segment-node', 'screen', 'events'],
        ['segment-node', 'track', 'events'],
      ],
    );
    const pick = (source: string, type: string) => rows.find((r) => r.source === source && r.type === type)!;
    const track = pick('segment-node', 'track');
    assert.equal(track.message_id, first!.message_id);
    assert.equal(track.event, 'Order Completed');
    assert.equal(track.user_id, 's-1');
    assert.deepEqual(json(track.properties), { revenue: 42.5 });
    assert.equal((json(track.context).library as { name: string }).name, '@segment/analytics-node');
    // Filled by the gateway from the connection (the SDK sends no ip); a server SDK's User-Agent is not copied.
    assert.equal(json(track.context).ip, '127.0.0.1');
    assert.equal(json(track.context).userAgent, undefined);
    assert.ok(track.loaded_at, 'loaded_at is set by the loader');
    assert.ok(Date.parse(track.received_at) > Date.now() - 120_000);
    assert.deepEqual(json(pick('segment-node', 'identify').traits), { plan: 'pro' });
    assert.equal(pick('segment-node', 'page').name, 'Home');
    assert.equal(pick('segment-node', 'group').group_id, 'g-1');
    assert.equal(pick('segment-node', 'alias').previous_id, 'anon-1');
    assert.equal(pick('rudder-node', 'alias').previous_id, 'anon-2');
    assert.equal(pick('rudder-node', 'page').name, 'Pricing');
    assert.equal(pick('rudder-node', 'track').event, 'Viewed');
  });
});

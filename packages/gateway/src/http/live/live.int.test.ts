// The live events page on a real gateway process: only on its admin port and
// only when EVENTKIT_LIVE_EVENTS is on; with EVENTKIT_LIVE_EVENTS_PAYLOADS, in
// headless Chromium, an SDK's event shows with its payload. A page whose socket
// stops reading is dropped once it falls behind, while ingestion and the other
// pages go on.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import {
  freeLoopbackPort,
  type LaunchedChromium,
  launchChromium,
  useEmulators,
  watchRequests,
} from '@eventkit/testing';
import { PubSub } from '@google-cloud/pubsub';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { PROJECT, startGateway, until } from '../../test-support.int.ts';
import { CLIENT_QUEUE_LIMIT } from './feed.ts';

type Gw = Awaited<ReturnType<typeof startGateway>>;
const gateways: Gw[] = [];
let pubsubHost: string;
let topic: string;
let chrome: LaunchedChromium | undefined;

beforeAll(async () => {
  ({ pubsubHost } = await useEmulators());
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: pubsubHost, emulatorMode: true });
  // No subscription: what the gateways publish is dropped by the emulator, which is all this needs.
  topic = `live-${randomUUID()}`;
  await pubsub.createTopic(topic);
  await pubsub.close();
});

afterAll(async () => {
  await chrome?.close().catch(() => {});
  for (const gw of gateways) await gw.proc.stop('SIGKILL');
});

async function gateway(env: Record<string, string>) {
  const gw = await startGateway({
    pubsubHost,
    topic,
    env: { EVENTKIT_WRITE_KEYS: 'wk-app=backend', ...env },
  });
  gateways.push(gw);
  return gw;
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${btoa('wk-app:')}` },
    body: JSON.stringify(body),
  });

describe('the gateway’s live events page', () => {
  test('off by default; on without an admin port it is still not served, and the log says why', async () => {
    const plain = await gateway({});
    assert.equal((await fetch(`${plain.url}/live`)).status, 404);
    const noAdmin = await gateway({ EVENTKIT_LIVE_EVENTS: 'true' });
    assert.equal((await fetch(`${noAdmin.url}/live`)).status, 404);
    assert.equal((await fetch(`${noAdmin.url}/live/events`)).status, 404);
    assert.match(noAdmin.proc.output(), /EVENTKIT_ADMIN_PORT is not set.*"message":"live_events_not_served"/);
  });

  test('on the admin port only; with payloads on, Chromium shows an SDK event as sent', async () => {
    const launching = launchChromium();
    launching.catch(() => {});
    const adminPort = await freeLoopbackPort();
    const gw = await gateway({
      EVENTKIT_ADMIN_PORT: String(adminPort),
      EVENTKIT_LIVE_EVENTS: 'true',
      EVENTKIT_LIVE_EVENTS_PAYLOADS: 'true',
    });
    const admin = `http://127.0.0.1:${adminPort}`;
    assert.equal((await fetch(`${gw.url}/live`)).status, 404, 'never on the public port');
    assert.equal((await fetch(`${gw.url}/live/events`)).status, 404);
    chrome = await launching;

    const context = await chrome.browser.newContext();
    const watch = watchRequests(context);
    const tab = await context.newPage();
    await tab.goto(`${admin}/live`);
    await tab.waitForSelector('#state[data-state="live"]');
    assert.match((await tab.textContent('#privacy')) ?? '', /Payloads are shown/);

    const sdk = new Analytics({ writeKey: 'wk-app', host: gw.url, flushAt: 1 });
    sdk.track({
      userId: 'ada@example.com',
      event: 'Order Completed',
      properties: { coupon: 'SPRING' },
      messageId: 'gw-1',
    });
    await sdk.closeAndFlush({ timeout: 20_000 });

    const row = await tab.waitForSelector('#rows tr[data-message-id="gw-1"]', { timeout: 20_000 });
    assert.equal(await row.$eval('td.source', (td) => td.textContent), 'backend');
    await row.$eval('details summary', (s) => (s as unknown as { click(): void }).click());
    const payload = JSON.parse((await row.$eval('details pre', (pre) => pre.textContent)) ?? '{}');
    assert.equal(payload.userId, 'ada@example.com');
    assert.deepEqual(payload.properties, { coupon: 'SPRING' });
    assert.equal(payload.context.library.name, '@segment/analytics-node');
    assert.deepEqual(watch.offLoopback(), []);
    await context.close();
  });

  test(`a page that stops reading is dropped ${CLIENT_QUEUE_LIMIT} entries behind; ingestion and the other page go on`, async () => {
    const adminPort = await freeLoopbackPort();
    const gw = await gateway({
      EVENTKIT_ADMIN_PORT: String(adminPort),
      EVENTKIT_LIVE_EVENTS: 'true',
      EVENTKIT_LIVE_EVENTS_PAYLOADS: 'true',
      EVENTKIT_MAX_REQUEST_BYTES: '4mb',
    });

    // A page that reads its first bytes, then never again: its socket fills up.
    const stalled = net.connect(adminPort, '127.0.0.1');
    stalled.write(`GET /live/events HTTP/1.1\r\nHost: 127.0.0.1:${adminPort}\r\n\r\n`);
    await new Promise<void>((resolve) => stalled.once('data', () => resolve()));
    stalled.pause();
    let stalledClosed = false;
    stalled.on('close', () => {
      stalledClosed = true;
    });

    // A page that keeps up.
    const res = await fetch(`http://127.0.0.1:${adminPort}/live/events`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let seen = '';
    let reading = true;
    const readAll = (async () => {
      while (reading) {
        const { value, done } = await reader.read();
        if (done) break;
        seen = (seen + decoder.decode(value, { stream: true })).slice(-20_000);
      }
    })();

    // 500 events of ~4 KB each per request: the live entries keep 4,096 characters of each.
    const pad = 'x'.repeat(4_000);
    let sent = 0;
    for (let round = 0; round < 40 && !/live_events_client_dropped/.test(gw.proc.output()); round++) {
      const batch = Array.from({ length: 500 }, (_, i) => ({
        type: 'track',
        event: 'Bulk',
        userId: 'u',
        messageId: `bulk-${round}-${i}`,
        properties: { pad },
      }));
      const started = Date.now();
      const answer = await post(`${gw.url}/v1/batch`, { batch });
      assert.equal(answer.status, 200, await answer.text());
      assert.ok(Date.now() - started < 5_000, `a request took ${Date.now() - started} ms`);
      sent = round;
    }
    await until(
      () => /live_events_client_dropped/.test(gw.proc.output()),
      10_000,
      'the stalled page dropped',
    );
    await until(
      () => seen.includes(`"messageId":"bulk-${sent}-499"`),
      10_000,
      'the reading page got the last event',
    );

    // The dropped page's connection is closed by the gateway (it would reconnect with Last-Event-ID).
    stalled.resume();
    await until(() => stalledClosed, 10_000, 'the stalled connection closed');
    reading = false;
    await reader.cancel();
    await readAll;
  });
});

// The live events page of eventkit-dev in headless Chromium: the URL the
// banner prints, events from a real SDK (@segment/analytics-node) appearing
// while the page is open, a refused event with its reason, the filters, and
// no payload values by default. Ctrl-C with the page open still drains at
// once (the stream ends at shutdown).
//
// The screenshot in docs/ (docs/live-events.png) is taken by this test when
// EVENTKIT_UPDATE_SCREENSHOT=1 (`EVENTKIT_UPDATE_SCREENSHOT=1 node
// scripts/run-tests.ts int live-events`); otherwise it goes to a temporary
// file and is only checked to be a PNG, so a normal run leaves the tree clean.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type LaunchedChromium,
  launchChromium,
  type Page,
  REPO_ROOT,
  watchRequests,
} from '@eventkit/testing';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { type Dev, startDev, until } from './support.int.ts';

const KEYS = { EVENTKIT_WRITE_KEYS: 'wk-app=backend,wk-web=website' };
const SCREENSHOT = process.env.EVENTKIT_UPDATE_SCREENSHOT === '1';

let chrome: LaunchedChromium;
let dev: Dev;

beforeAll(async () => {
  const launching = launchChromium();
  launching.catch(() => {});
  dev = await startDev(KEYS);
  chrome = await launching;
});

afterAll(async () => {
  await chrome?.close().catch(() => {});
  await dev?.proc.stop('SIGKILL');
});

/** The visible rows' cells, newest first, as text. */
async function visibleRows(tab: Page): Promise<Record<string, string>[]> {
  return tab.$$eval('#rows tr:not([hidden])', (trs) =>
    trs.map((tr) => {
      const row = tr as unknown as { cells: ArrayLike<{ textContent: string | null }> };
      const cells = Array.from(row.cells, (td) => td.textContent ?? '');
      const [time, status, type, event, source, stream, messageId, reason] = cells;
      return { time, status, type, event, source, stream, messageId, reason } as Record<string, string>;
    }),
  );
}

/** The rows' message ids, sorted: the order of concurrent requests is not the test's business. */
const ids = (rows: Record<string, string>[]) => rows.map((r) => r.messageId).sort();

async function filter(tab: Page, choice: { type?: string; source?: string; status?: string }) {
  await tab.selectOption('#type', choice.type ?? '');
  await tab.selectOption('#source', choice.source ?? '');
  await tab.selectOption('#status', choice.status ?? '');
}

describe('eventkit-dev’s live events page', () => {
  test('shows SDK events as they arrive, a refused one with its reason, filters by type and source, no values', async () => {
    // The banner's URL (the JSON start line carries the same one off a terminal).
    await until(
      () => /"live_events":"http:\/\/127\.0\.0\.1:\d+\/live"/.test(dev.proc.output()),
      10_000,
      'dev_started',
    );
    const liveUrl = /"live_events":"([^"]+)"/.exec(dev.proc.output())?.[1];
    assert.equal(liveUrl, `${dev.url}/live`);

    const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 640 } });
    const watch = watchRequests(context);
    const tab = await context.newPage();
    await tab.goto(liveUrl);
    await tab.waitForSelector('#state[data-state="live"]');
    assert.match(
      (await tab.textContent('#privacy')) ?? '',
      /No property or trait values, user ids or emails are shown/,
    );

    // A real SDK, two sources, while the page is open.
    const app = new Analytics({ writeKey: 'wk-app', host: dev.url, flushAt: 1 });
    app.track({
      userId: 'ada@example.com',
      event: 'Order Completed',
      properties: { revenue: 42.5, coupon: 'SECRET10' },
      messageId: 'live-1',
    });
    app.identify({
      userId: 'ada@example.com',
      traits: { email: 'ada@example.com', plan: 'pro' },
      messageId: 'live-2',
    });
    const web = new Analytics({ writeKey: 'wk-web', host: dev.url, flushAt: 1 });
    web.page({
      anonymousId: 'anon-7',
      name: 'Pricing',
      properties: { path: '/pricing' },
      messageId: 'live-3',
    });
    web.track({ anonymousId: 'anon-7', event: 'Plan Selected', messageId: 'live-4' });
    await Promise.all([app.closeAndFlush({ timeout: 20_000 }), web.closeAndFlush({ timeout: 20_000 })]);
    // And a refused one: no userId or anonymousId (the SDK itself would not send it).
    const refused = await fetch(`${dev.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa('wk-web:')}` },
      body: JSON.stringify({
        event: 'Checkout Started',
        messageId: 'live-5',
        properties: { cart: 'hunter2' },
      }),
    });
    assert.equal(refused.status, 400);

    await tab.waitForSelector('#rows tr[data-message-id="live-5"]', { timeout: 20_000 });
    await until(async () => (await visibleRows(tab)).length >= 5, 10_000, 'five rows');
    const rows = await visibleRows(tab);
    const byId = new Map(rows.map((r) => [r.messageId, r]));
    // Newest on top (the SDKs' own requests may overtake each other; the refused one came last).
    assert.equal(rows[0]?.messageId, 'live-5');
    assert.deepEqual(ids(rows), ['live-1', 'live-2', 'live-3', 'live-4', 'live-5']);
    assert.deepEqual(
      { ...byId.get('live-1'), time: undefined },
      {
        time: undefined,
        status: 'accepted',
        type: 'track',
        event: 'Order Completed',
        source: 'backend',
        stream: 'events',
        messageId: 'live-1',
        reason: '—',
      },
    );
    assert.deepEqual(
      [byId.get('live-2')?.type, byId.get('live-2')?.stream, byId.get('live-2')?.event],
      ['identify', 'users', '—'],
    );
    assert.deepEqual(
      [byId.get('live-3')?.type, byId.get('live-3')?.event, byId.get('live-3')?.source],
      ['page', 'Pricing', 'website'],
    );
    const rejected = byId.get('live-5');
    assert.equal(rejected?.status, 'rejected');
    assert.equal(rejected?.event, 'Checkout Started');
    assert.equal(rejected?.reason, 'missing_identity: every event needs a userId or an anonymousId');
    assert.match(rejected?.time ?? '', /^\d\d:\d\d:\d\d\.\d{3}$/);

    // No values: not in the page, not on the wire the page reads.
    const text = (await tab.textContent('body')) ?? '';
    for (const secret of ['ada@example.com', 'SECRET10', 'anon-7', 'hunter2', '42.5', '/pricing'])
      assert.ok(!text.includes(secret), `the page shows ${secret}`);

    // Filters: by type, by source, both, and by status.
    // The refused event is a track too: its route (/v1/track) implies the type.
    await filter(tab, { type: 'track' });
    assert.deepEqual(ids(await visibleRows(tab)), ['live-1', 'live-4', 'live-5']);
    await filter(tab, { type: 'identify' });
    assert.deepEqual(ids(await visibleRows(tab)), ['live-2']);
    await filter(tab, { source: 'website' });
    assert.deepEqual(ids(await visibleRows(tab)), ['live-3', 'live-4', 'live-5']);
    await filter(tab, { type: 'page', source: 'website' });
    assert.deepEqual(ids(await visibleRows(tab)), ['live-3']);
    assert.equal(await tab.textContent('#count'), '1 of 5 events');
    await filter(tab, { status: 'rejected' });
    assert.deepEqual(ids(await visibleRows(tab)), ['live-5']);
    // A filter holds for what arrives after it is set.
    await filter(tab, { source: 'backend' });
    const late = new Analytics({ writeKey: 'wk-app', host: dev.url, flushAt: 1 });
    late.track({ userId: 'u-9', event: 'Invoice Paid', messageId: 'live-6' });
    const other = new Analytics({ writeKey: 'wk-web', host: dev.url, flushAt: 1 });
    other.track({ userId: 'u-9', event: 'Newsletter Joined', messageId: 'live-7' });
    await Promise.all([late.closeAndFlush({ timeout: 20_000 }), other.closeAndFlush({ timeout: 20_000 })]);
    await tab.waitForSelector('#rows tr[data-message-id="live-7"]', { state: 'attached', timeout: 20_000 });
    await tab.waitForSelector('#rows tr[data-message-id="live-6"]', { state: 'attached', timeout: 20_000 });
    assert.deepEqual(ids(await visibleRows(tab)), ['live-1', 'live-2', 'live-6']);

    // A reload gets the ring back.
    await tab.reload();
    await tab.waitForSelector('#rows tr[data-message-id="live-7"]');
    assert.equal((await visibleRows(tab)).length, 7);

    const shot = SCREENSHOT
      ? path.join(REPO_ROOT, 'docs', 'live-events.png')
      : path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-live-')), 'live-events.png');
    await tab.screenshot({ path: shot, fullPage: true });
    assert.deepEqual([...(await fs.readFile(shot)).subarray(1, 4)], [...Buffer.from('PNG')]);

    // The page holds what the ring holds, 500 rows: 501 more events leave the last 500 on it.
    const batch = Array.from({ length: 501 }, (_, i) => ({
      type: 'track',
      event: 'Bulk',
      userId: 'u',
      messageId: `cap-${i}`,
    }));
    const bulk = await fetch(`${dev.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa('wk-app:')}` },
      body: JSON.stringify({ batch }),
    });
    assert.equal(bulk.status, 200);
    await tab.waitForSelector('#rows tr[data-message-id="cap-500"]', { timeout: 20_000 });
    const held = await tab.$$eval('#rows tr', (trs) =>
      trs.map((tr) => (tr as unknown as { dataset: { messageId: string } }).dataset.messageId),
    );
    assert.equal(held.length, 500);
    assert.equal(held[0], 'cap-500');
    assert.equal(held.at(-1), 'cap-1');
    assert.equal(await tab.textContent('#count'), '500 events');

    assert.deepEqual(watch.offLoopback(), [], 'nothing left 127.0.0.1');

    // Ctrl-C with the page still open: the drain does not wait for its stream.
    const started = Date.now();
    assert.equal(await dev.proc.stop('SIGTERM'), 0, dev.proc.output());
    assert.ok(Date.now() - started < 15_000, `stopped in ${Date.now() - started} ms`);
    await context.close();
  });
});

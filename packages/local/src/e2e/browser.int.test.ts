// analytics.js (@segment/analytics-next) in headless Chromium on a page from
// another local origin, through the whole local pipeline into DuckDB: every
// event the browser produced — including a keepalive flush on page unload and
// retries after 503s — is in the warehouse exactly once.
import assert from 'node:assert/strict';
import {
  ANALYTICS_NEXT_SCRIPT,
  analyticsNextFiles,
  type LaunchedChromium,
  launchChromium,
  type StaticFile,
  type StaticServer,
  serveStatic,
  startTapProxy,
  type TapProxy,
  watchRequests,
} from '@eventkit/testing';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { type Dev, query, startDev, until } from './support.int.ts';

const WRITE_KEY = 'wk-browser';

function page(title: string, cdnURL: string, options: object = {}): StaticFile {
  return {
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<script>window.analytics = { _cdn: location.origin };</script>
<script src="${ANALYTICS_NEXT_SCRIPT}"></script>
<script>
  window.ajs = AnalyticsNext.AnalyticsBrowser.load({ writeKey: ${JSON.stringify(WRITE_KEY)}, cdnURL: ${JSON.stringify(cdnURL)} }, ${JSON.stringify(options)});
  window.pageview = window.ajs.page();
</script></head><body><h1>${title}</h1></body></html>`,
  };
}

interface G {
  ajs: {
    track(e: string, p?: object): Promise<{ event: { messageId: string } }>;
    identify(u: string, t?: object): Promise<{ event: { messageId: string } }>;
    group(g: string, t?: object): Promise<{ event: { messageId: string } }>;
    alias(to: string, from: string): Promise<{ event: { messageId: string } }>;
    screen(c: string, n: string): Promise<{ event: { messageId: string } }>;
  };
  pageview: Promise<{ event: { messageId: string } }>;
}

let chrome: LaunchedChromium;
let dev: Dev;
let site: StaticServer;
let tap: TapProxy;

beforeAll(async () => {
  const launching = launchChromium();
  launching.catch(() => {});
  dev = await startDev({ EVENTKIT_WRITE_KEYS: `${WRITE_KEY}=website` });
  tap = await startTapProxy(dev.url);
  site = await serveStatic({
    ...analyticsNextFiles(),
    '/thanks.html': { body: '<!doctype html><title>Thanks</title>', contentType: 'text/html' },
  });
  chrome = await launching;
});

afterAll(async () => {
  await chrome?.close().catch(() => {});
  await tap?.close().catch(() => {});
  await site?.close().catch(() => {});
  await dev?.proc.stop('SIGKILL');
});

describe('analytics.js → eventkit-dev → DuckDB', () => {
  test('every browser event, including unload flushes and retries after 503s, is in the warehouse exactly once', async () => {
    const context = await chrome.browser.newContext();
    const watch = watchRequests(context);
    const tab = await context.newPage();

    // 1. Default delivery, every call type; the first two POSTs fail with 503 and are retried (X-Retry-Count).
    tap.failNext(2, { method: 'POST', path: /^\/v1\/[tipsga]$/, status: 503, retryAfter: 0 });
    site.set('/shop.html', page('Shop', tap.url));
    await tab.goto(`${site.url}/shop.html`);
    const ids: string[] = await tab.evaluate(async () => {
      const g = globalThis as unknown as G;
      const calls = await Promise.all([
        g.pageview,
        g.ajs.track('Order Completed', { revenue: 42.5 }),
        g.ajs.identify('user-1', { plan: 'pro' }),
        g.ajs.group('acme', { size: 12 }),
        g.ajs.alias('user-1', 'visitor-1'),
        g.ajs.screen('Onboarding', 'Welcome'),
      ]);
      return calls.map((c) => c.event.messageId);
    });
    // analytics.js resolves a call once it is queued for delivery; its retries come after.
    const retried = () =>
      tap.requests.filter((r) => r.method === 'POST' && r.headers['x-retry-count'] !== undefined);
    const wire = () =>
      tap.requests
        .map((r) => `${r.method} ${r.path} ${r.status} retry=${r.headers['x-retry-count'] ?? '-'}`)
        .join('\n');
    await until(() => retried().length >= 2, 20_000, 'the two 503s retried with X-Retry-Count').catch(
      (err) => {
        throw new Error(`${(err as Error).message}\n${wire()}`);
      },
    );

    // 2. Batching delivery: events buffered when the visitor leaves go out in a keepalive fetch at pagehide.
    site.set(
      '/cart.html',
      page('Cart', tap.url, {
        integrations: {
          'Segment.io': {
            deliveryStrategy: { strategy: 'batching', config: { size: 100, timeout: 60_000 } },
          },
        },
      }),
    );
    await tab.goto(`${site.url}/cart.html`);
    const buffered: string[] = await tab.evaluate(async () => {
      const g = globalThis as unknown as G;
      const calls = await Promise.all([
        g.pageview,
        g.ajs.track('Cart Viewed'),
        g.ajs.track('Checkout Started'),
      ]);
      return calls.map((c) => c.event.messageId);
    });
    await tab.goto(`${site.url}/thanks.html`);
    await until(
      () => tap.requests.some((r) => r.path === '/v1/b' && r.status === 200),
      20_000,
      'the unload batch',
    );
    assert.deepEqual(watch.offLoopback(), [], 'nothing left 127.0.0.1');
    await context.close();

    // Ctrl-C: the dev process drains into the warehouse.
    assert.equal(await dev.proc.stop('SIGTERM'), 0, dev.proc.output());
    const all = [...ids, ...buffered];
    const rows = query<{ message_id: string; n: number; source: string }>(
      dev.dataDir,
      `select message_id, any_value(source) as source, count(*)::int as n from events.raw_events group by message_id`,
    );
    const byId = new Map(rows.map((r) => [r.message_id, r]));
    for (const id of all) {
      assert.equal(byId.get(id)?.n, 1, `event ${id} is in the warehouse exactly once`);
      assert.equal(byId.get(id)?.source, 'website');
    }
    assert.equal(rows.length, all.length, 'and nothing else');
  });
});

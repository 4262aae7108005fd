import assert from 'node:assert/strict';
import { createMetricsRegistry, defineCounter } from '@eventkit/shared/metrics';
import { describe, test } from 'vitest';
import { cachedCheck, createOpsApp } from './app.ts';

describe('operations endpoints', () => {
  const registry = createMetricsRegistry({ role: 'worker' }, { processMetrics: false });
  defineCounter(registry, { name: 'eventkit_worker_messages_acked_total', help: 'acked' }).inc(3);
  let ready = false;
  const app = createOpsApp({
    registry,
    ready: async () => ({ ready, checks: { subscription: ready ? 'ok' : 'not subscribed', sink: 'ok' } }),
  });

  test('/health answers while the process runs', async () => {
    const res = await app.request('/health');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('/ready is 503 with the failing checks until ready, then 200', async () => {
    const notYet = await app.request('/ready', { headers: { 'x-request-id': 'r-1' } });
    assert.equal(notYet.status, 503);
    assert.equal(notYet.headers.get('retry-after'), '5');
    const body = (await notYet.json()) as { error: { code: string; message: string; requestId: string } };
    assert.equal(body.error.code, 'unavailable');
    assert.equal(body.error.requestId, 'r-1');
    assert.match(body.error.message, /subscription: not subscribed/);
    ready = true;
    assert.equal((await app.request('/ready')).status, 200);
  });

  test('/metrics is Prometheus text', async () => {
    const res = await app.request('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(await res.text(), /eventkit_worker_messages_acked_total\{role="worker"\} 3/);
  });

  test('unknown paths get the error envelope', async () => {
    const res = await app.request('/nope');
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  test('cachedCheck probes at most once per ttl and reports failures and timeouts briefly', async () => {
    let calls = 0;
    const check = cachedCheck(async () => {
      calls++;
      throw new Error('bucket unreachable');
    }, 10_000);
    assert.equal(await check(), 'bucket unreachable');
    assert.equal(await check(), 'bucket unreachable');
    assert.equal(calls, 1);
    const slow = cachedCheck(() => new Promise(() => {}), 0, 20);
    assert.match(await slow(), /no answer within 20 ms/);
  });
});

// Cloud Logging's trace fields from a request's trace context.
// https://cloud.google.com/logging/docs/structured-logging#special-payload-fields
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger } from '@eventkit/shared/logging';
import { describe, test } from 'vitest';
import { testApp } from './test-app.ts';
import { traceFields } from './trace.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('traceFields', () => {
  test('W3C traceparent: trace, span and the sampled flag', () => {
    assert.deepEqual(traceFields(`00-${TRACE}-00f067aa0ba902b7-01`, undefined, 'my-project'), {
      'logging.googleapis.com/trace': `projects/my-project/traces/${TRACE}`,
      'logging.googleapis.com/spanId': '00f067aa0ba902b7',
      'logging.googleapis.com/trace_sampled': true,
    });
  });

  test("X-Cloud-Trace-Context (Google's load balancer): its decimal span id as hex", () => {
    assert.deepEqual(traceFields(undefined, `${TRACE}/1;o=0`, 'p'), {
      'logging.googleapis.com/trace': `projects/p/traces/${TRACE}`,
      'logging.googleapis.com/spanId': '0000000000000001',
      'logging.googleapis.com/trace_sampled': false,
    });
  });

  test('nothing without a project, from a malformed header, or for an all-zero trace id', () => {
    assert.deepEqual(traceFields(`00-${TRACE}-00f067aa0ba902b7-01`, undefined, undefined), {});
    assert.deepEqual(traceFields('00-xyz-1-01', 'not/a;trace', 'p'), {});
    assert.deepEqual(traceFields(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, undefined, 'p'), {});
  });
});

describe('request log lines for Cloud Logging', () => {
  test('request_completed carries httpRequest (no query string) and the trace of the request', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const { app } = testApp({
      logger: createLogger({ level: 'info', json: true, destination: out }),
      traceProject: 'my-project',
    });
    const res = await app.request('/v1/track?writeKey=wk_secret', {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ event: 'x', userId: 'u', messageId: 'm1' }),
    });
    assert.equal(res.status, 200);
    const line = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'request_completed');
    assert.ok(line, text);
    assert.deepEqual(line.httpRequest, {
      requestMethod: 'POST',
      requestUrl: '/v1/track',
      status: 200,
      latency: (line.httpRequest as { latency: string }).latency,
    });
    assert.match((line.httpRequest as { latency: string }).latency, /^\d+\.\d{6}s$/);
    assert.equal(line['logging.googleapis.com/trace'], `projects/my-project/traces/${TRACE}`);
    assert.ok(!text.includes('wk_secret'));
  });
});

// Server-side enrichment: what is added, what is never overwritten, and the privacy setting.
import assert from 'node:assert/strict';
import type { SegmentEvent } from '@eventkit/shared/event';
import { describe, test } from 'vitest';
import { enrichEvent, MAX_USER_AGENT_CHARS, requestFacts, truncateIp } from './enrich.ts';

const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const event = (context?: unknown) =>
  ({
    type: 'track',
    event: 'x',
    messageId: 'm',
    ...(context === undefined ? {} : { context }),
  }) as SegmentEvent;

describe('requestFacts', () => {
  test('full, truncate and off', () => {
    assert.deepEqual(requestFacts('198.51.100.4', undefined, 'full'), { ip: '198.51.100.4' });
    assert.deepEqual(requestFacts('198.51.100.4', undefined, 'truncate'), { ip: '198.51.100.0' });
    assert.deepEqual(requestFacts('198.51.100.4', undefined, 'off'), {});
    assert.deepEqual(requestFacts(undefined, undefined, 'full'), {});
  });

  test("a browser's User-Agent is kept up to the limit; a server SDK's is not (it names the library, not a user)", () => {
    assert.deepEqual(requestFacts(undefined, BROWSER, 'off'), { userAgent: BROWSER });
    assert.deepEqual(requestFacts(undefined, 'analytics-node-next/latest', 'off'), {});
    const atLimit = `Mozilla/${'x'.repeat(MAX_USER_AGENT_CHARS - 8)}`;
    assert.equal(atLimit.length, MAX_USER_AGENT_CHARS);
    assert.deepEqual(requestFacts(undefined, atLimit, 'off'), { userAgent: atLimit });
    assert.deepEqual(requestFacts(undefined, `${atLimit}x`, 'off'), {});
  });
});

describe('truncateIp', () => {
  test('IPv4 to its /24, IPv6 to its /48 (compressed forms expanded first)', () => {
    assert.equal(truncateIp('203.0.113.9'), '203.0.113.0');
    assert.equal(truncateIp('2001:db8:85a3:8d3:1319:8a2e:370:7348'), '2001:db8:85a3::');
    assert.equal(truncateIp('2001:db8::7'), '2001:db8:0::');
    assert.equal(truncateIp('::1'), '0:0:0::');
  });
});

describe('enrichEvent', () => {
  test('adds what the context lacks, into a new context object', () => {
    const original = event({ library: { name: 'analytics.js' } });
    const out = enrichEvent(original, { ip: '198.51.100.4', userAgent: BROWSER });
    assert.deepEqual(out.context, {
      library: { name: 'analytics.js' },
      ip: '198.51.100.4',
      userAgent: BROWSER,
    });
    assert.deepEqual(original.context, { library: { name: 'analytics.js' } }, 'the input is not changed');
    assert.deepEqual(enrichEvent(event(), { ip: '198.51.100.4' }).context, { ip: '198.51.100.4' });
  });

  test('never overwrites what the client sent, even an empty or odd value', () => {
    const sent = event({ ip: '0.0.0.0', userAgent: '' });
    assert.equal(enrichEvent(sent, { ip: '198.51.100.4', userAgent: BROWSER }), sent);
    const nulled = event({ ip: null });
    assert.deepEqual(enrichEvent(nulled, { ip: '198.51.100.4' }).context, { ip: null });
  });
});

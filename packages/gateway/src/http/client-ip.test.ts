// Which address is the client's, for context.ip.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { clientIp } from './client-ip.ts';

describe('clientIp', () => {
  test('no trusted proxy: the connection peer, whatever X-Forwarded-For claims (a client can write it)', () => {
    assert.equal(clientIp('6.6.6.6', '203.0.113.9', 0), '203.0.113.9');
    assert.equal(clientIp(undefined, '::ffff:127.0.0.1', 0), '127.0.0.1');
    assert.equal(clientIp(undefined, '2001:db8::7', 0), '2001:db8::7');
  });

  test('one trusted proxy: the last X-Forwarded-For entry; what the client prepended is ignored', () => {
    assert.equal(clientIp('6.6.6.6, 198.51.100.4', '10.0.0.2', 1), '198.51.100.4');
  });

  test("behind Google's external Application Load Balancer (2 hops: the client's address, then the LB's)", () => {
    // https://cloud.google.com/load-balancing/docs/https#x-forwarded-for_header
    assert.equal(clientIp('6.6.6.6, 198.51.100.4, 34.120.0.1', '35.191.0.10', 2), '198.51.100.4');
  });

  test('a list shorter than the trusted hops gives its leftmost entry; no peer (app.request) still reads the header', () => {
    assert.equal(clientIp('198.51.100.4', '10.0.0.2', 3), '198.51.100.4');
    assert.equal(clientIp('198.51.100.4', undefined, 1), '198.51.100.4');
    assert.equal(clientIp(undefined, undefined, 0), undefined);
  });

  test('an entry that is not an IP address gives no address rather than a wrong one', () => {
    assert.equal(clientIp('unknown', '10.0.0.2', 1), undefined);
    assert.equal(clientIp('198.51.100.4:5123', '10.0.0.2', 1), undefined);
  });
});

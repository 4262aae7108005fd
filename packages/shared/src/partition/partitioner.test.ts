import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { fnv1a32, partitionFor, partitionKey } from './partitioner.ts';

describe('fnv1a32', () => {
  test('matches the published FNV-1a 32-bit test vectors', () => {
    // Vectors from the FNV reference test suite (Landon Curt Noll).
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  test('hashes the UTF-8 bytes of non-ASCII text', () => {
    // "é" is 0xC3 0xA9 in UTF-8; computed by hand from the definition.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    assert.equal(fnv1a32('é'), h);
    assert.equal(fnv1a32('user-é'), fnv1a32('user-é'.normalize()));
  });
});

describe('partitionKey', () => {
  test('prefers userId, then anonymousId, then messageId', () => {
    assert.equal(partitionKey({ userId: 'u', anonymousId: 'a', messageId: 'm' }), 'u');
    assert.equal(partitionKey({ anonymousId: 'a', messageId: 'm' }), 'a');
    assert.equal(partitionKey({ userId: '', anonymousId: 'a', messageId: 'm' }), 'a');
    assert.equal(partitionKey({ messageId: 'm' }), 'm');
    assert.equal(partitionKey({ userId: 42 }), '42');
  });
});

describe('partitionFor', () => {
  test('is in range and deterministic for any key and count', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 4096 }), (userId, count) => {
        const p = partitionFor({ userId }, count);
        assert.ok(p >= 0 && p < count);
        assert.equal(partitionFor({ userId }, count), p);
      }),
    );
  });

  test('keeps all events of one user in one partition whatever their messageId', () => {
    const a = partitionFor({ userId: 'user_123', messageId: 'm1' }, 16);
    const b = partitionFor({ userId: 'user_123', messageId: 'm2' }, 16);
    assert.equal(a, b);
  });

  test('is stable across processes (no per-process salt)', () => {
    const keys = ['user_123', 'anon-9f8e', 'émile', '42'];
    const here = keys.map((userId) => partitionFor({ userId }, 16));
    const script = `import { partitionFor } from ${JSON.stringify(new URL('./partitioner.ts', import.meta.url).href)};
      console.log(JSON.stringify(${JSON.stringify(keys)}.map((userId) => partitionFor({ userId }, 16))));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), here);
  });

  test('spreads distinct users roughly evenly', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16000; i++) counts[partitionFor({ userId: `user-${i}` }, 16)]++;
    for (const c of counts) assert.ok(c > 800 && c < 1200, `partition sizes ${counts.join(',')}`);
  });

  test('rejects a non-positive partition count', () => {
    assert.throws(() => partitionFor({ userId: 'u' }, 0), RangeError);
    assert.throws(() => partitionFor({ userId: 'u' }, 1.5), RangeError);
  });
});

// A step that waits on another system says so, and a quick one says nothing.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'vitest';
import { createLogger } from './logger.ts';
import { whileWaiting } from './waiting.ts';

function capture() {
  const out = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  out.on('data', (c: Buffer) => {
    for (const l of c.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
  });
  return { logger: createLogger({ level: 'info', json: true, destination: out }), lines };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('whileWaiting', () => {
  test('a slow step logs after firstMs, then every everyMs, and stops when it ends (its value passed on)', async () => {
    const { logger, lines } = capture();
    const value = await whileWaiting(
      logger,
      'waiting_for_pubsub',
      { topic: 't' },
      sleep(260).then(() => 7),
      {
        firstMs: 50,
        everyMs: 80,
      },
    );
    assert.equal(value, 7);
    const count = lines.length;
    assert.ok(count >= 2 && count <= 4, `${count} lines`);
    assert.equal(lines[0]?.message, 'waiting_for_pubsub');
    assert.equal(lines[0]?.topic, 't');
    assert.equal(lines[0]?.severity, 'WARNING');
    await sleep(200);
    assert.equal(lines.length, count, 'nothing after the step ended');
  });

  test('a quick step logs nothing; a failing one passes its error on and stops logging', async () => {
    const { logger, lines } = capture();
    await whileWaiting(logger, 'waiting', {}, Promise.resolve(1), { firstMs: 20 });
    await assert.rejects(
      whileWaiting(logger, 'waiting', {}, Promise.reject(new Error('gone')), { firstMs: 20 }),
      /gone/,
    );
    await sleep(60);
    assert.deepEqual(lines, []);
  });
});

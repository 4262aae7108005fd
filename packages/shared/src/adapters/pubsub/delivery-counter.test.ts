import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { DeliveryCounter } from './delivery-counter.ts';

describe('DeliveryCounter', () => {
  test('counts deliveries per message id, starting at 1', () => {
    const counter = new DeliveryCounter();
    assert.equal(counter.delivered('a'), 1);
    assert.equal(counter.delivered('a'), 2);
    assert.equal(counter.delivered('b'), 1);
    assert.equal(counter.delivered('a', 0), 3);
  });

  test("prefers the server's count when Pub/Sub sends one", () => {
    const counter = new DeliveryCounter();
    assert.equal(counter.delivered('a', 7), 7);
  });

  test('forgets settled ids and stays within its capacity, evicting the least recently seen', () => {
    const counter = new DeliveryCounter(2);
    counter.delivered('a');
    counter.delivered('b');
    counter.delivered('a');
    counter.delivered('c');
    assert.equal(counter.size, 2);
    assert.equal(counter.delivered('b'), 1, 'b was evicted');
    counter.settled('b');
    assert.equal(counter.delivered('b'), 1);
  });
});

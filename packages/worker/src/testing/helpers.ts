// Helpers for the worker's own tests (never imported by runtime code).

import { sampleEvent } from '@eventkit/shared/contracts';
import { encodeEnvelope } from '@eventkit/shared/envelope';
import type { RoutedEvent } from '@eventkit/shared/event';
import type { Disposition, MessageHandler, QueueMessage, QueueSubscriber } from '@eventkit/shared/ports';
import type { WorkerSettings } from '../core/settings.ts';

export const TEST_SETTINGS: WorkerSettings = {
  partitions: 4,
  batchSize: 1000,
  batchBytes: 8 * 1024 * 1024,
  flushIntervalMs: 50,
  bufferMaxSize: 1000,
  maxDeliveryAttempts: 5,
  maxEventBytes: 32 * 1024,
  flowControl: { maxMessages: 100, maxBytes: 64 * 1024 * 1024 },
  shutdownTimeoutMs: 5_000,
  retry: { minDelayMs: 5, maxDelayMs: 20 },
};

/** `count` sample events with ids `msg-{start}`…, fresh receivedAt, one stream. */
export function events(count: number, start = 0, overrides: Partial<RoutedEvent> = {}): RoutedEvent[] {
  const receivedAt = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => {
    const e = sampleEvent(start + i, overrides);
    return { ...e, event: { ...e.event, receivedAt } };
  });
}

export async function envelopeOf(
  list: RoutedEvent[],
): Promise<{ data: Buffer; attributes: Record<string, string> }> {
  return encodeEnvelope(list[0]?.stream ?? 'events', list);
}

/** A subscriber the test drives by hand: deliver() hands one message to the worker and returns its disposition. */
export class ManualSubscriber implements QueueSubscriber {
  #handler: MessageHandler | undefined;
  #inFlight = new Set<Promise<Disposition>>();
  stopped = false;
  #n = 0;

  async start(handler: MessageHandler): Promise<void> {
    this.#handler = handler;
  }

  deliver(data: Buffer, attributes: Record<string, string> = {}, deliveryAttempt = 1): Promise<Disposition> {
    if (!this.#handler || this.stopped) throw new Error('not started');
    const message: QueueMessage = {
      id: `m-${++this.#n}`,
      data,
      attributes,
      deliveryAttempt,
      publishedAt: new Date(),
    };
    const p = this.#handler(message).catch(() => 'nack' as const);
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
    return p;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.#inFlight]);
  }
}

/** Resolves after `ms`. */
export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

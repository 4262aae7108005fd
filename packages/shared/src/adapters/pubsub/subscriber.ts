// The worker side of Pub/Sub: a streaming-pull subscriber behind the
// QueueSubscriber port.
//
// - Flow control: the client library pauses the stream once maxMessages /
//   maxBytes are leased, but a pull response can overshoot that, and with
//   `allowExcessMessages: false` the overshoot would sit in the library's own
//   queue where stop() cannot reach it (the library never hands it out once
//   closing, and waits for it until its timeout). So the library hands every
//   message to this class, which keeps the overshoot in its own queue (raw
//   bytes only, leases still extended by the library) and never runs more
//   handlers than maxMessages / maxBytes allow (one message always fits).
// - While a handler runs, the client keeps extending the message's lease
//   (up to maxExtensionTime), so slow flushes do not cause redeliveries.
// - The handler's disposition is applied: 'ack' acks, 'nack' (or a throw)
//   nacks, which Pub/Sub redelivers after the subscription's retry policy.
// - stop() closes the stream at once (no new pulls), nacks what was pulled but
//   never handed to a handler, lets the handlers in flight finish and applies
//   their dispositions. The library's close() (WaitForProcessing) waits for
//   its inventory to empty, which happens as the handlers settle.
import {
  Duration,
  type Message,
  type PubSub,
  type Subscription,
  SubscriptionCloseBehaviors,
} from '@google-cloud/pubsub';
import type { FlowControl, MessageHandler, QueueMessage, QueueSubscriber } from '../../ports/queue.ts';
import { DeliveryCounter } from './delivery-counter.ts';

export interface PubSubSubscriberOptions {
  pubsub: PubSub;
  subscription: string;
  flowControl: FlowControl;
  /** Concurrent streaming-pull streams (EVENTKIT_PUBSUB_WORKERS). */
  streams?: number;
  /**
   * Longest a message's lease is extended while its handler runs (default 24 h).
   * Long on purpose: the worker holds messages while it retries a sink outage,
   * and a lease that lapsed would come back as a redelivery, counted towards
   * the poison-message limit.
   */
  maxExtensionSeconds?: number;
  /**
   * Upper bound of the lease the client asks for at a time (default 20 s; the
   * library's own default is 10 min). The library sizes leases by the 99th
   * percentile of its ack times, and a worker holds messages until a flush, so
   * leases grow to this bound: it is the longest a SIGKILLed worker's messages
   * wait before Pub/Sub redelivers them (measured: packages/worker/README.md).
   * Shorter costs more modAcks (a held message's lease is extended at a random
   * point within the first 90% of it) and leaves less slack for a stalled
   * event loop (the last 10%: 2 s at 20 s, against 6 s at 60 s).
   */
  maxAckDeadlineSeconds?: number;
  /** Longest stop() waits for handlers before nacking what is left (default 10 minutes). */
  closeTimeoutSeconds?: number;
  /** Called with errors of the stream that the client does not retry (e.g. NOT_FOUND, PERMISSION_DENIED). */
  onError?: (err: Error) => void;
  /** Redelivery counting when Pub/Sub sends no deliveryAttempt (see delivery-counter.ts). */
  deliveryCounter?: DeliveryCounter;
}

/**
 * The longest wait between tries to reopen a streaming pull that failed. The
 * client doubles it from 100 ms up to 60 s by default (message-stream.js), so 30 s
 * into an outage the next try can be 20 s away after Pub/Sub is back. A try
 * every 5 s per stream while Pub/Sub is unreachable costs nothing.
 *
 * Not held by a test here: against the emulator, messages published while it
 * still counts the cut streams as open are handed to them and come back only
 * as their ack deadlines pass, which swamps the reopening time. Measured with
 * a 30 s cut through a proxy: delivery resumed 5.8–8.8 s after the network came
 * back, the last message 24–27 s after.
 */
export const STREAM_RETRY_MAX_BACKOFF = Duration.from({ seconds: 5 });

export class PubSubSubscriber implements QueueSubscriber {
  readonly #options: PubSubSubscriberOptions;
  readonly #counter: DeliveryCounter;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #waiting: Message[] = [];
  #inFlightBytes = 0;
  #handler: MessageHandler | undefined;
  #subscription: Subscription | undefined;
  #stopping = false;
  #lastError: Error | undefined;

  constructor(options: PubSubSubscriberOptions) {
    this.#options = options;
    this.#counter = options.deliveryCounter ?? new DeliveryCounter();
  }

  /** True between start() and stop() while the stream has not failed for good. */
  get subscribed(): boolean {
    return this.#subscription !== undefined && !this.#stopping && this.#subscription.isOpen;
  }

  /** The last stream error, for readiness and logs. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  async start(handler: MessageHandler): Promise<void> {
    if (this.#subscription) throw new Error('PubSubSubscriber.start() called twice');
    const { flowControl } = this.#options;
    const subscription = this.#options.pubsub.subscription(this.#options.subscription, {
      flowControl: {
        maxMessages: flowControl.maxMessages,
        maxBytes: flowControl.maxBytes,
        allowExcessMessages: true,
      },
      streamingOptions: { maxStreams: this.#options.streams ?? 4, retryMaxBackoff: STREAM_RETRY_MAX_BACKOFF },
      maxExtensionTime: Duration.from({ seconds: this.#options.maxExtensionSeconds ?? 86_400 }),
      minAckDeadline: Duration.from({ seconds: 10 }),
      maxAckDeadline: Duration.from({ seconds: this.#options.maxAckDeadlineSeconds ?? 20 }),
      closeOptions: {
        behavior: SubscriptionCloseBehaviors.WaitForProcessing,
        timeout: Duration.from({ seconds: this.#options.closeTimeoutSeconds ?? 600 }),
      },
    });
    this.#subscription = subscription;
    this.#handler = handler;
    subscription.on('message', (message: Message) => this.#receive(message));
    subscription.on('error', (err: Error) => {
      this.#lastError = err;
      this.#options.onError?.(err);
    });
  }

  /** Counts for metrics: handlers running, their bytes, and messages pulled but waiting for a slot. */
  stats(): { inFlight: number; inFlightBytes: number; waiting: number } {
    return {
      inFlight: this.#inFlight.size,
      inFlightBytes: this.#inFlightBytes,
      waiting: this.#waiting.length,
    };
  }

  #receive(message: Message): void {
    if (this.#stopping) {
      // Pulled before stop() but never handled: give it back at once.
      message.nack();
      return;
    }
    this.#waiting.push(message);
    this.#pump();
  }

  #fits(message: Message): boolean {
    const { maxMessages, maxBytes } = this.#options.flowControl;
    if (this.#inFlight.size >= maxMessages) return false;
    return this.#inFlight.size === 0 || this.#inFlightBytes + message.length <= maxBytes;
  }

  #pump(): void {
    while (!this.#stopping && this.#handler && this.#waiting.length > 0 && this.#fits(this.#waiting[0]!)) {
      this.#dispatch(this.#waiting.shift()!, this.#handler);
    }
  }

  #dispatch(message: Message, handler: MessageHandler): void {
    const deliveryAttempt = this.#counter.delivered(message.id, message.deliveryAttempt);
    const queueMessage: QueueMessage = {
      id: message.id,
      data: message.data,
      attributes: message.attributes ?? {},
      deliveryAttempt,
      publishedAt: new Date(message.publishTime.getTime()),
    };
    const settled = (async () => {
      let disposition: 'ack' | 'nack';
      try {
        disposition = await handler(queueMessage);
      } catch {
        disposition = 'nack';
      }
      if (disposition === 'ack') {
        this.#counter.settled(message.id);
        message.ack();
      } else {
        message.nack();
      }
    })();
    const bytes = message.length;
    this.#inFlight.add(settled);
    this.#inFlightBytes += bytes;
    void settled.finally(() => {
      this.#inFlight.delete(settled);
      this.#inFlightBytes -= bytes;
      this.#pump();
    });
  }

  async stop(): Promise<void> {
    const subscription = this.#subscription;
    if (!subscription || this.#stopping) return;
    this.#stopping = true;
    // close() stops pulling at once, then waits (WaitForProcessing) until the
    // handlers in flight have acked or nacked, and flushes those requests.
    const closing = subscription.close();
    for (const message of this.#waiting.splice(0)) message.nack();
    await Promise.allSettled([...this.#inFlight]);
    await closing;
    subscription.removeAllListeners();
  }
}

// The gateway side of Pub/Sub: publish() resolves with the server's message id
// only after Pub/Sub confirmed the message (the client retries transient
// failures itself and rejects when it gives up), so a WAL row is marked
// published only when Pub/Sub has it.
import type { PubSub, Topic } from '@google-cloud/pubsub';
import type { QueuePublisher } from '../../ports/queue.ts';

export interface PubSubBatching {
  /** Messages per publish request. */
  maxMessages?: number;
  /** Bytes per publish request (Pub/Sub's request limit is 10 MB). */
  maxBytes?: number;
  /** Longest a message waits for others to share its request. */
  maxMilliseconds?: number;
}

export interface PubSubPublisherOptions {
  pubsub: PubSub;
  topic: string;
  batching?: PubSubBatching;
  /**
   * How long one publish may take inside the client, its own retries included
   * (default 15 s; the client's own default is 60 s). The gateway's WAL relay
   * retries a failed publish itself, so a short bound lets it resend soon after
   * an outage ends instead of waiting on a request started during it.
   */
  timeoutMs?: number;
  /**
   * false: each publish() is one attempt, bounded by timeoutMs, and the caller
   * retries (the gateway's WAL relay, with its own bounded backoff). Default
   * true: the client retries transient failures inside publish().
   *
   * Why a caller with its own retries wants this: the client's retries wait
   * longer and longer (×1.3 per attempt) and check their deadline only after a
   * wait, so a publish begun during an outage can outlive the outage by 10–30 s
   * and then fail with DEADLINE_EXCEEDED without trying again; the relay's few
   * publish slots stay held by such requests while Pub/Sub is already back
   * (measured through a proxy: the backlog of a 20 s outage published 26 and
   * 47 s after Pub/Sub returned; queue-outage.int.test.ts).
   */
  clientRetries?: boolean;
}

export const DEFAULT_PUBLISH_TIMEOUT_MS = 15_000;

/**
 * Defaults sized for envelopes of ~100 events (10–50 KB compressed): up to 100
 * of them per request, at most 4 MiB, waiting at most 5 ms, so a busy gateway
 * sends few large requests and a quiet one adds no noticeable latency. A single
 * envelope larger than maxBytes is still sent, alone in its request.
 */
export const DEFAULT_PUBLISH_BATCHING: Required<PubSubBatching> = {
  maxMessages: 100,
  maxBytes: 4 * 1024 * 1024,
  maxMilliseconds: 5,
};

export class PubSubPublisher implements QueuePublisher {
  readonly #topic: Topic;
  #closed = false;

  constructor(options: PubSubPublisherOptions) {
    this.#topic = options.pubsub.topic(options.topic, {
      batching: { ...DEFAULT_PUBLISH_BATCHING, ...options.batching },
      gaxOpts: {
        timeout: options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
        // No retry codes: google-gax makes a single call bounded by `timeout`.
        ...(options.clientRetries === false ? { retry: { retryCodes: [] } } : {}),
      },
    });
  }

  async publish(data: Buffer, attributes: Record<string, string>): Promise<string> {
    if (this.#closed) throw new Error('PubSubPublisher is closed');
    return this.#topic.publishMessage({ data, attributes });
  }

  /** Sends what is batched and waits for it; the PubSub client itself belongs to the caller. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#topic.flush();
  }
}

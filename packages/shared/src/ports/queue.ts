// The queue between gateway and worker: Google Pub/Sub in production, an
// in-process queue in the local all-in-one mode. Both keep the same promise:
// publish() resolves only once the queue has durably accepted the message, and
// a message is redelivered until a handler acks it.

export interface QueueMessage {
  /** Queue-assigned id, unique per published message (not per delivery). */
  readonly id: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  /** 1 on the first delivery, incremented on every redelivery. */
  readonly deliveryAttempt: number;
  readonly publishedAt: Date;
}

/**
 * What a handler decides for a message. `ack` only after everything in it is
 * durably written (or dead-lettered); `nack` asks for a redelivery later.
 */
export type Disposition = 'ack' | 'nack';

/** A thrown error counts as `nack`. */
export type MessageHandler = (message: QueueMessage) => Promise<Disposition>;

export interface QueuePublisher {
  /** Resolves with the message id once the queue durably accepted the message; rejects otherwise. */
  publish(data: Buffer, attributes: Record<string, string>): Promise<string>;
  /** Waits for in-flight publishes, then releases resources. */
  close(): Promise<void>;
}

/** Bounds what a subscriber holds at once, so memory stays bounded whatever the backlog. */
export interface FlowControl {
  maxMessages: number;
  maxBytes: number;
}

export interface QueueSubscriber {
  /** Starts delivering messages to `handler`, never more than the flow control allows in flight. */
  start(handler: MessageHandler): Promise<void>;
  /**
   * Stops pulling new messages and waits for the handlers in flight to settle
   * (their dispositions are applied). Messages not yet handled stay in the queue.
   */
  stop(): Promise<void>;
}

// Creating the topic and the subscription when allowed (EVENTKIT_PUBSUB_CREATE,
// on by default with the emulator). In production they are usually made by
// infrastructure code and the workers hold only the subscriber role, which
// cannot even read a subscription's metadata: with `create` off nothing is
// checked here, and a missing subscription surfaces as the stream's NOT_FOUND.
import type { PubSub, Subscription, Topic } from '@google-cloud/pubsub';

const ALREADY_EXISTS = 6;

function isAlreadyExists(err: unknown): boolean {
  return (err as { code?: number }).code === ALREADY_EXISTS;
}

export interface EnsureOptions {
  /** Create what is missing; otherwise assume it exists. */
  create: boolean;
}

/** The topic, created first when missing and `create` is set. Safe against a concurrent creator. */
export async function ensureTopic(pubsub: PubSub, name: string, options: EnsureOptions): Promise<Topic> {
  const topic = pubsub.topic(name);
  if (!options.create) return topic;
  const [exists] = await topic.exists();
  if (!exists) {
    await pubsub.createTopic(name).catch((err: unknown) => {
      if (!isAlreadyExists(err)) throw err;
    });
  }
  return topic;
}

/**
 * The subscription's ack deadline: equal to the subscriber's lease bound (20 s,
 * subscriber.ts), so the messages a SIGKILLed worker held come back after at
 * most about that long instead of 60 s. Held messages are extended by the
 * client, so a short deadline costs only more modAck calls. In `make chaos`
 * (worker SIGKILLed twice with uploads in flight), the last events landed
 * 33–35 s after the fault (2 runs), against 43 s and, once, 135 events past
 * the 60 s bound with 60 s.
 */
export const DEFAULT_ACK_DEADLINE_SECONDS = 20;

export interface EnsureSubscriptionOptions extends EnsureOptions {
  topic: string;
  subscription: string;
  /** Lease before a message not acked or extended is redelivered; the client extends it while a handler runs. */
  ackDeadlineSeconds?: number;
  /** How long an unacked message is kept. Default (and Pub/Sub's maximum): 7 days. */
  messageRetentionSeconds?: number;
}

/**
 * Unacked messages are kept this long: Pub/Sub's maximum for a subscription
 * (7 days; its default, when unset, is also 7 days, but said explicitly so a
 * changed default or a console edit cannot shorten how long an outage of the
 * workers may last without loss). Acked messages are not retained.
 */
export const SUBSCRIPTION_RETENTION_SECONDS = 7 * 24 * 3600;

/**
 * The subscription, created (with its topic) when missing and `create` is
 * set. An existing subscription attached to another topic is an error: the
 * worker would silently read the wrong stream of messages.
 */
export async function ensureSubscription(
  pubsub: PubSub,
  options: EnsureSubscriptionOptions,
): Promise<Subscription> {
  const subscription = pubsub.subscription(options.subscription);
  if (!options.create) return subscription;
  const topic = await ensureTopic(pubsub, options.topic, options);
  const [exists] = await subscription.exists();
  if (!exists) {
    await topic
      .createSubscription(options.subscription, {
        ackDeadlineSeconds: options.ackDeadlineSeconds ?? DEFAULT_ACK_DEADLINE_SECONDS,
        messageRetentionDuration: {
          seconds: options.messageRetentionSeconds ?? SUBSCRIPTION_RETENTION_SECONDS,
        },
        retainAckedMessages: false,
      })
      .catch((err: unknown) => {
        if (!isAlreadyExists(err)) throw err;
      });
    return subscription;
  }
  const [metadata] = await subscription.getMetadata();
  if (metadata.topic && metadata.topic !== topic.name) {
    throw new Error(
      `subscription "${options.subscription}" is attached to ${metadata.topic}, not to ${topic.name}`,
    );
  }
  return subscription;
}

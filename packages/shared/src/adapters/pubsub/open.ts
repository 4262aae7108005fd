// Pub/Sub as the configuration describes it: the one place every role's
// composition opens it from (gateway serve and wal drain, worker run and dlq
// replay, the local mode in pubsub mode), so a new queue touches shared and
// one branch, not every role.
import type { PubSub } from '@google-cloud/pubsub';
import type { Logger } from '../../logging/logger.ts';
import { whileWaiting } from '../../logging/waiting.ts';
import { ensureSubscription, ensureTopic } from './admin.ts';
import { createPubSubClient } from './client.ts';
import { PubSubPublisher } from './publisher.ts';

/** The settings Pub/Sub is opened from (a role's resolved configuration has them). */
export interface PubSubConfig {
  readonly gcpProjectId?: string | undefined;
  readonly pubsubEmulatorHost?: string | undefined;
  readonly pubsubTopic: string;
  readonly pubsubCreate: boolean;
}

export interface OpenedPubSub {
  readonly pubsub: PubSub;
  /**
   * A publisher to the topic, created first when EVENTKIT_PUBSUB_CREATE says so.
   * `clientRetries: false` for a caller that retries itself (the WAL relay).
   */
  publisher(options?: { clientRetries?: boolean }): Promise<PubSubPublisher>;
  /** Makes sure the subscription exists (created with its topic when EVENTKIT_PUBSUB_CREATE says so). */
  ensureSubscription(subscription: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * With a logger, a topic or subscription check that takes more than 3 s logs
 * `waiting_for_pubsub` (then every 10 s) until Pub/Sub answers.
 */
export function openPubSub(config: PubSubConfig, logger?: Logger): OpenedPubSub {
  // The config loader guarantees a project id wherever Pub/Sub is used (rules.ts).
  const pubsub = createPubSubClient({
    projectId: config.gcpProjectId ?? '',
    emulatorHost: config.pubsubEmulatorHost,
  });
  const where = { topic: config.pubsubTopic, emulator: config.pubsubEmulatorHost ?? null };
  const waiting = <T>(what: string, step: Promise<T>) =>
    logger ? whileWaiting(logger, 'waiting_for_pubsub', { ...where, for: what }, step) : step;
  return {
    pubsub,
    async publisher(options = {}) {
      await waiting('topic', ensureTopic(pubsub, config.pubsubTopic, { create: config.pubsubCreate }));
      return new PubSubPublisher({ pubsub, topic: config.pubsubTopic, ...options });
    },
    async ensureSubscription(subscription) {
      await waiting(
        `subscription ${subscription}`,
        ensureSubscription(pubsub, { topic: config.pubsubTopic, subscription, create: config.pubsubCreate }),
      );
    },
    close: () => pubsub.close(),
  };
}

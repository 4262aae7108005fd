export {
  DEFAULT_ACK_DEADLINE_SECONDS,
  type EnsureOptions,
  type EnsureSubscriptionOptions,
  ensureSubscription,
  ensureTopic,
  SUBSCRIPTION_RETENTION_SECONDS,
} from './admin.ts';
export { createPubSubClient, isEmulator, type PubSubClientOptions } from './client.ts';
export { DeliveryCounter } from './delivery-counter.ts';
export { type PubSubCheckOptions, subscriptionCheck, topicCheck } from './doctor.ts';
export { type OpenedPubSub, openPubSub, type PubSubConfig } from './open.ts';
export {
  DEFAULT_PUBLISH_BATCHING,
  type PubSubBatching,
  PubSubPublisher,
  type PubSubPublisherOptions,
} from './publisher.ts';
export { PubSubSubscriber, type PubSubSubscriberOptions } from './subscriber.ts';

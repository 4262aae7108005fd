// The queue between the local mode's gateway and worker: the in-process queue
// (EVENTKIT_QUEUE_MODE=async, the default), or Pub/Sub (pubsub), which is how
// the seed's options A/B/C run.
import type { DevConfig } from '@eventkit/shared/config';
import type { Logger } from '@eventkit/shared/logging';
import { MemoryQueue } from '@eventkit/shared/memory';
import type { FlowControl, QueuePublisher, QueueSubscriber } from '@eventkit/shared/ports';
import { openPubSub, PubSubSubscriber } from '@eventkit/shared/pubsub';

/** Envelopes in flight between the gateway's WAL relay and the in-process worker. */
export const LOCAL_IN_FLIGHT = 32;

export interface DevQueue {
  publisher: QueuePublisher;
  subscriber: QueueSubscriber;
  flow: FlowControl;
  /** The in-process queue: its publish resolves once the worker wrote the events. */
  local: boolean;
  describe: string;
  close(): Promise<void>;
}

export async function openDevQueue(config: DevConfig, logger?: Logger): Promise<DevQueue> {
  if (config.queueMode === 'async') {
    // Flow control equal to the publishes in flight: when the worker holds them
    // all, it flushes at once instead of waiting for its interval.
    const flow = { maxMessages: LOCAL_IN_FLIGHT, maxBytes: 256 * 1024 * 1024 };
    const memory = new MemoryQueue({
      resolvePublishOn: 'ack',
      capacity: LOCAL_IN_FLIGHT * 4,
      flowControl: flow,
    });
    return {
      publisher: memory,
      subscriber: memory.subscriber(flow),
      flow,
      local: true,
      describe: 'in-process',
      close: () => memory.close(),
    };
  }
  const opened = openPubSub(config, logger);
  const publisher = await opened.publisher({ clientRetries: false });
  await opened.ensureSubscription(config.pubsubSubscription);
  const { pubsub } = opened;
  const flow = { maxMessages: config.pubsubMaxMessages, maxBytes: config.pubsubMaxBytes };
  const subscriber = new PubSubSubscriber({
    pubsub,
    subscription: config.pubsubSubscription,
    flowControl: flow,
    streams: config.pubsubWorkers,
  });
  return {
    publisher,
    subscriber,
    flow,
    local: false,
    describe: `Pub/Sub ${config.pubsubTopic} → ${config.pubsubSubscription}`,
    close: async () => {
      await publisher.close();
      await pubsub.close();
    },
  };
}

// What the gateway needs to do its job, checked: the WAL's directory writable
// with room for the WAL's high-water mark of unpublished bytes, and the topic
// there with this identity allowed to publish. `eventkit-gateway doctor` prints
// them; in production (EVENTKIT_PUBSUB_CREATE=false) `serve` runs them at start
// and stays unready until they pass, so a rollout with a wrong topic name or a
// missing role stops at its first pod instead of replacing working ones.
import path from 'node:path';
import type { GatewayConfig } from '@eventkit/shared/config';
import { type Check, directoryCheck } from '@eventkit/shared/doctor';
import { topicCheck } from '@eventkit/shared/pubsub';
import type { PubSub } from '@google-cloud/pubsub';

/** Free space the WAL's directory should have: the high-water mark of unpublished bytes, which the WAL may hold. */
export function gatewayChecks(config: GatewayConfig, pubsub: PubSub): Check[] {
  return [
    directoryCheck(path.dirname(config.ringBufferDbPath), {
      setting: 'EVENTKIT_DATA_DIR (or EVENTKIT_RING_BUFFER_DB_PATH)',
      minFreeBytes: config.walMaxPendingBytes,
    }),
    topicCheck(pubsub, config.pubsubTopic, { create: config.pubsubCreate }),
  ];
}

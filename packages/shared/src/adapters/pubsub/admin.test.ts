// What ensureSubscription asks Pub/Sub for, without an emulator (the emulator
// answers 7 days for a subscription created without a retention, so it cannot
// tell an explicit setting from none).
import assert from 'node:assert/strict';
import type { PubSub } from '@google-cloud/pubsub';
import { test } from 'vitest';
import { ensureSubscription, SUBSCRIPTION_RETENTION_SECONDS } from './admin.ts';

function recordingPubSub() {
  const created: Record<string, unknown>[] = [];
  const topic = {
    name: 'projects/p/topics/t',
    exists: async () => [true],
    createSubscription: async (_name: string, options: Record<string, unknown>) => {
      created.push(options);
      return [{}];
    },
  };
  const pubsub = {
    topic: () => topic,
    subscription: () => ({ exists: async () => [false] }),
  } as unknown as PubSub;
  return { pubsub, created };
}

test('a created subscription keeps unacked messages 7 days (Pub/Sub maximum), said explicitly', async () => {
  const { pubsub, created } = recordingPubSub();
  await ensureSubscription(pubsub, { topic: 't', subscription: 's', create: true });
  assert.equal(SUBSCRIPTION_RETENTION_SECONDS, 604_800);
  assert.deepEqual(created[0]?.messageRetentionDuration, { seconds: 604_800 });
  assert.equal(created[0]?.retainAckedMessages, false);
});

// A subscriber process for emulator-redelivery.ts: `hold` keeps every message
// it gets (never acks), `ack` acks each one 0.5 s after receiving it. Prints
// one JSON line per message: { id, t }.
//   node subscriber-child.ts <emulator host> <subscription> hold|ack <streams>
import { createPubSubClient, PubSubSubscriber } from '@eventkit/shared/pubsub';

const [host, subscription, mode, streams] = process.argv.slice(2);
const pubsub = createPubSubClient({ projectId: 'chaos-probe', emulatorHost: host });
const subscriber = new PubSubSubscriber({
  pubsub,
  subscription: subscription ?? '',
  flowControl: { maxMessages: 5000, maxBytes: 100_000_000 },
  streams: Number(streams),
});
await subscriber.start(async (message) => {
  process.stdout.write(`${JSON.stringify({ id: message.id, t: Date.now() })}\n`);
  if (mode === 'hold') return new Promise<never>(() => {});
  await new Promise((r) => setTimeout(r, 500));
  return 'ack';
});

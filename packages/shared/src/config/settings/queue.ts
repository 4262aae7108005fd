import { PUBSUB_ID, setting } from './define.ts';
import { boolean, bytes, integer, oneOf, text } from './parsers.ts';

export const QUEUE_SETTINGS = {
  // ── Queue ──────────────────────────────────────────────────────────────────
  queueMode: setting({
    env: 'EVENTKIT_QUEUE_MODE',
    description:
      'Local mode only: async is the in-process queue (as in the seed); pubsub goes through Pub/Sub. The separate gateway and worker always use Pub/Sub.',
    group: 'Queue',
    roles: ['dev'],
    parser: oneOf(['async', 'pubsub']),
    default: 'async',
  }),
  asyncWorkers: setting({
    env: 'EVENTKIT_ASYNC_WORKERS',
    description:
      'Kept from the seed for compatibility, with no effect: the in-process worker handles as many envelopes at once as its flow control allows (32), matched to the gateway’s WAL relay so full batches flush at once. Setting it logs a warning.',
    group: 'Queue',
    roles: ['dev'],
    parser: integer(1, 1024),
    default: 4,
  }),
  pubsubWorkers: setting({
    env: 'EVENTKIT_PUBSUB_WORKERS',
    description: 'Concurrent Pub/Sub subscriber streams of a worker.',
    group: 'Queue',
    roles: ['worker'],
    parser: integer(1, 1024),
    default: 4,
  }),
  pubsubTopic: setting({
    env: 'EVENTKIT_PUBSUB_TOPIC',
    description: 'Pub/Sub topic between gateway and worker.',
    group: 'Queue',
    roles: ['gateway', 'worker'],
    parser: text({ metavar: '<topic>', expected: 'a Pub/Sub topic id', pattern: PUBSUB_ID }),
    default: 'eventkit-events',
  }),
  pubsubSubscription: setting({
    env: 'EVENTKIT_PUBSUB_SUBSCRIPTION',
    description: 'Pub/Sub subscription the workers pull from.',
    group: 'Queue',
    roles: ['worker'],
    parser: text({ metavar: '<subscription>', expected: 'a Pub/Sub subscription id', pattern: PUBSUB_ID }),
    default: 'eventkit-workers',
  }),
  pubsubMaxMessages: setting({
    env: 'EVENTKIT_PUBSUB_MAX_MESSAGES',
    description:
      'Flow control: most Pub/Sub messages a worker holds unacknowledged (being decoded, buffered or written); it stops pulling at this many. With ~100-event envelopes this bounds the events in memory.',
    group: 'Queue',
    roles: ['worker'],
    parser: integer(1, 100_000),
    default: 500,
  }),
  pubsubMaxBytes: setting({
    env: 'EVENTKIT_PUBSUB_MAX_BYTES',
    description:
      'Flow control: most bytes of Pub/Sub messages (compressed envelopes) a worker holds unacknowledged; it stops pulling at this size. One message larger than this is still taken alone.',
    group: 'Queue',
    roles: ['worker'],
    parser: bytes(64 * 1024, 1024 * 1024 * 1024),
    default: 64 * 1024 * 1024,
  }),
  pubsubCreate: setting({
    env: 'EVENTKIT_PUBSUB_CREATE',
    description: 'Create the topic and subscription when missing.',
    group: 'Queue',
    roles: ['gateway', 'worker'],
    parser: boolean(),
    default: (ctx) => ctx.get('pubsubEmulatorHost') !== undefined,
    defaultText: 'true with PUBSUB_EMULATOR_HOST, else false',
  }),
} as const;

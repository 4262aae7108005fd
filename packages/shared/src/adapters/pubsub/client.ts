// Building a Pub/Sub client the same way in every role: the project, and the
// emulator when one is configured. The client reads PUBSUB_EMULATOR_HOST by
// itself, but the composition root passes the configured value explicitly so
// that a flag (`--pubsub-emulator-host`) works as well as the variable.
import { PubSub } from '@google-cloud/pubsub';

export interface PubSubClientOptions {
  projectId: string;
  /** `host:port` of the Pub/Sub emulator; unset talks to Google. */
  emulatorHost?: string | undefined;
}

/**
 * gRPC channel options (google-gax passes every `grpc.*` option of the client to
 * the channel). After a connection is lost, gRPC waits before each reconnection
 * attempt, 1 s growing ×1.6 up to 120 s; after a 20 s outage the next attempt
 * can be 15 s away, and every publish fails fast meanwhile although Pub/Sub is
 * back. Capped at 5 s, the channel is up within about 6 s (±20 % jitter) of the
 * network; an attempt every 5 s while Pub/Sub is unreachable costs nothing.
 */
export const PUBSUB_CHANNEL_OPTIONS: Readonly<Record<string, number>> = {
  'grpc.max_reconnect_backoff_ms': 5_000,
};

export function createPubSubClient(options: PubSubClientOptions): PubSub {
  const emulator = options.emulatorHost?.replace(/^https?:\/\//i, '');
  return new PubSub({
    ...PUBSUB_CHANNEL_OPTIONS,
    projectId: options.projectId,
    ...(emulator ? { apiEndpoint: emulator, emulatorMode: true } : {}),
  });
}

/** True when the client talks to an emulator (topics and subscriptions may then be created freely). */
export function isEmulator(options: Pick<PubSubClientOptions, 'emulatorHost'>): boolean {
  return Boolean(options.emulatorHost);
}

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

export function createPubSubClient(options: PubSubClientOptions): PubSub {
  const emulator = options.emulatorHost?.replace(/^https?:\/\//i, '');
  return new PubSub({
    projectId: options.projectId,
    ...(emulator ? { apiEndpoint: emulator, emulatorMode: true } : {}),
  });
}

/** True when the client talks to an emulator (topics and subscriptions may then be created freely). */
export function isEmulator(options: Pick<PubSubClientOptions, 'emulatorHost'>): boolean {
  return Boolean(options.emulatorHost);
}

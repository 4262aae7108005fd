// Pub/Sub for `doctor` and the production start-up checks: the topic exists and
// this identity may publish to it (gateway), the subscription exists and it may
// consume it (worker). Asked with testIamPermissions, which any caller may use
// and which needs no read permission on the resource: the gateway's publisher
// role cannot read a topic's metadata, and the worker's subscriber role cannot
// read a subscription's (https://cloud.google.com/pubsub/docs/access-control).
// IAM's TestIamPermissions answers an empty set, not NOT_FOUND, for a resource
// that does not exist (the IAMPolicy method's documentation), so a missing
// permission and a misspelt name read alike: the report names both.
// The emulator has no IAM (it answers testIamPermissions with UNIMPLEMENTED):
// there, existence is checked instead and the report says permissions were not.
import type { PubSub } from '@google-cloud/pubsub';
import { type Check, CheckFailure, type CheckOutcome } from '../../doctor/check.ts';

const NOT_FOUND = 5;
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;
const UNIMPLEMENTED = 12;

/** What each kind of resource needs: the permission the role uses it with, the role that grants it, its setting. */
const NEEDS = {
  topic: {
    permission: 'pubsub.topics.publish',
    role: 'roles/pubsub.publisher',
    setting: 'EVENTKIT_PUBSUB_TOPIC',
  },
  subscription: {
    permission: 'pubsub.subscriptions.consume',
    role: 'roles/pubsub.subscriber',
    setting: 'EVENTKIT_PUBSUB_SUBSCRIPTION',
  },
} as const;

/** A topic or a subscription of the client: both answer testPermissions and exists alike. */
interface IamResource {
  iam: { testPermissions(permissions: string[]): Promise<unknown> };
  exists(): Promise<[boolean, ...unknown[]]>;
}

interface IamTarget {
  kind: keyof typeof NEEDS;
  name: string;
  resource: IamResource;
}

export interface PubSubCheckOptions {
  /** EVENTKIT_PUBSUB_CREATE: a missing topic or subscription is created at start, not an error. */
  create: boolean;
}

/** The topic exists and this identity may publish (pubsub.topics.publish). */
export function topicCheck(pubsub: PubSub, topic: string, options: PubSubCheckOptions): Check {
  return iamCheck({ kind: 'topic', name: topic, resource: pubsub.topic(topic) }, options);
}

/** The subscription exists and this identity may pull from it (pubsub.subscriptions.consume). */
export function subscriptionCheck(pubsub: PubSub, subscription: string, options: PubSubCheckOptions): Check {
  return iamCheck(
    { kind: 'subscription', name: subscription, resource: pubsub.subscription(subscription) },
    options,
  );
}

function iamCheck(target: IamTarget, options: PubSubCheckOptions): Check {
  const { permission, role, setting } = NEEDS[target.kind];
  const missing = (): CheckOutcome => {
    if (options.create) {
      return { status: 'ok', detail: 'does not exist yet; created at start (EVENTKIT_PUBSUB_CREATE=true)' };
    }
    throw new CheckFailure(
      `${target.kind} ${target.name} does not exist`,
      `create it (deploy/terraform does), or fix ${setting}; EVENTKIT_PUBSUB_CREATE=true creates it (emulators, development)`,
    );
  };
  return {
    name: `Pub/Sub ${target.kind} ${target.name}`,
    async run() {
      let granted: Record<string, boolean>;
      try {
        [granted] = (await target.resource.iam.testPermissions([permission])) as [Record<string, boolean>];
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === NOT_FOUND) return missing();
        if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED) {
          throw new CheckFailure(
            `Pub/Sub is unreachable: ${(err as Error).message}`,
            'check PUBSUB_EMULATOR_HOST (set: the emulator must be running there; unset: Google), the network and egress firewall rules',
            { unreachable: true },
          );
        }
        if (code !== UNIMPLEMENTED) throw err;
        const [exists] = await target.resource.exists();
        if (!exists) return missing();
        return { status: 'ok', detail: `exists; ${permission} not checked (the emulator has no IAM)` };
      }
      if (!granted[permission]) {
        throw new CheckFailure(
          `no ${permission} on ${target.kind} ${target.name}: it does not exist, or this identity lacks the permission`,
          `check the name (${setting}), and grant ${role} on the ${target.kind} to the role's service account (deploy/terraform/iam.tf)`,
        );
      }
      return { status: 'ok', detail: `exists; this identity has ${permission}` };
    },
  };
}

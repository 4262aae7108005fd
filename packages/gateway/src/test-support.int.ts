// Helpers for the gateway's integration tests: a topic with a subscription on
// the Pub/Sub emulator, and a collector of the events that arrive on it.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEAD_LETTER_STREAM, decodeEnvelope } from '@eventkit/shared/envelope';
import type { DeadLetter, RoutedEvent } from '@eventkit/shared/event';
import { freeLoopbackPort, REPO_ROOT, startCli, useEmulators } from '@eventkit/testing';
import { PubSub, type Subscription } from '@google-cloud/pubsub';

export const PROJECT = 'test-project';

export interface Collected {
  events: RoutedEvent[];
  deadLetters: DeadLetter[];
  envelopes: number;
  stop(): Promise<void>;
}

export async function topicWithSubscription() {
  const { pubsubHost } = await useEmulators();
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: pubsubHost, emulatorMode: true });
  const topic = `gw-${randomUUID()}`;
  await pubsub.createTopic(topic);
  const [subscription] = await pubsub.topic(topic).createSubscription(`${topic}-sub`);
  return { pubsub, pubsubHost, topic, subscription };
}

export function collect(subscription: Subscription): Collected {
  const out: Collected = {
    events: [],
    deadLetters: [],
    envelopes: 0,
    stop: async () => subscription.close(),
  };
  // A message the subscription delivers again (an ack that came late on a busy
  // machine) is the test's subscription at work, not the gateway publishing twice:
  // counted once, by its Pub/Sub message id. A republished envelope has a new id.
  const seen = new Set<string>();
  subscription.on('message', async (m) => {
    if (seen.has(m.id)) {
      m.ack();
      return;
    }
    seen.add(m.id);
    const env = await decodeEnvelope(m.data);
    out.envelopes++;
    if (env.stream === DEAD_LETTER_STREAM) out.deadLetters.push(...env.deadLetters);
    else out.events.push(...env.events);
    m.ack();
  });
  return out;
}

export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startGateway(opts: {
  pubsubHost: string;
  topic: string;
  dataDir?: string;
  env?: Record<string, string>;
  /** false: wait for /health only (a gateway expected to stay unready). */
  waitReady?: boolean;
}) {
  const port = await freeLoopbackPort();
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-gw-')));
  const proc = await startCli({
    pkg: 'gateway',
    args: ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir],
    env: {
      PUBSUB_EMULATOR_HOST: opts.pubsubHost,
      GCP_PROJECT_ID: PROJECT,
      EVENTKIT_PUBSUB_TOPIC: opts.topic,
      EVENTKIT_JSON_LOGS: 'true',
      EVENTKIT_LOG_LEVEL: 'info',
      ...opts.env,
    },
    readyUrl: `http://127.0.0.1:${port}/${opts.waitReady === false ? 'health' : 'ready'}`,
  });
  return { proc, url: `http://127.0.0.1:${port}`, dataDir };
}

export interface WalStatusJson {
  pending_events: number;
  pending_bytes: number;
  published_events: number;
}

/** `eventkit-gateway wal status --json` on a data directory (the gateway may be running, stopped or killed). */
export function walStatus(dataDir: string): WalStatusJson {
  const res = spawnSync(
    process.execPath,
    [`${REPO_ROOT}packages/gateway/src/cli.ts`, 'wal', 'status', '--json', '--data-dir', dataDir],
    {
      encoding: 'utf8',
      env: { ...process.env, GCP_PROJECT_ID: PROJECT, NODE_TEST_CONTEXT: undefined },
    },
  );
  if (res.status !== 0) throw new Error(`wal status failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as WalStatusJson;
}

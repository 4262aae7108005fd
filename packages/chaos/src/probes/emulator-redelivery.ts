// How long the Pub/Sub emulator takes to redeliver what a SIGKILLed
// subscriber held — the bound the worker-kill scenarios depend on.
//
//   node packages/chaos/src/probes/emulator-redelivery.ts [--trials 3]
//        [--messages 300] [--killed-streams 4] [--live-streams 4]
//
// Per trial: a fresh topic and subscription (ack deadline 20 s, as the worker
// creates it), N messages published, a subscriber process with
// --killed-streams streams receives and holds them all for 3 s and is
// SIGKILLed; a new subscriber with --live-streams streams then acks whatever
// comes back. Prints, per trial, when the messages came back (seconds after
// the kill, in 5 s buckets).
//
// What it shows (2026-11-30, this machine): the emulator does not drop a
// killed subscriber's streams. It goes on handing them batches of up to 100
// redelivered messages, which are lost again until the stream's deadline
// (10 s) passes, so a batch reaches a live stream with probability
// live/(live + dead) per 10 s cycle: 300 messages with 4 dead and 1 live
// stream came back at 17, 27 and 37 s, 100 at a time; with 1 dead and 4
// live, mostly at 7 s. Real Pub/Sub redelivers once the ack deadline passes.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPubSubClient, ensureSubscription } from '@eventkit/shared/pubsub';
import { startPubsubEmulator } from '@eventkit/testing';

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '3' },
    messages: { type: 'string', default: '300' },
    'killed-streams': { type: 'string', default: '4' },
    'live-streams': { type: 'string', default: '4' },
  },
});
const TRIALS = Number(args.trials);
const MESSAGES = Number(args.messages);
const CHILD = fileURLToPath(new URL('./subscriber-child.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

process.env.METADATA_SERVER_DETECTION = 'none';
const emulator = await startPubsubEmulator();
const pubsub = createPubSubClient({ projectId: 'chaos-probe', emulatorHost: emulator.host });

function subscriber(
  subscription: string,
  mode: 'hold' | 'ack',
  streams: string,
  onMessage: (id: string, t: number) => void,
): ChildProcess {
  const child = spawn(process.execPath, [CHILD, emulator.host, subscription, mode, streams], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
  });
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const { id, t } = JSON.parse(buffer.slice(0, i)) as { id: string; t: number };
      buffer = buffer.slice(i + 1);
      onMessage(id, t);
    }
  });
  return child;
}

try {
  for (let trial = 1; trial <= TRIALS; trial++) {
    const topic = `probe-${trial}-${Date.now()}`;
    const subscription = `${topic}-sub`;
    await ensureSubscription(pubsub, { topic, subscription, create: true });
    const publisher = pubsub.topic(topic);
    await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) => publisher.publishMessage({ data: Buffer.from(String(i)) })),
    );

    const held = new Set<string>();
    const holder = subscriber(subscription, 'hold', args['killed-streams'], (id) => held.add(id));
    const until = Date.now() + 30_000;
    while (held.size < MESSAGES && Date.now() < until) await sleep(100);
    await sleep(3000);
    holder.kill('SIGKILL');
    const killedAt = Date.now();

    const back = new Map<string, number>();
    const acker = subscriber(subscription, 'ack', args['live-streams'], (id, t) => {
      if (held.has(id) && !back.has(id)) back.set(id, (t - killedAt) / 1000);
    });
    while (back.size < held.size && Date.now() - killedAt < 150_000) await sleep(200);
    acker.kill('SIGKILL');

    const buckets = new Map<number, number>();
    for (const s of back.values())
      buckets.set(Math.floor(s / 5) * 5, (buckets.get(Math.floor(s / 5) * 5) ?? 0) + 1);
    const shown = [...buckets].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}–${s + 5} s: ${n}`);
    console.log(
      `trial ${trial}: held ${held.size}, back ${back.size} (${args['killed-streams']} killed streams, ${args['live-streams']} live) — ${shown.join(', ')}`,
    );
  }
} finally {
  await emulator.stop();
}

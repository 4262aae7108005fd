// `eventkit-worker doctor` and the worker's production start-up checks, through
// real processes against the Pub/Sub emulator: a healthy set-up (subscription,
// writable data directory) exits 0; a missing subscription is a FAIL with its
// fix and exit 1; `run` in production mode (EVENTKIT_PUBSUB_CREATE=false)
// whose subscription is missing stays unready, saying why, and becomes ready
// once it exists — without a restart.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@eventkit/shared/contracts';
import { createPubSubClient, ensureSubscription, ensureTopic } from '@eventkit/shared/pubsub';
import { REPO_ROOT, useEmulators } from '@eventkit/testing';
import { afterAll, describe, test } from 'vitest';
import { freePort, startWorkerProcess, type WorkerProcess } from '../testing/child.ts';

const PROJECT = 'worker-doctor';
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function setUp() {
  const { pubsubHost } = await useEmulators();
  const pubsub = createPubSubClient({ projectId: PROJECT, emulatorHost: pubsubHost });
  cleanups.push(() => pubsub.close());
  const topic = `t-${randomUUID()}`;
  const subscription = `s-${randomUUID()}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'eventkit-worker-doctor-'));
  const env = {
    GCP_PROJECT_ID: PROJECT,
    PUBSUB_EMULATOR_HOST: pubsubHost,
    EVENTKIT_PUBSUB_TOPIC: topic,
    EVENTKIT_PUBSUB_SUBSCRIPTION: subscription,
    EVENTKIT_EVENT_STORE: 'file',
    EVENTKIT_DATA_DIR: dataDir,
    EVENTKIT_PUBSUB_CREATE: 'false',
  };
  return { pubsub, topic, subscription, env };
}

const doctor = (env: Record<string, string>) => {
  const res = spawnSync(process.execPath, [`${REPO_ROOT}packages/worker/src/cli.ts`, 'doctor'], {
    encoding: 'utf8',
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', ...env },
    timeout: 60_000,
  });
  return { code: res.status, out: res.stdout + res.stderr };
};

describe('eventkit-worker doctor', () => {
  test('healthy: the subscription exists and the data directory takes a probe object → exit 0', async () => {
    const { pubsub, topic, subscription, env } = await setUp();
    await ensureSubscription(pubsub, { topic, subscription, create: true });
    const r = doctor(env);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`^ok {4}Pub/Sub subscription ${subscription} +exists`, 'm'));
    assert.match(r.out, /^ok {4}write to .+ wrote, read back and deleted a probe object$/m);
    assert.match(r.out, /all 3 checks passed/);
  });

  test('broken: the subscription is missing → FAIL with the fix, exit 1', async () => {
    const { env, subscription } = await setUp();
    const r = doctor(env);
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out,
      new RegExp(
        `^FAIL {2}Pub/Sub subscription ${subscription} +subscription ${subscription} does not exist$`,
        'm',
      ),
    );
    assert.match(r.out, /fix: create it \(deploy\/terraform does\), or fix EVENTKIT_PUBSUB_SUBSCRIPTION/);
  });
});

describe('eventkit-worker doctor with the Firestore event store', () => {
  test('the emulator answering: the read passes; nothing listening: FAIL naming FIRESTORE_EMULATOR_HOST within the check bound', async () => {
    const { pubsub, topic, subscription, env } = await setUp();
    await ensureSubscription(pubsub, { topic, subscription, create: true });
    const { firestoreHost } = await useEmulators();
    const firestore = { ...env, EVENTKIT_EVENT_STORE: 'firestore' };
    const ok = doctor({ ...firestore, FIRESTORE_EMULATOR_HOST: firestoreHost });
    assert.equal(ok.code, 0, ok.out);
    assert.match(
      ok.out,
      new RegExp(`^ok {4}Firestore \\(project ${PROJECT}\\) +read the streams collection`, 'm'),
    );
    const started = Date.now();
    const gone = doctor({ ...firestore, FIRESTORE_EMULATOR_HOST: '127.0.0.1:1' });
    assert.equal(gone.code, 1, gone.out);
    assert.match(gone.out, /^FAIL {2}Firestore \(project \S+\) +no answer within 10 s$/m);
    assert.doesNotMatch(
      gone.out,
      /already been terminated|Node\.js v/,
      'the client left retrying does not crash the process',
    );
    assert.match(gone.out, /FIRESTORE_EMULATOR_HOST|check the host and port/);
    assert.ok(Date.now() - started < 30_000, "bounded by the check timeout, not the client's retries");
  });
});

describe("the worker's production start-up checks", () => {
  test('run with its subscription missing is not ready and says why; once it exists the worker becomes ready', async () => {
    const { pubsub, topic, subscription, env } = await setUp();
    await ensureTopic(pubsub, topic, { create: true });
    const port = await freePort();
    const worker: WorkerProcess = startWorkerProcess({ ...env, EVENTKIT_METRICS_PORT: String(port) });
    cleanups.push(async () => {
      worker.kill('SIGKILL');
      await worker.exited;
    });
    const ready = async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/ready`);
        return { status: r.status, body: await r.text() };
      } catch {
        return { status: 0, body: '' };
      }
    };
    await eventually(
      () => worker.logs.some((l) => l.message === 'startup_checks_failed'),
      30_000,
      'a failing round logged',
    );
    let before = await ready();
    for (let i = 0; before.status === 0 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100)); // the ops server listens right after the first round
      before = await ready();
    }
    assert.equal(before.status, 503);
    assert.match(before.body, new RegExp(`start-up checks failed: Pub/Sub subscription ${subscription}`));

    await ensureSubscription(pubsub, { topic, subscription, create: true });
    const deadline = Date.now() + 25_000;
    let after = await ready();
    while (after.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await ready();
    }
    assert.equal(after.status, 200, after.body);
    assert.ok(worker.logs.some((l) => l.message === 'startup_checks_passed'));
    worker.kill('SIGTERM');
    assert.equal((await worker.exited).code, 0);
  });
});

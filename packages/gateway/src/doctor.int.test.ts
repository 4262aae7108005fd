// `eventkit-gateway doctor` and the production start-up checks, through real
// processes against the Pub/Sub emulator: a healthy set-up passes (exit 0), a
// missing topic fails with its fix (exit 1); `serve` in production mode
// (EVENTKIT_PUBSUB_CREATE=false) with the topic missing stays unready, saying
// why, and becomes ready once the topic exists — without a restart.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, useEmulators } from '@eventkit/testing';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, describe, test } from 'vitest';
import { PROJECT, startGateway, until } from './test-support.int.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function doctor(args: string[], env: Record<string, string>) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-gw-doctor-'));
  const res = spawnSync(
    process.execPath,
    [`${REPO_ROOT}packages/gateway/src/cli.ts`, 'doctor', '--data-dir', dataDir, ...args],
    { encoding: 'utf8', env: { ...process.env, GCP_PROJECT_ID: PROJECT, ...env }, timeout: 60_000 },
  );
  return { code: res.status, out: res.stdout, err: res.stderr };
}

describe('eventkit-gateway doctor', () => {
  test('healthy: the topic exists and the WAL directory is writable → a table of ok rows, exit 0', async () => {
    const { pubsubHost } = await useEmulators();
    const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: pubsubHost, emulatorMode: true });
    cleanups.push(() => pubsub.close());
    const topic = `doc-${randomUUID()}`;
    await pubsub.createTopic(topic);
    const r = await doctor(['--pubsub-create', 'false'], {
      PUBSUB_EMULATOR_HOST: pubsubHost,
      EVENTKIT_PUBSUB_TOPIC: topic,
    });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(
      r.out,
      new RegExp(
        `^ok {4}Pub/Sub topic ${topic} +exists; pubsub.topics.publish not checked \\(the emulator has no IAM\\)$`,
        'm',
      ),
    );
    assert.match(r.out, /^ok {4}directory .+ writable, \d+ MiB free/m);
    assert.match(r.out, /eventkit-gateway doctor: all 2 checks passed/);
  });

  test('broken: the topic is missing and Pub/Sub is not to create it → FAIL with the fix, exit 1; --json says the same', async () => {
    const { pubsubHost } = await useEmulators();
    const env = { PUBSUB_EMULATOR_HOST: pubsubHost, EVENTKIT_PUBSUB_TOPIC: `missing-${randomUUID()}` };
    const r = await doctor(['--pubsub-create', 'false'], env);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /^FAIL {2}Pub\/Sub topic missing-\S+ +topic missing-\S+ does not exist$/m);
    assert.match(r.out, /^ +fix: create it \(deploy\/terraform does\), or fix EVENTKIT_PUBSUB_TOPIC/m);
    assert.match(r.out, /1 of 2 checks failed/);
    const j = await doctor(['--pubsub-create', 'false', '--json'], env);
    assert.equal(j.code, 1);
    const doc = JSON.parse(j.out) as {
      ok: boolean;
      checks: { check: string; status: string; fix?: string }[];
    };
    assert.equal(doc.ok, false);
    assert.deepEqual(
      doc.checks.map((c) => c.status),
      ['ok', 'fail'],
    );
    assert.equal(j.err, '', 'nothing on stderr: the JSON says it all');
  });

  test('Pub/Sub unreachable: FAIL naming PUBSUB_EMULATOR_HOST, within the check bound', async () => {
    const started = Date.now();
    const r = await doctor([], { PUBSUB_EMULATOR_HOST: '127.0.0.1:1' });
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /Pub\/Sub is unreachable/);
    assert.match(r.out, /fix: check PUBSUB_EMULATOR_HOST/);
    assert.ok(Date.now() - started < 30_000);
  });
});

describe('production start-up checks (EVENTKIT_PUBSUB_CREATE=false)', () => {
  test('serve with its topic missing is not ready and says why; once the topic exists it becomes ready, no restart', async () => {
    const { pubsubHost } = await useEmulators();
    const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: pubsubHost, emulatorMode: true });
    cleanups.push(() => pubsub.close());
    const topic = `late-${randomUUID()}`;
    const gw = await startGateway({
      pubsubHost,
      topic,
      env: { EVENTKIT_PUBSUB_CREATE: 'false' },
      waitReady: false,
    });
    cleanups.push(() => gw.proc.stop('SIGKILL'));
    const ready = () =>
      fetch(`${gw.url}/ready`).then(async (r) => ({ status: r.status, body: await r.text() }));
    await until(() => gw.proc.output().includes('startup_checks_failed'), 30_000, 'a failing round logged');
    const before = await ready();
    assert.equal(before.status, 503);
    assert.match(
      before.body,
      new RegExp(`start-up checks failed: Pub/Sub topic ${topic}: topic ${topic} does not exist`),
    );
    assert.match(
      gw.proc.output(),
      /"fix":"create it \(deploy\/terraform does\)/,
      'the log line carries the fix',
    );

    await pubsub.createTopic(topic);
    // Re-checked every 10 s (STARTUP_RECHECK_MS): ready within a round and a check.
    const deadline = Date.now() + 25_000;
    let after = await ready();
    while (after.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await ready();
    }
    assert.equal(after.status, 200, after.body);
    assert.match(gw.proc.output(), /startup_checks_passed/);
    assert.equal(await gw.proc.stop('SIGTERM'), 0, gw.proc.output());
  });
});

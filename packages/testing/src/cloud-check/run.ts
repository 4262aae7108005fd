// `make cloud-check`: the whole pipeline against a real Google Cloud project,
// with the real executables (gateway, two workers, loader) as child processes.
//
// It creates uniquely named resources (a topic, two subscriptions, a bucket
// prefix, a Firestore stream collection, a BigQuery dataset), sends a few
// thousand events (and a client retry of one batch), then checks:
//   - Firestore (worker with EVENTKIT_EVENT_STORE=firestore): one document per
//     event, each message id once;
//   - BigQuery (worker with EVENTKIT_EVENT_STORE=gcs, then `eventkit-loader run
//     --once` until everything is in): each (source, message_id) exactly once,
//     and a further loader run changes nothing;
//   - every process drains and exits 0 on SIGTERM.
// Everything it created is deleted at the end, pass or fail.
//
// Needs GCP_PROJECT_ID, GCP_GCS_BUCKET (an existing bucket) and
// application-default credentials; GCP_BIGQUERY_LOCATION defaults to the
// bucket's location. Exits 0 when every check passed, 1 when one failed, 2 when
// it could not start (what to set is printed).
//   make cloud-check            (CLOUD_CHECK_EVENTS=3000 by default)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BigQuery } from '@google-cloud/bigquery';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { freeLoopbackPort } from '../emulators/process-group.ts';
import { type CliProcess, startCli } from '../process/cli-process.ts';
import { type CloudCheckTarget, checkCredentials, PreflightError, targetFromEnv } from './preflight.ts';

const EVENTS = Number(process.env.CLOUD_CHECK_EVENTS ?? 3000);
const BATCH = 100;
const DEADLINE_MS = Number(process.env.CLOUD_CHECK_TIMEOUT_SECONDS ?? 900) * 1000;

const say = (line: string) => console.log(`cloud-check: ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Names {
  run: string;
  topic: string;
  gcsSubscription: string;
  firestoreSubscription: string;
  prefix: string;
  stream: string;
  dataset: string;
}

function namesFor(now: Date): Names {
  const stamp = now
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 14);
  const rand = randomBytes(3).toString('hex');
  const run = `ekcc-${stamp}-${rand}`;
  return {
    run,
    topic: run,
    gcsSubscription: `${run}-gcs`,
    firestoreSubscription: `${run}-firestore`,
    prefix: `${run}/`,
    stream: `cc_${stamp}_${rand}`,
    dataset: `ekcc_${stamp}_${rand}`,
  };
}

async function until(what: string, check: () => Promise<boolean>, deadline: number): Promise<void> {
  for (let wait = 1000; ; wait = Math.min(wait * 2, 15_000)) {
    if (await check()) return;
    if (Date.now() + wait > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(wait);
  }
}

class Checks {
  failures: string[] = [];
  expect(ok: boolean, what: string) {
    say(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) this.failures.push(what);
  }
}

async function main(target: CloudCheckTarget): Promise<number> {
  const names = namesFor(new Date());
  const { projectId, bucket } = target;
  const pubsub = new PubSub({ projectId });
  const storage = new Storage({ projectId });
  const firestore = new Firestore({ projectId });
  const bigquery = new BigQuery({ projectId });
  const [bucketMeta] = await storage.bucket(bucket).getMetadata();
  const location = target.location ?? String(bucketMeta.location);
  const dataDir = mkdtempSync(join(tmpdir(), 'eventkit-cloud-check-'));
  const procs: CliProcess[] = [];
  const checks = new Checks();
  say(`run ${names.run}: project ${projectId}, bucket gs://${bucket}/${names.prefix}, location ${location}`);

  try {
    const [topic] = await pubsub.createTopic(names.topic);
    await topic.createSubscription(names.gcsSubscription, { ackDeadlineSeconds: 20 });
    await topic.createSubscription(names.firestoreSubscription, { ackDeadlineSeconds: 20 });
    say(`created topic ${names.topic} and two subscriptions`);

    const common = {
      GCP_PROJECT_ID: projectId,
      EVENTKIT_PUBSUB_TOPIC: names.topic,
      EVENTKIT_PUBSUB_CREATE: 'false',
      EVENTKIT_LOG_LEVEL: process.env.EVENTKIT_LOG_LEVEL ?? 'warn',
      METADATA_SERVER_DETECTION: undefined,
    };
    const gatewayPort = await freeLoopbackPort();
    const gateway = await startCli({
      pkg: 'gateway',
      args: ['serve'],
      env: {
        ...common,
        EVENTKIT_HOST: '127.0.0.1',
        EVENTKIT_PORT: String(gatewayPort),
        EVENTKIT_DATA_DIR: join(dataDir, 'gateway'),
      },
      readyUrl: `http://127.0.0.1:${gatewayPort}/ready`,
      readyTimeoutMs: 60_000,
    });
    procs.push(gateway);
    const worker = async (store: 'gcs' | 'firestore', subscription: string) => {
      const port = await freeLoopbackPort();
      const proc = await startCli({
        pkg: 'worker',
        args: ['run'],
        env: {
          ...common,
          EVENTKIT_PUBSUB_SUBSCRIPTION: subscription,
          EVENTKIT_EVENT_STORE: store,
          GCP_GCS_BUCKET: bucket,
          EVENTKIT_STORAGE_PREFIX: names.prefix,
          EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '5',
          EVENTKIT_METRICS_HOST: '127.0.0.1',
          EVENTKIT_METRICS_PORT: String(port),
          EVENTKIT_DATA_DIR: join(dataDir, `worker-${store}`),
        },
        readyUrl: `http://127.0.0.1:${port}/ready`,
        readyTimeoutMs: 60_000,
      });
      procs.push(proc);
      return proc;
    };
    const gcsWorker = await worker('gcs', names.gcsSubscription);
    const firestoreWorker = await worker('firestore', names.firestoreSubscription);
    say('gateway and both workers are ready');

    // Send: EVENTS events in batches to /collect/{stream}, then one batch again (a client retry).
    const batchOf = (b: number) =>
      Array.from({ length: Math.min(BATCH, EVENTS - b * BATCH) }, (_, i) => ({
        type: 'track',
        event: 'Cloud Check',
        userId: `cc-user-${(b * BATCH + i) % 97}`,
        messageId: `${names.run}-${b * BATCH + i}`,
        properties: { seq: b * BATCH + i },
      }));
    const post = async (body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${gatewayPort}/collect/${names.stream}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      return res.status;
    };
    const statuses: number[] = [];
    for (let b = 0; b * BATCH < EVENTS; b++) statuses.push(await post(batchOf(b)));
    statuses.push(await post(batchOf(0)));
    checks.expect(
      statuses.every((s) => s >= 200 && s < 300),
      `gateway acknowledged all ${statuses.length} requests (${EVENTS} events and one retried batch)`,
    );

    const deadline = Date.now() + DEADLINE_MS;
    const collection = firestore.collection('streams').doc(names.stream).collection('events');
    await until(
      `${EVENTS} documents in ${collection.path}`,
      async () => (await collection.count().get()).data().count >= EVENTS,
      deadline,
    );
    const documents = await collection.select('message_id').get();
    const ids = new Set(documents.docs.map((d) => String(d.get('message_id'))));
    checks.expect(
      documents.size === EVENTS && ids.size === EVENTS,
      `Firestore: ${documents.size} documents, ${ids.size} distinct message ids (expected ${EVENTS} each)`,
    );

    // BigQuery: run the loader once at a time until every event is in.
    const loaderEnv = {
      ...common,
      EVENTKIT_WAREHOUSE: 'bigquery',
      GCP_GCS_BUCKET: bucket,
      EVENTKIT_STORAGE_PREFIX: names.prefix,
      GCP_BIGQUERY_DATASET: names.dataset,
      GCP_BIGQUERY_LOCATION: location,
      EVENTKIT_DATA_DIR: join(dataDir, 'loader'),
    };
    const loadOnce = async () => {
      const loader = await startCli({ pkg: 'loader', args: ['run', '--once'], env: loaderEnv });
      const code = await loader.exited;
      if (code !== 0) throw new Error(`eventkit-loader run --once exited ${code}:\n${loader.output()}`);
    };
    const counts = async () => {
      const [rows] = await bigquery.query({
        query: `SELECT COUNT(*) AS n, COUNT(DISTINCT FORMAT('%s|%s', source, message_id)) AS keys
                FROM \`${projectId}.${names.dataset}.raw_events\` WHERE stream = @stream`,
        params: { stream: names.stream },
        location,
      });
      const row = rows[0] as { n: number; keys: number } | undefined;
      return { n: Number(row?.n ?? 0), keys: Number(row?.keys ?? 0) };
    };
    await until(
      `${EVENTS} rows in ${names.dataset}.raw_events`,
      async () => {
        await loadOnce();
        return (await counts()).n >= EVENTS;
      },
      deadline,
    );
    await loadOnce(); // a further run must change nothing
    const loaded = await counts();
    checks.expect(
      loaded.n === EVENTS && loaded.keys === EVENTS,
      `BigQuery: ${loaded.n} rows, ${loaded.keys} distinct (source, message_id) (expected ${EVENTS} each)`,
    );

    for (const [name, proc] of [
      ['gateway', gateway],
      ['gcs worker', gcsWorker],
      ['firestore worker', firestoreWorker],
    ] as const) {
      const code = await proc.stop('SIGTERM', 60_000);
      checks.expect(code === 0, `${name} drained and exited 0 on SIGTERM (exit ${code})`);
    }
  } catch (err) {
    checks.expect(false, `pipeline: ${(err as Error).message}`);
    for (const proc of procs) say(`output of pid ${proc.pid}:\n${proc.output().slice(-4000)}`);
  } finally {
    for (const proc of procs) await proc.stop('SIGKILL').catch(() => undefined);
    await cleanUp(names, { pubsub, storage, firestore, bigquery, bucket });
    rmSync(dataDir, { recursive: true, force: true });
  }
  say(checks.failures.length === 0 ? 'passed' : `${checks.failures.length} check(s) failed`);
  return checks.failures.length === 0 ? 0 : 1;
}

/** Deletes what the run created; each step on its own, so one failure does not leave the rest. */
async function cleanUp(
  names: Names,
  c: { pubsub: PubSub; storage: Storage; firestore: Firestore; bigquery: BigQuery; bucket: string },
): Promise<void> {
  const steps: [string, () => Promise<unknown>][] = [
    ['subscription (gcs)', () => c.pubsub.subscription(names.gcsSubscription).delete()],
    ['subscription (firestore)', () => c.pubsub.subscription(names.firestoreSubscription).delete()],
    ['topic', () => c.pubsub.topic(names.topic).delete()],
    [
      `gs://${c.bucket}/${names.prefix}`,
      () => c.storage.bucket(c.bucket).deleteFiles({ prefix: names.prefix }),
    ],
    [
      `Firestore streams/${names.stream}`,
      () => c.firestore.recursiveDelete(c.firestore.collection('streams').doc(names.stream)),
    ],
    [`dataset ${names.dataset}`, () => c.bigquery.dataset(names.dataset).delete({ force: true })],
  ];
  for (const [what, step] of steps) {
    try {
      await step();
      say(`deleted ${what}`);
    } catch (err) {
      if ((err as { code?: number }).code === 404 || (err as { code?: number }).code === 5) continue;
      say(`could not delete ${what}: ${(err as Error).message.split('\n')[0]} (delete it by hand)`);
    }
  }
  await c.firestore.terminate();
}

async function start(): Promise<number> {
  try {
    const target = targetFromEnv(process.env);
    await checkCredentials();
    return await main(target);
  } catch (err) {
    if (err instanceof PreflightError) {
      console.error(`cloud-check: cannot start: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await start();

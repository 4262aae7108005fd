// `make images-check`: the three role images, run as containers, against the
// Pub/Sub and Firestore emulators and the GCS test server started here on the
// host (127.0.0.1). Never part of `make test`: it needs a container engine.
//
// Networking: the containers run on the host network (`--network host`, which
// is also what podman does on these machines), so 127.0.0.1 inside a container
// is the host's loopback: the emulators, the GCS test server and the
// containers' own ports (gateway, worker metrics) are all on loopback, each on
// a free port. With Docker Desktop (no host network) run it on Linux instead.
//
// What it checks:
//   (gateway and workers run with a read-only root file system and a tmpfs /tmp, as in deploy/k8s)
//   1. each image: runs as uid 1000 (node), /data writable by it, tini is PID 1,
//      no test code (*.test.ts, testing/, e2e/, bench/, fakes) and no
//      @eventkit/testing or dev-only package inside; every source file's types
//      stripped at build, and its modules loading without Node's type stripper;
//   2. a gateway container (WAL on a named volume) and three worker containers
//      become ready, each on its own subscription: EVENTKIT_EVENT_STORE=firestore,
//      gcs (into the GCS test server) and file (on a named volume);
//   3. @segment/analytics-node (the stock SDK) sends IMAGES_CHECK_EVENTS track events
//      and one identify per 100 through the gateway container;
//   4. Firestore holds one document per event (each message id once);
//   4b. a WAL left behind (deploy/RUNBOOK.md): a second gateway container with its
//      Pub/Sub cut acknowledges events, exits 0 on SIGTERM leaving them in its volume,
//      and `eventkit-gateway wal drain` in a container on that volume publishes them
//      (each then lands exactly once in Firestore and in DuckDB);
//   5. SIGTERM to each container: a clean drain (its shutdown log line) and exit 0;
//   6. the loader container (`run --once`) loads the file worker's files from that
//      volume into DuckDB on the same volume; each (source, message_id) is there
//      exactly once, and a second run changes nothing; a looping loader container
//      drains on SIGTERM and exits 0. (The DuckDB warehouse cannot read gs:// files
//      from a GCS emulator: DuckDB reads them through its httpfs extension, from
//      Google's endpoint; with the gcs store the loader's warehouse is BigQuery.)
// Containers, volumes and test servers are removed at the end, pass or fail.
// Exit 0: every check passed; 1: one failed; 2: could not start (no docker, no images).
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Analytics } from '@segment/analytics-node';
import { startFirestoreEmulator, startPubsubEmulator } from '../emulators/emulators.ts';
import { freeLoopbackPort } from '../emulators/process-group.ts';
import { startFakeGcs } from '../fake-gcs/fake-gcs-server.ts';
import { startTcpProxy } from '../net/tcp-proxy.ts';

const run = promisify(execFile);
process.env.METADATA_SERVER_DETECTION = 'none'; // the host-side clients: no GCE metadata lookups
const EVENTS = Number(process.env.IMAGES_CHECK_EVENTS ?? 2000);
/** Events acknowledged by a gateway that cannot reach Pub/Sub, then left in its WAL. */
const ORPHANED = 200;
const TAG = process.env.IMAGE_TAG ?? 'dev';
const PREFIX = process.env.IMAGE_PREFIX ?? '';
const PROJECT = 'images-check';
const BUCKET = 'eventkit-images-check';
const ROLES = ['gateway', 'worker', 'loader'] as const;
type Role = (typeof ROLES)[number];
const image = (role: Role) => `${PREFIX}eventkit-${role}:${TAG}`;
/** `--network host`, unless the docker command adds it itself (the podman shim of these machines). */
let NET: string[] = ['--network', 'host'];
/** As deploy/k8s runs them: a read-only root file system, /tmp writable (an emptyDir there). */
const LOCKED = ['--read-only', '--tmpfs', '/tmp:mode=1777'];

const say = (line: string) => console.log(`images-check: ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Checks {
  failures: string[] = [];
  expect(ok: boolean, what: string) {
    say(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) this.failures.push(what);
  }
}

async function docker(args: string[], timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('docker', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, out: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.stdout || e.stderr ? '' : e.message}`,
    };
  }
}

async function must(args: string[], timeoutMs?: number): Promise<string> {
  const r = await docker(args, timeoutMs);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
}

const envArgs = (env: Record<string, string>) => Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

/** Lines of a container's JSON log whose message is `message`. */
async function logLines(name: string, message: string): Promise<Record<string, unknown>[]> {
  const out = (await docker(['logs', name])).out;
  const lines: Record<string, unknown>[] = [];
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const obj = JSON.parse(line) as Record<string, unknown>;
      if (obj.message === message || obj.msg === message) lines.push(obj);
    } catch {
      // not JSON
    }
  }
  return lines;
}

async function exitCode(name: string): Promise<number> {
  return Number((await must(['inspect', name, '--format', '{{.State.ExitCode}}'])).trim());
}

/** SIGTERM (docker stop), wait for the exit, and return its code and how long it took. */
async function stopContainer(name: string, graceSeconds: number): Promise<{ code: number; seconds: number }> {
  const started = performance.now();
  await must(['stop', '-t', String(graceSeconds), name], (graceSeconds + 30) * 1000);
  return { code: await exitCode(name), seconds: (performance.now() - started) / 1000 };
}

async function checkImage(role: Role, checks: Checks): Promise<void> {
  const script = [
    'id -u',
    'cat /proc/1/comm',
    'touch /data/.w && rm /data/.w && echo data-writable',
    // test code and fakes: none of these may exist
    "find /app -path '*/node_modules' -prune -o \\( -name '*.test.ts' -o -name '*.bench.ts' -o -name 'test-*.ts' -o -path '*/src/testing' -o -path '*/src/e2e' -o -name bench -o -name fake-gcs -o -name fake-bigquery \\) -print",
    'ls -d /app/packages/testing /app/packages/chaos /app/packages/local /app/node_modules/.pnpm/@segment* /app/node_modules/.pnpm/@rudderstack* /app/node_modules/.pnpm/typescript* /app/node_modules/.pnpm/@biomejs* /app/node_modules/.pnpm/playwright* 2>/dev/null || true',
    // sources stripped at build (scripts/strip-types.ts): none unmarked, and loading the role's
    // modules through the ENTRYPOINT's hook never loads Node's type stripper (amaro)
    "grep -rL --include='*.ts' 'eventkit: types stripped at build' /app/packages/*/src || true",
    `node --import=/app/packages/shared/src/process/typescript-stripped.mjs --input-type=module -e "await import('/app/packages/${role}/src/index.ts'); console.log(process.moduleLoadList.some((m) => m.includes('amaro')) ? 'amaro loaded' : 'no amaro')"`,
  ].join('; echo ---; ');
  const out = await must([
    'run',
    '--rm',
    '--entrypoint',
    '/usr/bin/tini',
    image(role),
    '--',
    'sh',
    '-c',
    script,
  ]);
  const [uid = '', pid1 = '', writable = '', testFiles = '', devPackages = '', unstripped = '', amaro = ''] =
    out.split('---').map((s) => s.trim());
  checks.expect(uid === '1000', `${role} image: runs as uid 1000 (got ${uid})`);
  checks.expect(pid1 === 'tini', `${role} image: tini is PID 1 (got ${pid1})`);
  checks.expect(writable === 'data-writable', `${role} image: /data is writable by the image's user`);
  checks.expect(
    testFiles === '',
    `${role} image: no test code or fakes${testFiles ? `:\n${testFiles}` : ''}`,
  );
  checks.expect(
    devPackages === '',
    `${role} image: no test-only workspace package or dev dependency${devPackages ? `:\n${devPackages}` : ''}`,
  );
  checks.expect(
    unstripped === '',
    `${role} image: every source file has its types stripped${unstripped ? `:\n${unstripped}` : ''}`,
  );
  checks.expect(
    amaro === 'no amaro',
    `${role} image: its modules load without Node's type stripper (got ${amaro})`,
  );
}

async function main(): Promise<number> {
  if (spawnSync('docker', ['--version']).status !== 0) {
    console.error('images-check: cannot start: no working `docker` command on PATH');
    return 2;
  }
  for (const role of ROLES) {
    if ((await docker(['image', 'inspect', image(role)])).code !== 0) {
      console.error(`images-check: cannot start: image ${image(role)} is missing (make images)`);
      return 2;
    }
  }
  const probeNet = await docker([
    'run',
    '--rm',
    ...NET,
    '--entrypoint',
    '/usr/bin/tini',
    image('gateway'),
    '--',
    'true',
  ]);
  if (probeNet.code !== 0 && /multiple networks/.test(probeNet.out)) NET = [];
  const checks = new Checks();
  const id = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const c = (what: string) => `ekic-${id}-${what}`;
  const containers: string[] = [];
  const volumes = [c('wal'), c('wal-orphan'), c('events')];
  const source = 'images-check';
  const orphanSource = 'images-check-orphan';
  const writeKey = `wk-${id}`;
  const topic = `ekic-${id}`;
  const subscriptions = {
    firestore: `ekic-${id}-firestore`,
    gcs: `ekic-${id}-gcs`,
    file: `ekic-${id}-file`,
  } as const;

  say(`images ${ROLES.map(image).join(', ')}`);
  for (const role of ROLES) await checkImage(role, checks);

  const pubsubEmu = await startPubsubEmulator();
  const firestoreEmu = await startFirestoreEmulator();
  const gcs = await startFakeGcs({ projectId: PROJECT });
  gcs.createBucket(BUCKET);
  say(
    `Pub/Sub emulator ${pubsubEmu.host}, Firestore emulator ${firestoreEmu.host}, GCS test server ${gcs.url}`,
  );
  const firestore = new Firestore({ projectId: PROJECT, host: firestoreEmu.host, ssl: false });

  try {
    // Topic and both subscriptions first, so that no published event finds no subscription.
    process.env.PUBSUB_EMULATOR_HOST = pubsubEmu.host;
    const pubsub = new PubSub({ projectId: PROJECT });
    const [t] = await pubsub.createTopic(topic);
    for (const s of Object.values(subscriptions)) await t.createSubscription(s, { ackDeadlineSeconds: 20 });
    await pubsub.close();
    delete process.env.PUBSUB_EMULATOR_HOST;

    const common = {
      GCP_PROJECT_ID: PROJECT,
      PUBSUB_EMULATOR_HOST: pubsubEmu.host,
      EVENTKIT_PUBSUB_TOPIC: topic,
      EVENTKIT_PUBSUB_CREATE: 'false',
      EVENTKIT_SHUTDOWN_TIMEOUT: '20',
      METADATA_SERVER_DETECTION: 'none',
    };
    const gatewayPort = await freeLoopbackPort();
    const gateway = c('gateway');
    await must([
      'run',
      '-d',
      '--name',
      gateway,
      ...NET,
      ...LOCKED,
      '-v',
      `${c('wal')}:/data`,
      ...envArgs({
        ...common,
        EVENTKIT_HOST: '127.0.0.1',
        EVENTKIT_PORT: String(gatewayPort),
        EVENTKIT_WRITE_KEYS: `${writeKey}=${source}`,
      }),
      image('gateway'),
    ]);
    containers.push(gateway);

    const workers: Record<'firestore' | 'gcs' | 'file', { name: string; port: number }> = {
      firestore: { name: c('worker-firestore'), port: await freeLoopbackPort() },
      gcs: { name: c('worker-gcs'), port: await freeLoopbackPort() },
      file: { name: c('worker-file'), port: await freeLoopbackPort() },
    };
    for (const store of ['firestore', 'gcs', 'file'] as const) {
      const w = workers[store];
      await must([
        'run',
        '-d',
        '--name',
        w.name,
        ...NET,
        ...LOCKED,
        ...(store === 'file' ? ['-v', `${c('events')}:/data`] : ['--tmpfs', '/data:mode=1777']),
        ...envArgs({
          ...common,
          EVENTKIT_PUBSUB_SUBSCRIPTION: subscriptions[store],
          EVENTKIT_EVENT_STORE: store,
          EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '2',
          EVENTKIT_METRICS_HOST: '127.0.0.1',
          EVENTKIT_METRICS_PORT: String(w.port),
          ...(store === 'firestore' ? { FIRESTORE_EMULATOR_HOST: firestoreEmu.host } : {}),
          ...(store === 'gcs' ? { GCP_GCS_BUCKET: BUCKET, STORAGE_EMULATOR_HOST: gcs.url } : {}),
        }),
        image('worker'),
      ]);
      containers.push(w.name);
    }
    const started = performance.now();
    await until(
      'the gateway container /ready',
      () => httpOk(`http://127.0.0.1:${gatewayPort}/ready`),
      90_000,
    );
    for (const w of Object.values(workers)) {
      await until(`${w.name} /ready`, () => httpOk(`http://127.0.0.1:${w.port}/ready`), 90_000);
    }
    checks.expect(
      true,
      `gateway and three worker containers ready (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    checks.expect(
      await httpOk(`http://127.0.0.1:${gatewayPort}/health`),
      'gateway /health answers 200 (the liveness probe path)',
    );

    // The stock Segment Node SDK, pointed at the gateway container.
    const analytics = new Analytics({
      writeKey,
      host: `http://127.0.0.1:${gatewayPort}`,
      flushAt: 100,
      maxRetries: 5,
    });
    const sdkErrors: unknown[] = [];
    analytics.on('error', (err) => sdkErrors.push(err));
    const identifies = Math.ceil(EVENTS / 100);
    for (let i = 0; i < EVENTS; i++) {
      const userId = `ic-user-${i % 97}`;
      if (i % 100 === 0) analytics.identify({ userId, traits: { seq: i } });
      analytics.track({ userId, event: 'Images Check', properties: { seq: i } });
    }
    await analytics.closeAndFlush({ timeout: 60_000 });
    checks.expect(
      sdkErrors.length === 0,
      `@segment/analytics-node sent ${EVENTS} track + ${identifies} identify events (${sdkErrors.length} errors)`,
    );

    // Firestore: streams/events/events for the tracks, streams/users/events for the identifies.
    const landed = async (stream: string, from = source) => {
      const snap = await firestore
        .collection('streams')
        .doc(stream)
        .collection('events')
        .select('source', 'message_id')
        .get();
      const docs = snap.docs.filter((d) => d.get('source') === from);
      return { docs: docs.length, ids: new Set(docs.map((d) => String(d.get('message_id')))).size };
    };
    await until(
      `${EVENTS} documents in Firestore`,
      async () => (await landed('events')).docs >= EVENTS,
      120_000,
    );
    await sleep(3000); // anything more than expected would show now
    const fsEvents = await landed('events');
    const fsUsers = await landed('users');
    checks.expect(
      fsEvents.docs === EVENTS && fsEvents.ids === EVENTS,
      `Firestore streams/events: ${fsEvents.docs} documents, ${fsEvents.ids} distinct message ids (expected ${EVENTS})`,
    );
    checks.expect(
      fsUsers.docs === identifies && fsUsers.ids === identifies,
      `Firestore streams/users: ${fsUsers.docs} documents, ${fsUsers.ids} distinct message ids (expected ${identifies})`,
    );

    // A WAL left behind (deploy/RUNBOOK.md): a second gateway container whose Pub/Sub is cut
    // (a TCP proxy that resets every connection) acknowledges events into its WAL volume, gets
    // SIGTERM, cannot publish within its drain time and exits 0 leaving them there; with Pub/Sub
    // back, `eventkit-gateway wal drain` in a container on that volume (the runbook's Job)
    // publishes them, and the workers land each exactly once.
    const proxy = await startTcpProxy(pubsubEmu.host, { up: false });
    try {
      const orphanPort = await freeLoopbackPort();
      const orphan = c('gateway-orphan');
      const orphanEnv = {
        ...common,
        PUBSUB_EMULATOR_HOST: proxy.host,
        EVENTKIT_SHUTDOWN_TIMEOUT: '3',
        EVENTKIT_HOST: '127.0.0.1',
        EVENTKIT_PORT: String(orphanPort),
        EVENTKIT_WRITE_KEYS: `${writeKey}-orphan=${orphanSource}`,
      };
      await must([
        'run',
        '-d',
        '--name',
        orphan,
        ...NET,
        ...LOCKED,
        '-v',
        `${c('wal-orphan')}:/data`,
        ...envArgs(orphanEnv),
        image('gateway'),
      ]);
      containers.push(orphan);
      await until(
        'the second gateway container /ready',
        () => httpOk(`http://127.0.0.1:${orphanPort}/ready`),
        90_000,
      );
      const sdk = new Analytics({
        writeKey: `${writeKey}-orphan`,
        host: `http://127.0.0.1:${orphanPort}`,
        flushAt: 50,
      });
      const errors: unknown[] = [];
      sdk.on('error', (err) => errors.push(err));
      for (let i = 0; i < ORPHANED; i++)
        sdk.track({ userId: `orphan-${i % 7}`, event: 'Left Behind', properties: { seq: i } });
      await sdk.closeAndFlush({ timeout: 30_000 });
      checks.expect(
        errors.length === 0,
        `second gateway (Pub/Sub cut): ${ORPHANED} events acknowledged into its WAL`,
      );
      const o = await stopContainer(orphan, 30);
      const oDone = (await logLines(orphan, 'shutdown_complete'))[0];
      checks.expect(
        o.code === 0 && oDone?.remaining === ORPHANED && oDone?.left_in_wal === true,
        `second gateway: SIGTERM without Pub/Sub → exit ${o.code} in ${o.seconds.toFixed(1)} s, ${String(oDone?.remaining)} events left in its WAL`,
      );
      proxy.up();
      const volumeArgs = [
        'run',
        '--rm',
        ...NET,
        '-v',
        `${c('wal-orphan')}:/data`,
        ...envArgs(orphanEnv),
        image('gateway'),
      ];
      const statusOut = await must([...volumeArgs, 'wal', 'status', '--json']);
      let pendingBefore: unknown = statusOut.trim();
      try {
        pendingBefore = (JSON.parse(statusOut) as { pending_events?: unknown }).pending_events;
      } catch {
        // not JSON: shown as printed
      }
      const drained = await docker([...volumeArgs, 'wal', 'drain'], 120_000);
      checks.expect(
        drained.code === 0 && /published \d+ events; nothing pending/.test(drained.out),
        `wal drain container on the left-behind volume (wal status: ${String(pendingBefore)} pending): exit ${drained.code}, "${drained.out.trim().split('\n').at(-1)}"`,
      );
      await until(
        `${ORPHANED} recovered events in Firestore`,
        async () => (await landed('events', orphanSource)).docs >= ORPHANED,
        120_000,
      );
      await sleep(3000);
      const rec = await landed('events', orphanSource);
      checks.expect(
        rec.docs === ORPHANED && rec.ids === ORPHANED,
        `Firestore: the recovered events ${rec.docs} documents, ${rec.ids} distinct message ids (expected ${ORPHANED})`,
      );
    } finally {
      await proxy.close();
    }

    // SIGTERM: the gateway first (its WAL drains to Pub/Sub), then the workers (flush, ack).
    const g = await stopContainer(gateway, 30);
    const gDone = await logLines(gateway, 'shutdown_complete');
    checks.expect(
      g.code === 0 && gDone.length === 1 && gDone[0]?.remaining === 0,
      `gateway container: SIGTERM → shutdown_complete with remaining ${String(gDone[0]?.remaining)}, exit ${g.code} in ${g.seconds.toFixed(1)} s`,
    );
    for (const w of Object.values(workers)) {
      const r = await stopContainer(w.name, 30);
      const requested = await logLines(w.name, 'shutdown_requested');
      checks.expect(
        r.code === 0 && requested.length === 1,
        `${w.name}: SIGTERM → drained, exit ${r.code} in ${r.seconds.toFixed(1)} s`,
      );
    }
    const objects = gcs.objects(BUCKET).filter((o) => o.name.startsWith('events/'));
    checks.expect(objects.length > 0, `GCS test server: ${objects.length} event files from the gcs worker`);

    // The loader container: the file worker's files → DuckDB, both on the named volume, exactly once.
    const loaderEnv = {
      EVENTKIT_EVENT_STORE: 'file',
      EVENTKIT_WAREHOUSE: 'duckdb',
      EVENTKIT_SHUTDOWN_TIMEOUT: '20',
      METADATA_SERVER_DETECTION: 'none',
    };
    const loaderRun = async (n: number) => {
      const name = c(`loader-once-${n}`);
      containers.push(name);
      const r = await docker(
        [
          'run',
          '--name',
          name,
          ...NET,
          '-v',
          `${c('events')}:/data`,
          ...envArgs(loaderEnv),
          image('loader'),
          'run',
          '--once',
        ],
        180_000,
      );
      const summary = await logLines(name, 'load_run_finished');
      return { code: r.code, out: r.out, summary: summary[0] };
    };
    const first = await loaderRun(1);
    checks.expect(
      first.code === 0,
      `loader container run --once: exit ${first.code}, ${String(first.summary?.files ?? 0)} files, ${String(first.summary?.rows_inserted ?? 0)} rows inserted${first.code === 0 ? '' : `\n${first.out.slice(-3000)}`}`,
    );
    const second = await loaderRun(2);
    checks.expect(
      second.code === 0 && (second.summary?.rows_inserted ?? 0) === 0,
      `loader container run --once again: exit ${second.code}, ${String(second.summary?.rows_inserted ?? 0)} rows inserted (expected 0)`,
    );
    const query = async (sql: string) => {
      const out = await must([
        'run',
        '--rm',
        ...NET,
        '-v',
        `${c('events')}:/data`,
        ...envArgs({ EVENTKIT_WAREHOUSE: 'duckdb', EVENTKIT_EVENT_STORE: 'file' }),
        image('loader'),
        'query',
        '--json',
        sql,
      ]);
      const json = out.slice(out.indexOf('['));
      return JSON.parse(json.slice(0, json.lastIndexOf(']') + 1)) as Record<string, unknown>[];
    };
    const rows = await query(
      `select source || '/' || stream as k, count(*)::integer as n, count(distinct message_id)::integer as ids from events.raw_events group by all order by k`,
    );
    const byKey = Object.fromEntries(rows.map((r) => [String(r.k), { n: Number(r.n), ids: Number(r.ids) }]));
    const byStream = { events: byKey[`${source}/events`], users: byKey[`${source}/users`] };
    const recovered = byKey[`${orphanSource}/events`];
    checks.expect(
      byStream.events?.n === EVENTS && byStream.events?.ids === EVENTS,
      `DuckDB on the volume: stream events ${byStream.events?.n} rows, ${byStream.events?.ids} distinct message ids (expected ${EVENTS} each)`,
    );
    checks.expect(
      byStream.users?.n === identifies && byStream.users?.ids === identifies,
      `DuckDB on the volume: stream users ${byStream.users?.n} rows, ${byStream.users?.ids} distinct message ids (expected ${identifies} each)`,
    );
    checks.expect(
      recovered?.n === ORPHANED && recovered?.ids === ORPHANED && Object.keys(byKey).length === 3,
      `DuckDB on the volume: the recovered events ${recovered?.n} rows, ${recovered?.ids} distinct message ids (expected ${ORPHANED} each; ${Object.keys(byKey).length} source/stream groups, expected 3)`,
    );

    // A looping loader container (`run`): SIGTERM after its first pass → exit 0.
    const looping = c('loader-loop');
    await must([
      'run',
      '-d',
      '--name',
      looping,
      ...NET,
      '-v',
      `${c('events')}:/data`,
      ...envArgs({ ...loaderEnv, EVENTKIT_LOG_LEVEL: 'debug' }),
      image('loader'),
      'run',
    ]);
    containers.push(looping);
    await until(
      'the looping loader first pass',
      async () => (await logLines(looping, 'load_run_finished')).length > 0,
      60_000,
    );
    const l = await stopContainer(looping, 30);
    const stopping = await logLines(looping, 'loader_stopping');
    checks.expect(
      l.code === 0 && stopping.length === 1,
      `looping loader container: SIGTERM → loader_stopping, exit ${l.code} in ${l.seconds.toFixed(1)} s`,
    );
  } catch (err) {
    checks.expect(false, `pipeline: ${(err as Error).message}`);
    for (const name of containers) {
      say(`logs of ${name}:\n${(await docker(['logs', name])).out.slice(-4000)}`);
    }
  } finally {
    for (const name of containers) await docker(['rm', '-f', name]);
    for (const v of volumes) await docker(['volume', 'rm', '-f', v]);
    await firestore.terminate().catch(() => undefined);
    await gcs.close();
    await firestoreEmu.stop();
    await pubsubEmu.stop();
  }
  for (const role of ROLES) {
    const size = Number((await must(['image', 'inspect', image(role), '--format', '{{.Size}}'])).trim());
    say(`size of ${image(role)}: ${(size / 1e6).toFixed(0)} MB`);
  }
  say(checks.failures.length === 0 ? 'passed' : `${checks.failures.length} check(s) failed`);
  return checks.failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();

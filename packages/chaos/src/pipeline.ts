// One scenario's pipeline: gateways (each with its own WAL directory), one or
// more workers on one subscription, one loader loop into a fresh DuckDB file — the real executables,
// wired to the Pub/Sub emulator (directly or through the proxy) on a topic and
// subscription of their own. With the gcs sink, the worker writes to the fake
// GCS server and a mirror copies its objects into a directory that the loader
// reads as a file store (the DuckDB warehouse cannot read gs:// URIs).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type FakeGcsServer, freeLoopbackPort } from '@eventkit/testing';
import { firestoreLanded } from './firestore.ts';
import { SOURCE, WRITE_KEY } from './load.ts';
import { type LogBook, type Proc, runCli, sleep, startProc } from './proc.ts';

export const PROJECT = 'chaos-project';
export const BUCKET = 'chaos-bucket';

export interface PipelineOptions {
  scenario: string;
  dir: string;
  book: LogBook;
  /** PUBSUB_EMULATOR_HOST for the gateways and the worker (the emulator, or the proxy in front of it). */
  pubsubHost: string;
  gateways?: number;
  /** Workers on the scenario's subscription (default 1), as a Deployment's replicas. */
  workers?: number;
  sink?: 'file' | 'gcs' | 'firestore';
  gcs?: FakeGcsServer;
  /** 127.0.0.1:PORT of the Firestore emulator (firestore sink). */
  firestoreHost?: string;
  gatewayEnv?: Record<string, string>;
  /** WAL directory of gateway i (default: under `dir`). */
  gatewayDataDir?: (i: number) => string;
}

interface Gateway {
  port: number;
  dataDir: string;
  proc: Proc | undefined;
  lives: number;
}

const LOG_ENV = { EVENTKIT_JSON_LOGS: 'true', EVENTKIT_LOG_LEVEL: 'info' };

/** Every pipeline started, so the runner can kill what a failed scenario left running. */
export const allPipelines: Pipeline[] = [];

export class Pipeline {
  readonly opts: PipelineOptions;
  readonly topic: string;
  readonly subscription: string;
  readonly gateways: Gateway[] = [];
  /** Worker i's current life (undefined before it started). */
  readonly workers: (Proc | undefined)[] = [];
  loader: Proc | undefined;
  readonly filesDir: string;
  readonly duckdbPath: string;
  readonly #workerLives: number[] = [];
  #loaderLives = 0;
  readonly #workerMetricsPorts: number[] = [];
  #mirrorTimer: NodeJS.Timeout | undefined;
  #mirrored = new Set<string>();

  constructor(opts: PipelineOptions) {
    this.opts = opts;
    this.topic = `chaos-${opts.scenario}-${Date.now()}`;
    this.subscription = `${this.topic}-workers`;
    this.filesDir = join(opts.dir, 'files');
    this.duckdbPath = join(opts.dir, 'warehouse.duckdb');
    mkdirSync(this.filesDir, { recursive: true });
    allPipelines.push(this);
  }

  get sink(): 'file' | 'gcs' | 'firestore' {
    return this.opts.sink ?? 'file';
  }

  /** Worker 0, the one the worker scenarios kill. */
  get worker(): Proc | undefined {
    return this.workers[0];
  }

  urls(): string[] {
    return this.gateways.map((g) => `http://127.0.0.1:${g.port}`);
  }

  /** Workers first (they create the topic and subscription: nothing published is lost), then gateways, loader. */
  async start(options: { loaderEnv?: Record<string, string> } = {}): Promise<void> {
    for (let i = 0; i < (this.opts.workers ?? 1); i++) {
      this.#workerMetricsPorts.push(await freeLoopbackPort());
      this.#workerLives.push(0);
      await this.startWorker(i);
    }
    for (let i = 0; i < (this.opts.gateways ?? 1); i++) {
      const dataDir = this.opts.gatewayDataDir?.(i) ?? join(this.opts.dir, `gateway-${i}`);
      this.gateways.push({ port: await freeLoopbackPort(), dataDir, proc: undefined, lives: 0 });
      await this.startGateway(i);
    }
    if (this.sink === 'gcs') this.#startMirror();
    // The firestore sink writes documents, no files: there is no loader.
    if (this.sink !== 'firestore') await this.startLoader(options.loaderEnv);
  }

  gatewayEnv(i: number): Record<string, string> {
    const g = this.gateways[i];
    if (!g) throw new Error(`no gateway ${i}`);
    return {
      ...LOG_ENV,
      EVENTKIT_HOST: '127.0.0.1',
      EVENTKIT_PORT: String(g.port),
      EVENTKIT_DATA_DIR: g.dataDir,
      GCP_PROJECT_ID: PROJECT,
      PUBSUB_EMULATOR_HOST: this.opts.pubsubHost,
      EVENTKIT_PUBSUB_TOPIC: this.topic,
      EVENTKIT_WRITE_KEYS: `${WRITE_KEY}=${SOURCE}`,
      EVENTKIT_SHUTDOWN_TIMEOUT: '15',
      ...this.opts.gatewayEnv,
    };
  }

  async startGateway(i: number, readyTimeoutMs = 60_000): Promise<Proc> {
    const g = this.gateways[i];
    if (!g) throw new Error(`no gateway ${i}`);
    g.lives++;
    mkdirSync(g.dataDir, { recursive: true });
    g.proc = await startProc(this.opts.book, `${this.opts.scenario}-gateway${i}-life${g.lives}`, {
      pkg: 'gateway',
      args: ['serve'],
      env: this.gatewayEnv(i),
      readyUrl: `http://127.0.0.1:${g.port}/health`,
      readyTimeoutMs,
    });
    return g.proc;
  }

  workerEnv(i = 0): Record<string, string> {
    const dir = this.opts.dir;
    return {
      ...LOG_ENV,
      GCP_PROJECT_ID: PROJECT,
      PUBSUB_EMULATOR_HOST: this.opts.pubsubHost,
      EVENTKIT_PUBSUB_TOPIC: this.topic,
      EVENTKIT_PUBSUB_SUBSCRIPTION: this.subscription,
      EVENTKIT_METRICS_HOST: '127.0.0.1',
      EVENTKIT_METRICS_PORT: String(this.#workerMetricsPorts[i]),
      EVENTKIT_PARTITIONS: '4',
      EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '1',
      EVENTKIT_SHUTDOWN_TIMEOUT: '15',
      EVENTKIT_WORKER_ID: `chaos-worker-${i}`,
      ...(this.sink === 'gcs'
        ? {
            EVENTKIT_EVENT_STORE: 'gcs',
            GCP_GCS_BUCKET: BUCKET,
            STORAGE_EMULATOR_HOST: this.opts.gcs?.url ?? '',
            EVENTKIT_STORAGE_PREFIX: `${this.opts.scenario}/`,
            EVENTKIT_DATA_DIR: join(dir, `worker-${i}`),
          }
        : this.sink === 'firestore'
          ? {
              EVENTKIT_EVENT_STORE: 'firestore',
              FIRESTORE_EMULATOR_HOST: this.opts.firestoreHost ?? '',
              EVENTKIT_DATA_DIR: join(dir, `worker-${i}`),
            }
          : { EVENTKIT_EVENT_STORE: 'file', EVENTKIT_DATA_DIR: this.filesDir }),
    };
  }

  async startWorker(i = 0): Promise<Proc> {
    const lives = (this.#workerLives[i] ?? 0) + 1;
    this.#workerLives[i] = lives;
    const proc = await startProc(this.opts.book, `${this.opts.scenario}-worker${i}-life${lives}`, {
      pkg: 'worker',
      args: ['run'],
      env: this.workerEnv(i),
      readyUrl: `http://127.0.0.1:${this.#workerMetricsPorts[i]}/health`,
    });
    this.workers[i] = proc;
    return proc;
  }

  loaderEnv(): Record<string, string> {
    return {
      ...LOG_ENV,
      EVENTKIT_EVENT_STORE: 'file',
      EVENTKIT_WAREHOUSE: 'duckdb',
      EVENTKIT_DATA_DIR: this.filesDir,
      EVENTKIT_DUCKDB_PATH: this.duckdbPath,
      EVENTKIT_WAREHOUSE_LOADER_INTERVAL: '1',
      EVENTKIT_WAREHOUSE_LOADER_LEASE: '15',
      EVENTKIT_SHUTDOWN_TIMEOUT: '15',
      ...(this.sink === 'gcs' ? { EVENTKIT_STORAGE_PREFIX: `${this.opts.scenario}/` } : {}),
    };
  }

  async startLoader(extraEnv: Record<string, string> = {}): Promise<Proc> {
    this.#loaderLives++;
    this.loader = await startProc(this.opts.book, `${this.opts.scenario}-loader-life${this.#loaderLives}`, {
      pkg: 'loader',
      args: ['run'],
      env: { ...this.loaderEnv(), ...extraEnv },
    });
    return this.loader;
  }

  /** Copies the fake GCS's new objects into the loader's file store, each file whole (write, then rename). */
  mirrorOnce(): void {
    const gcs = this.opts.gcs;
    if (!gcs) return;
    for (const o of gcs.objects(BUCKET)) {
      if (!o.name.startsWith(`${this.opts.scenario}/`) || this.#mirrored.has(o.name)) continue;
      const target = join(this.filesDir, o.name);
      const tmp = join(this.opts.dir, 'mirror-tmp');
      mkdirSync(dirname(target), { recursive: true });
      mkdirSync(tmp, { recursive: true });
      const t = join(tmp, String(this.#mirrored.size));
      writeFileSync(t, o.data);
      renameSync(t, target);
      this.#mirrored.add(o.name);
    }
  }

  #startMirror(): void {
    this.#mirrorTimer = setInterval(() => this.mirrorOnce(), 500);
  }

  /** (message id → rows) in the warehouse for this scenario's ids; undefined when no warehouse yet. */
  async landed(prefix: string): Promise<Map<string, number> | undefined> {
    if (this.sink === 'firestore') return firestoreLanded(PROJECT, this.opts.firestoreHost ?? '', prefix);
    const sql = `select message_id as id, count(*) as n from events.raw_events where source = '${SOURCE}' and starts_with(message_id, '${prefix}') group by 1`;
    const res = await runCli(
      this.opts.book,
      `${this.opts.scenario}-query`,
      'loader',
      ['query', '--json', sql],
      { ...LOG_ENV, EVENTKIT_DUCKDB_PATH: this.duckdbPath, EVENTKIT_LOG_LEVEL: 'warn' },
      30_000,
      false,
    );
    if (res.code !== 0) return undefined;
    const rows = JSON.parse(res.stdout) as { id: string; n: number | string }[];
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  }

  /** WAL rows not yet published, per gateway (from `eventkit-gateway wal status --json`). */
  async walPending(): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < this.gateways.length; i++) {
      const res = await runCli(
        this.opts.book,
        `${this.opts.scenario}-walstatus${i}`,
        'gateway',
        ['wal', 'status', '--json'],
        { ...this.gatewayEnv(i), EVENTKIT_LOG_LEVEL: 'warn' },
        30_000,
        false,
      );
      try {
        out.push(Number((JSON.parse(res.stdout) as { pending_events: number }).pending_events));
      } catch {
        out.push(-1);
      }
    }
    return out;
  }

  /** Drain: gateways SIGTERM (publish their WALs), worker SIGTERM (flush), then the loader once more. */
  async stopGateways(): Promise<void> {
    await Promise.all(
      this.gateways.map((g) => (g.proc && !g.proc.exited() ? g.proc.term(30_000) : undefined)),
    );
  }

  async stopAll(): Promise<void> {
    await this.stopGateways();
    await Promise.all(this.workers.map((w) => (w && !w.exited() ? w.term(30_000) : undefined)));
    if (this.#mirrorTimer) clearInterval(this.#mirrorTimer);
    this.mirrorOnce();
    if (this.loader && !this.loader.exited()) await this.loader.term(30_000);
    if (this.sink === 'firestore') return;
    await runCli(
      this.opts.book,
      `${this.opts.scenario}-loader-final`,
      'loader',
      ['run', '--once'],
      this.loaderEnv(),
    );
  }

  /** Kills whatever still runs (after a failure). */
  async killAll(): Promise<void> {
    if (this.#mirrorTimer) clearInterval(this.#mirrorTimer);
    const procs = [...this.gateways.map((g) => g.proc), ...this.workers, this.loader];
    await Promise.all(procs.map((p) => (p && !p.exited() ? p.kill9() : undefined)));
  }
}

export { sleep };

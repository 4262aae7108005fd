// eventkit-dev built from its configuration: gateway, worker and loader in one
// process on embedded defaults — an in-process queue, the local disk laid out
// like the bucket, and a DuckDB warehouse — so the whole pipeline runs with no
// cloud account.
//
// The promise is the production one: the in-process queue resolves a publish
// only once the worker durably wrote the events (or dead-lettered them), so a
// WAL row is marked published only then; a crash at any moment loses nothing
// acknowledged, and a restart picks up where it stopped.
//
// The same process can use the real services instead (EVENTKIT_QUEUE_MODE=
// pubsub, EVENTKIT_EVENT_STORE=gcs|firestore, EVENTKIT_WAREHOUSE=bigquery with
// the emulators or GCP), which is how the seed's options A/B/C run.
import {
  createGateway,
  type Gateway,
  type GatewaySettings,
  gatewaySettingsFromConfig,
  listen,
} from '@eventkit/gateway';
import { type Loader, loaderFromConfig } from '@eventkit/loader';
import type { DevConfig, LoaderConfig } from '@eventkit/shared/config';
import type { Logger } from '@eventkit/shared/logging';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import type { DrainResult, ShutdownReason } from '@eventkit/shared/process';
import { createWorker, openSinks, type Sinks, type Worker, workerSettingsFromConfig } from '@eventkit/worker';
import { banner, liveEventsUrl } from './banner.ts';
import { type DevQueue, LOCAL_IN_FLIGHT, openDevQueue } from './queue.ts';
import { StatusLine } from './status-line.ts';
import type { Terminal } from './terminal.ts';

export interface DevOptions {
  /** A person's terminal: the banner and a live status line. Absent: log lines only. */
  terminal: Terminal | undefined;
}

export interface ComposedDev {
  /**
   * The gateway stops taking events (503) and relays its WAL (the worker acks
   * as it writes), the worker flushes and stops, the loader's loop stops and
   * one final load runs, so the warehouse holds every acknowledged event.
   */
  drain(reason: ShutdownReason): Promise<DrainResult>;
}

/** What runs, for the drain. */
interface Running {
  config: DevConfig;
  logger: Logger;
  queue: DevQueue;
  sinks: Sinks;
  worker: Worker;
  gateway: Gateway;
  loader: Loader | undefined;
  loop: Promise<void> | undefined;
  server: { close(callback: () => void): unknown };
  /** The admin listener (EVENTKIT_ADMIN_PORT), when set. */
  admin: { close(callback: () => void): unknown } | undefined;
  status: StatusLine;
  options: DevOptions;
}

export async function composeDev(
  config: DevConfig,
  logger: Logger,
  options: DevOptions,
): Promise<ComposedDev> {
  const registry = createMetricsRegistry({ role: 'dev' });
  const queue = await openDevQueue(config, logger);

  const sinks = await openSinks(config);
  const settings = workerSettingsFromConfig(config);
  const worker = createWorker({
    subscriber: queue.subscriber,
    sink: sinks.sink,
    deadLetters: sinks.deadLetters,
    logger: logger.child({ component: 'worker' }),
    metrics: registry,
    settings: { ...settings, flowControl: queue.flow },
  });

  const gateway = await createGateway({
    settings: devGatewaySettings(config),
    queue: queue.publisher,
    logger: logger.child({ component: 'gateway' }),
    registry,
    ...(queue.local ? { relayInFlight: LOCAL_IN_FLIGHT } : {}),
  });

  const loader: Loader | undefined = loaderEnabled(config)
    ? await loaderFromConfig(config as LoaderConfig, {
        logger: logger.child({ component: 'loader' }),
        metrics: registry,
      })
    : undefined;

  await worker.start();
  gateway.start();
  const loop = loader?.loop();
  const server = await listen(gateway.app.fetch, config.host, config.port);
  const admin = gateway.adminApp
    ? await listen(gateway.adminApp.fetch, config.host, config.adminPort ?? 0)
    : undefined;

  const status = announce(config, options, logger, {
    status: new StatusLine({ gateway, worker, registry }),
    loader: Boolean(loader),
    queue: queue.describe,
  });
  const running: Running = {
    config,
    logger,
    queue,
    sinks,
    worker,
    gateway,
    loader,
    loop,
    server,
    admin,
    status,
    options,
  };
  return { drain: (reason) => drain(running, reason) };
}

async function drain(r: Running, reason: ShutdownReason): Promise<DrainResult> {
  r.status.stop();
  r.options.terminal?.endStatus();
  r.logger.info({ signal: reason }, 'shutdown_started');
  const deadline = Date.now() + r.config.shutdownTimeout * 1000;

  // 1. stop accepting; publish what the WAL holds (the worker acks as it writes)
  r.gateway.beginShutdown();
  const { remaining } = await r.gateway.shutdown(deadline);
  // 2. flush the worker's partitions
  const stopped = await r.worker.stop();
  await r.queue.close();
  // 3. one last load, so the warehouse holds every acknowledged event
  let loaded = 0;
  if (r.loader) {
    // stop() lets the running load finish and starts no other from the loop;
    // a run asked for afterwards still runs in full.
    await r.loader.stop();
    await r.loop;
    const report = await r.loader.runOnce();
    loaded = report.rowsInserted;
    if (!report.ok) r.logger.error({ err: report.error }, 'final_load_failed');
  }
  await r.sinks.close();
  await new Promise<void>((resolve) => r.server.close(() => resolve()));
  if (r.admin) await new Promise<void>((resolve) => r.admin?.close(() => resolve()));
  return { report: { wal_pending: remaining, worker_drained: stopped.drained, rows_loaded_at_exit: loaded } };
}

/** The banner and a live status line on a terminal; a start line and a status line every 30 s in logs. */
function announce(
  config: DevConfig,
  options: DevOptions,
  logger: Logger,
  what: { status: StatusLine; loader: boolean; queue: string },
): StatusLine {
  const { status } = what;
  if (options.terminal) {
    options.terminal.out.write(banner(config, { loader: what.loader, queue: what.queue }));
    status.start(options.terminal);
  } else {
    logger.info(
      {
        url: `http://${config.host}:${config.port}`,
        data_dir: config.dataDir,
        queue: what.queue,
        event_store: config.eventStore,
        warehouse: what.loader ? config.warehouse : 'disabled',
        live_events: liveEventsUrl(config) ?? null,
      },
      'dev_started',
    );
    status.logEvery(30_000, logger);
  }
  return status;
}

/**
 * The gateway's settings, with the live events page allowed on the dev port:
 * eventkit-dev listens on loopback (EVENTKIT_HOST's dev default), where the
 * page is for the person running it; the gateway keeps it to its admin port.
 */
function devGatewaySettings(config: DevConfig): GatewaySettings {
  const settings = gatewaySettingsFromConfig(config);
  if (!settings.liveEvents) return settings;
  return { ...settings, liveEvents: { ...settings.liveEvents, publicPort: true } };
}

function loaderEnabled(config: DevConfig): boolean {
  return config.warehouseEnabled && config.eventStore !== 'firestore';
}

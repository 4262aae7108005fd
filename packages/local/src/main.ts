// eventkit-dev: gateway, worker and loader in one process on embedded
// defaults — an in-process queue, the local disk laid out like the bucket, and
// a DuckDB warehouse — so the whole pipeline runs with no cloud account.
//
// The promise is the production one: the in-process queue resolves a publish
// only once the worker durably wrote the events (or dead-lettered them), so a
// WAL row is marked published only then; a crash at any moment loses nothing
// acknowledged, and a restart picks up where it stopped.
//
// The same process can use the real services instead (EVENTKIT_QUEUE_MODE=
// pubsub, EVENTKIT_EVENT_STORE=gcs|firestore, EVENTKIT_WAREHOUSE=bigquery with
// the emulators or GCP), which is how the seed's options A/B/C run.

import { createGateway, gatewaySettingsFromConfig, listen } from '@eventkit/gateway';
import { type Loader, loaderFromConfig } from '@eventkit/loader';
import {
  createMetricsRegistry,
  type DevConfig,
  type FlowControl,
  type LoaderConfig,
  type Logger,
  logConfigWarnings,
  loggerFor,
  MemoryQueue,
  type QueuePublisher,
  type QueueSubscriber,
} from '@eventkit/shared';
import { openPubSub, PubSubSubscriber } from '@eventkit/shared/pubsub';
import { createWorker, openSinks, workerSettingsFromConfig } from '@eventkit/worker';
import { banner } from './banner.ts';
import { StatusLine } from './status-line.ts';

/** Envelopes in flight between the gateway's WAL relay and the in-process worker. */
const LOCAL_IN_FLIGHT = 32;

export interface DevOptions {
  /** Settings whose value came from the defaults (the local mode picks livelier ones for some). */
  defaulted: ReadonlySet<string>;
  interactive: boolean;
  out: NodeJS.WritableStream;
}

const ASYNC_WORKERS_IGNORED =
  'EVENTKIT_ASYNC_WORKERS has no effect: the in-process worker is bounded by its flow control instead';

/** The banner and a live status line on a terminal; a start line and a status line every 30 s in logs. */
function announce(
  config: DevConfig,
  options: DevOptions,
  logger: Logger,
  what: { status: StatusLine; loader: boolean; queue: string },
): StatusLine {
  const { status } = what;
  if (options.interactive) {
    options.out.write(banner(config, { loader: what.loader, queue: what.queue }));
    status.start(options.out);
  } else {
    logger.info(
      {
        url: `http://${config.host}:${config.port}`,
        data_dir: config.dataDir,
        queue: what.queue,
        event_store: config.eventStore,
        warehouse: what.loader ? config.warehouse : 'disabled',
      },
      'dev_started',
    );
    status.logEvery(30_000, logger);
  }
  return status;
}

export async function runDev(
  config: DevConfig,
  warnings: readonly string[],
  options: DevOptions,
): Promise<void> {
  const logger = loggerFor(config, 'eventkit-dev');
  logConfigWarnings(logger, [
    ...warnings,
    ...(options.defaulted.has('asyncWorkers') ? [] : [ASYNC_WORKERS_IGNORED]),
  ]);
  const registry = createMetricsRegistry({ role: 'dev' });
  const queue = await openQueue(config);

  const sinks = await openSinks(config);
  const settings = workerSettingsFromConfig(config);
  // Locally, events should be queryable within seconds: flush after 1 s unless told otherwise.
  if (options.defaulted.has('eventloaderFlushInterval')) settings.flushIntervalMs = 1000;
  const worker = createWorker({
    subscriber: queue.subscriber,
    sink: sinks.sink,
    deadLetters: sinks.deadLetters,
    logger: logger.child({ component: 'worker' }),
    metrics: registry,
    settings: { ...settings, flowControl: queue.flow },
  });

  const gateway = await createGateway({
    settings: gatewaySettingsFromConfig(config),
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

  const status = announce(config, options, logger, {
    status: new StatusLine({ gateway, worker, registry }),
    loader: Boolean(loader),
    queue: queue.describe,
  });

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  status.stop();
  if (options.interactive) options.out.write('\n');
  logger.info({ signal }, 'shutdown_started');
  const deadline = Date.now() + config.shutdownTimeout * 1000;

  // 1. stop accepting; publish what the WAL holds (the worker acks as it writes)
  gateway.beginShutdown();
  const { remaining } = await gateway.shutdown(deadline);
  // 2. flush the worker's partitions
  const stopped = await worker.stop();
  await queue.close();
  // 3. one last load, so the warehouse holds every acknowledged event
  let loaded = 0;
  if (loader) {
    // stop() lets the running load finish and starts no other from the loop;
    // a run asked for afterwards still runs in full.
    await loader.stop();
    await loop;
    const report = await loader.runOnce();
    loaded = report.rowsInserted;
    if (!report.ok) logger.error({ err: report.error }, 'final_load_failed');
  }
  await sinks.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  logger.info(
    { wal_pending: remaining, worker_drained: stopped.drained, rows_loaded_at_exit: loaded },
    'shutdown_complete',
  );
  process.exit(0);
}

function loaderEnabled(config: DevConfig): boolean {
  return config.warehouseEnabled && config.eventStore !== 'firestore';
}

interface OpenQueue {
  publisher: QueuePublisher;
  subscriber: QueueSubscriber;
  flow: FlowControl;
  local: boolean;
  describe: string;
  close(): Promise<void>;
}

async function openQueue(config: DevConfig): Promise<OpenQueue> {
  if (config.queueMode === 'async') {
    // Flow control equal to the publishes in flight: when the worker holds them
    // all, it flushes at once instead of waiting for its interval.
    const flow = { maxMessages: LOCAL_IN_FLIGHT, maxBytes: 256 * 1024 * 1024 };
    const memory = new MemoryQueue({
      resolvePublishOn: 'ack',
      capacity: LOCAL_IN_FLIGHT * 4,
      flowControl: flow,
    });
    return {
      publisher: memory,
      subscriber: memory.subscriber(flow),
      flow,
      local: true,
      describe: 'in-process',
      close: () => memory.close(),
    };
  }
  const opened = openPubSub(config);
  const publisher = await opened.publisher();
  await opened.ensureSubscription(config.pubsubSubscription);
  const { pubsub } = opened;
  const flow = { maxMessages: config.pubsubMaxMessages, maxBytes: config.pubsubMaxBytes };
  const subscriber = new PubSubSubscriber({
    pubsub,
    subscription: config.pubsubSubscription,
    flowControl: flow,
    streams: config.pubsubWorkers,
  });
  return {
    publisher,
    subscriber,
    flow,
    local: false,
    describe: `Pub/Sub ${config.pubsubTopic} → ${config.pubsubSubscription}`,
    close: async () => {
      await publisher.close();
      await pubsub.close();
    },
  };
}

// The worker's composition root for `eventkit-worker run`: builds the clients
// from the configuration, wires them into the core, serves /health, /ready and
// /metrics, and drains on SIGTERM (stop pulling, flush every partition, ack
// what was written) within EVENTKIT_SHUTDOWN_TIMEOUT.
import {
  createMetricsRegistry,
  type Logger,
  logConfigWarnings,
  loggerFor,
  type WorkerConfig,
} from '@eventkit/shared';
import { openPubSub, PubSubSubscriber } from '@eventkit/shared/pubsub';
import { workerSettingsFromConfig } from './core/settings.ts';
import { createWorker } from './core/worker.ts';
import { cachedCheck, createOpsApp } from './ops/app.ts';
import { startOpsServer } from './ops/server.ts';
import { createStores } from './stores.ts';

/** Extra time after the shutdown timeout for closing clients before the process exits regardless. */
const EXIT_GRACE_MS = 3_000;

export async function run(config: WorkerConfig, warnings: readonly string[]): Promise<void> {
  const logger = loggerFor(config, 'worker');
  logConfigWarnings(logger, warnings);
  const registry = createMetricsRegistry({ role: 'worker' });
  const settings = workerSettingsFromConfig(config);

  const opened = openPubSub(config);
  await opened.ensureSubscription(config.pubsubSubscription);
  const { pubsub } = opened;
  let stopReason: 'signal' | 'subscription_failed' | undefined;
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => {
    requestStop = resolve;
  });
  const subscriber = new PubSubSubscriber({
    pubsub,
    subscription: config.pubsubSubscription,
    flowControl: settings.flowControl,
    streams: config.pubsubWorkers,
    // The client retries what can be retried; an error here (NOT_FOUND, PERMISSION_DENIED) ends the
    // stream for good, so the worker drains and exits non-zero for its supervisor to restart it.
    onError: (err) => {
      logger.error({ error: err.message }, 'subscription_failed');
      stopReason ??= 'subscription_failed';
      requestStop();
    },
  });
  const stores = await createStores(config);
  const worker = createWorker({
    subscriber,
    sink: stores.sink,
    deadLetters: stores.deadLetters,
    logger,
    metrics: registry,
    settings,
  });

  const sinkCheck = cachedCheck(() => stores.sink.check());
  const ops = await startOpsServer(
    createOpsApp({
      registry,
      ready: async () => {
        const stats = worker.stats();
        const subscription = stats.stopping
          ? 'stopping'
          : subscriber.subscribed
            ? 'ok'
            : (subscriber.lastError?.message ?? 'not subscribed');
        const sink = await sinkCheck();
        return { ready: subscription === 'ok' && sink === 'ok', checks: { subscription, sink } };
      },
    }),
    { hostname: config.metricsHost, port: config.metricsPort },
  );
  logger.info({ host: config.metricsHost, port: ops.port }, 'ops_listening');

  await worker.start();
  onShutdownSignal(logger, () => {
    stopReason ??= 'signal';
    requestStop();
  });
  await stopRequested;

  const hardExit = setTimeout(() => {
    logger.error({ timeout_ms: settings.shutdownTimeoutMs + EXIT_GRACE_MS }, 'shutdown_timed_out');
    process.exit(1);
  }, settings.shutdownTimeoutMs + EXIT_GRACE_MS);
  hardExit.unref();
  const result = await worker.stop();
  await ops.close();
  await Promise.allSettled([stores.close(), pubsub.close()]);
  process.exitCode = result.drained && stopReason === 'signal' ? 0 : 1;
}

/** Calls `stop` on the first SIGTERM or SIGINT; a second one exits at once. */
function onShutdownSignal(logger: Logger, stop: () => void): void {
  let received = false;
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn({ signal }, 'shutdown_forced');
      process.exit(130);
    }
    received = true;
    logger.info({ signal }, 'shutdown_requested');
    stop();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

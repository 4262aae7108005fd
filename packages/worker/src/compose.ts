// The worker built from its configuration for `eventkit-worker run`: Pub/Sub
// and the subscription, the sinks (open-sinks.ts), the core (createWorker), and
// the /health, /ready and /metrics server. The run command keeps it running
// until a signal, or until the subscription fails for good; drain() is what
// either starts (onShutdown in @eventkit/shared): stop pulling, flush every
// partition, ack what was written, within EVENTKIT_SHUTDOWN_TIMEOUT.
import type { WorkerConfig } from '@eventkit/shared/config';
import { startupGate } from '@eventkit/shared/doctor';
import type { Logger } from '@eventkit/shared/logging';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import type { DrainResult, ShutdownReason } from '@eventkit/shared/process';
import { openPubSub, PubSubSubscriber, subscriptionCheck } from '@eventkit/shared/pubsub';
import { workerSettingsFromConfig } from './core/settings.ts';
import { createWorker } from './core/worker.ts';
import { openSinks } from './open-sinks.ts';
import { cachedCheck, createOpsApp } from './ops/app.ts';
import { startOpsServer } from './ops/server.ts';

/** Extra time after the shutdown timeout for closing clients; past it onShutdown exits 1. */
export const EXIT_GRACE_MS = 3_000;

/** The reason the worker drains when its subscription failed for good. */
export const SUBSCRIPTION_FAILED = 'subscription_failed';

export interface ComposedWorker {
  /**
   * Resolves when the subscription stream failed with an error the client does
   * not retry (NOT_FOUND, PERMISSION_DENIED): the worker then drains and exits
   * 1, for its supervisor to restart it.
   */
  readonly failed: Promise<void>;
  /** Stops pulling, flushes, acks; closes the ops server, the sinks and Pub/Sub. Exit 0 only for a full drain after a signal. */
  drain(reason: ShutdownReason): Promise<DrainResult>;
}

export async function composeWorker(config: WorkerConfig, logger: Logger): Promise<ComposedWorker> {
  const registry = createMetricsRegistry({ role: 'worker' });
  const settings = workerSettingsFromConfig(config);

  const opened = openPubSub(config, logger);
  await opened.ensureSubscription(config.pubsubSubscription);
  const { pubsub } = opened;
  let fail!: () => void;
  const failed = new Promise<void>((resolve) => {
    fail = resolve;
  });
  const subscriber = new PubSubSubscriber({
    pubsub,
    subscription: config.pubsubSubscription,
    flowControl: settings.flowControl,
    streams: config.pubsubWorkers,
    // The client retries what can be retried; an error here ends the stream for good.
    onError: (err) => {
      logger.error({ error: err.message }, SUBSCRIPTION_FAILED);
      fail();
    },
  });
  const sinks = await openSinks(config);
  const worker = createWorker({
    subscriber,
    sink: sinks.sink,
    deadLetters: sinks.deadLetters,
    logger,
    metrics: registry,
    settings,
  });

  const sinkCheck = cachedCheck(() => sinks.sink.check());
  // Production (the subscription is not created by us): not ready, and not
  // pulling, until the subscription passes its check (exists, may consume;
  // startup-checks.ts) — a pod that says why instead of one that exits on the
  // stream's NOT_FOUND and crash-loops. The sink is checked by every /ready.
  let startup: string | undefined;
  const gate = config.pubsubCreate
    ? undefined
    : startupGate(
        [subscriptionCheck(pubsub, config.pubsubSubscription, { create: false })],
        (why) => {
          startup = why;
        },
        logger,
      );
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
        const checks = { subscription, sink, ...(gate ? { startup: startup ?? 'ok' } : {}) };
        return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
      },
    }),
    { hostname: config.metricsHost, port: config.metricsPort },
  );
  logger.info({ host: config.metricsHost, port: ops.port }, 'ops_listening');

  let stopping = false;
  if (!gate) await worker.start();
  else
    gate.done
      .then(async () => {
        if (!stopping) await worker.start();
      })
      .catch((err: unknown) => {
        // As a failed subscription: drain and exit 1 for the supervisor to restart.
        logger.error({ err }, 'worker_start_failed');
        fail();
      });
  return {
    failed,
    async drain(reason) {
      stopping = true;
      gate?.stop();
      const result = await worker.stop();
      await ops.close();
      await Promise.allSettled([sinks.close(), pubsub.close()]);
      return {
        exitCode: result.drained && reason !== SUBSCRIPTION_FAILED ? 0 : 1,
        report: { drained: result.drained, duration_ms: result.durationMs },
      };
    },
  };
}

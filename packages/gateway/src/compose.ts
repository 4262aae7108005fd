// The gateway built from its configuration: Pub/Sub opened, the gateway wired
// (gateway.ts: WAL, WAL relay, HTTP app), the HTTP listener started. The serve
// command runs it until a signal; drain() is what the signal starts
// (onShutdown in @eventkit/shared).
import type { GatewayConfig } from '@eventkit/shared/config';
import { startupGate } from '@eventkit/shared/doctor';
import type { Logger } from '@eventkit/shared/logging';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import type { DrainResult, ShutdownReason } from '@eventkit/shared/process';
import { openPubSub } from '@eventkit/shared/pubsub';
import { createGateway } from './gateway.ts';
import { listen } from './http/server.ts';
import { gatewaySettingsFromConfig } from './settings.ts';
import { gatewayChecks } from './startup-checks.ts';

/**
 * Time after the drain's deadline (EVENTKIT_SHUTDOWN_TIMEOUT) for closing: the
 * WAL and the listener, the queue's publisher (at most 3 s) and Pub/Sub (2 s).
 * Past it onShutdown exits 1.
 */
export const CLOSE_GRACE_MS = 7_000;

export interface ComposedGateway {
  /**
   * New requests get 503 from now on (the listener stays up so they are
   * answered, and clients retry 503, rather than refused at the TCP level);
   * the WAL relay publishes until the shutdown deadline; then the WAL, the
   * listener and Pub/Sub close. Reports what is left in the WAL, counted after
   * it closed.
   */
  drain(reason: ShutdownReason): Promise<DrainResult>;
}

export async function composeGateway(config: GatewayConfig, logger: Logger): Promise<ComposedGateway> {
  const registry = createMetricsRegistry({ role: 'gateway' });
  const pubsub = openPubSub(config, logger);
  // The WAL relay retries each publish itself, with its own bounded backoff.
  const queue = await pubsub.publisher({ clientRetries: false });

  const settings = gatewaySettingsFromConfig(config);
  const gateway = await createGateway({ settings, queue, logger, registry });
  gateway.start();
  // Production (the topic is not created by us): not ready until the topic and the
  // WAL's directory pass their checks (startup-checks.ts).
  const gate = config.pubsubCreate
    ? undefined
    : startupGate(gatewayChecks(config, pubsub.pubsub), (why) => gateway.holdReady(why), logger);
  const server = await listen(gateway.app.fetch, config.host, config.port);
  const admin = gateway.adminApp
    ? await listen(gateway.adminApp.fetch, config.host, config.adminPort ?? 0)
    : undefined;
  logger.info(
    {
      host: config.host,
      port: config.port,
      admin_port: config.adminPort ?? null,
      wal: settings.walPath,
      // Read back from the WAL thread's connection: what acknowledgements rely on.
      wal_sync: gateway.wal.synchronous,
      wal_pending: gateway.wal.pendingCount,
      topic: config.pubsubTopic,
      sources: config.writeKeys ? Object.keys(config.writeKeys).length : 'open',
      // /live is served on the admin listener only (http/live/): null when off or without one.
      live_events: config.liveEvents && admin ? `/live on port ${config.adminPort}` : null,
    },
    'gateway_started',
  );

  return {
    async drain(reason) {
      gate?.stop();
      gateway.beginShutdown();
      const deadline = Date.now() + config.shutdownTimeout * 1000;
      logger.info(
        { signal: reason, pending: gateway.wal.pendingCount, timeout_s: config.shutdownTimeout },
        'shutdown_started',
      );
      const { remaining } = await gateway.shutdown(deadline);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (admin) await new Promise<void>((resolve) => admin.close(() => resolve()));
      // The client may still be retrying an abandoned publish: never wait past a few seconds for it.
      await withTimeout(queue.close(), 3000).catch((err) => logger.warn({ err }, 'publisher_close_failed'));
      await withTimeout(pubsub.close(), 2000).catch(() => {});
      return { report: { remaining, left_in_wal: remaining > 0 } };
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The gateway process: builds its clients from the configuration, serves HTTP,
// and drains on SIGTERM/SIGINT. The only place the gateway touches process
// signals and the network listener.

import { createMetricsRegistry, type GatewayConfig, logConfigWarnings, loggerFor } from '@eventkit/shared';
import { openPubSub } from '@eventkit/shared/pubsub';
import { createGateway } from './gateway.ts';
import { listen } from './http/server.ts';
import { gatewaySettingsFromConfig } from './settings.ts';

export async function serve(config: GatewayConfig, warnings: readonly string[]): Promise<void> {
  const logger = loggerFor(config, 'eventkit-gateway');
  logConfigWarnings(logger, warnings);
  const registry = createMetricsRegistry({ role: 'gateway' });

  const pubsub = openPubSub(config);
  const queue = await pubsub.publisher();

  const gateway = await createGateway({
    settings: gatewaySettingsFromConfig(config),
    queue,
    logger,
    registry,
  });
  gateway.start();
  const server = await listen(gateway.app.fetch, config.host, config.port);
  logger.info(
    {
      host: config.host,
      port: config.port,
      wal: config.ringBufferDbPath,
      // Read back from the WAL thread's connection: what acknowledgements rely on.
      wal_sync: gateway.wal.synchronous,
      wal_pending: gateway.wal.pendingCount,
      topic: config.pubsubTopic,
      sources: config.writeKeys ? Object.keys(config.writeKeys).length : 'open',
    },
    'gateway_started',
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  // New requests get 503 from now on; the listener stays up so they are
  // answered (clients retry 503) rather than refused at the TCP level.
  gateway.beginShutdown();
  const deadline = Date.now() + config.shutdownTimeout * 1000;
  logger.info(
    { signal, pending: gateway.wal.pendingCount, timeout_s: config.shutdownTimeout },
    'shutdown_started',
  );
  const { remaining } = await gateway.shutdown(deadline);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // The client may still be retrying an abandoned publish: never wait past a few seconds for it.
  await withTimeout(queue.close(), 3000).catch((err) => logger.warn({ err }, 'publisher_close_failed'));
  await withTimeout(pubsub.close(), 2000).catch(() => {});
  logger.info({ remaining, left_in_wal: remaining > 0 }, 'shutdown_complete');
  // Everything that matters is closed; a client library's stray retry timer or
  // gRPC channel must not keep a drained pod alive until SIGKILL.
  process.exit(0);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

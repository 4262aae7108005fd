// `eventkit-worker run`: the worker (compose.ts) until SIGTERM/SIGINT or a
// subscription that fails for good, then the drain (onShutdown):
// `shutdown_requested`, `shutdown_complete` {drained}; exit 0 only when a
// signal's drain wrote and acked everything in time.
import { addSettingOptions, loadCommandConfig } from '@eventkit/shared/cli';
import type { Flags } from '@eventkit/shared/config';
import { onShutdown } from '@eventkit/shared/process';
import type { Command } from 'commander';
import { composeWorker, EXIT_GRACE_MS, SUBSCRIPTION_FAILED } from '../compose.ts';

export function configureRunCommand(program: Command): Command {
  const command = program
    .command('run')
    .description(
      'Consume the subscription: validate, batch per partition, write to the event store; dead-letter what cannot be stored. Drains on SIGTERM.',
    );
  // Every setting of the worker: running uses them all.
  return addSettingOptions(command, 'worker').action(async (flags: Flags) => {
    const { config, logger } = loadCommandConfig('worker', process.env, flags, { name: 'worker' });
    const worker = await composeWorker(config, logger);
    const shutdown = onShutdown(
      logger,
      { timeoutMs: config.shutdownTimeout * 1000 + EXIT_GRACE_MS },
      (reason) => worker.drain(reason),
    );
    void worker.failed.then(() => shutdown.begin(SUBSCRIPTION_FAILED));
  });
}

// `eventkit-gateway serve`: the HTTP API and the WAL relay (compose.ts) until
// SIGTERM/SIGINT, then the drain (onShutdown): `shutdown_requested`,
// `shutdown_started`, and `shutdown_complete` with what is left in the WAL.
import { addSettingOptions, loadCommandConfig } from '@eventkit/shared/cli';
import type { Flags } from '@eventkit/shared/config';
import { onShutdown } from '@eventkit/shared/process';
import type { Command } from 'commander';
import { CLOSE_GRACE_MS, composeGateway } from '../compose.ts';

export function configureServeCommand(program: Command): Command {
  const command = program
    .command('serve')
    .description('Serve the HTTP API and publish the WAL to Pub/Sub until SIGTERM/SIGINT.');
  // Every setting of the gateway: serving uses them all.
  return addSettingOptions(command, 'gateway').action(async (flags: Flags) => {
    const { config, logger } = loadCommandConfig('gateway', process.env, flags, { name: 'eventkit-gateway' });
    const gateway = await composeGateway(config, logger);
    onShutdown(logger, { timeoutMs: config.shutdownTimeout * 1000 + CLOSE_GRACE_MS }, (signal) =>
      gateway.drain(signal),
    );
  });
}

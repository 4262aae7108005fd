// `eventkit-dev [options]`: the whole pipeline in one process (compose.ts)
// until SIGINT/SIGTERM, then the drain (onShutdown): `shutdown_requested`,
// `shutdown_started`, `shutdown_complete` {wal_pending, worker_drained,
// rows_loaded_at_exit}, exit 0.
//
// Its flags are the settings the local pipeline reads, in any of its modes
// (the in-process queue or Pub/Sub; the file, gcs or firestore store; DuckDB or
// BigQuery): every setting but the worker's ops server, which the local mode
// does not start (the gateway's port serves /health, /ready and /metrics).
import { addSettingOptions, logConfigWarnings, loggerFor } from '@eventkit/shared/cli';
import { ALL_PARTS, type Flags, loadDevConfig, type SettingPart } from '@eventkit/shared/config';
import { createLogger } from '@eventkit/shared/logging';
import { onShutdown } from '@eventkit/shared/process';
import type { Command } from 'commander';
import { composeDev } from '../compose.ts';
import { Terminal } from '../terminal.ts';

export const DEV_PARTS: readonly SettingPart[] = ALL_PARTS.filter((p) => p !== 'opsServer');

/** Time the drain may take: the WAL relayed, the worker flushed and the final load each get the shutdown timeout. */
const drainTimeoutMs = (shutdownTimeoutSeconds: number) => 3 * shutdownTimeoutSeconds * 1000 + 5_000;

const ASYNC_WORKERS_IGNORED =
  'EVENTKIT_ASYNC_WORKERS has no effect: the in-process worker is bounded by its flow control instead';

export function configureDevCommand(program: Command): Command {
  return addSettingOptions(program, 'dev', DEV_PARTS).action(async (flags: Flags) => {
    const { config, warnings, sources } = loadDevConfig(process.env, flags, DEV_PARTS);
    const defaulted = new Set(
      Object.entries(sources)
        .filter(([, from]) => from === 'default')
        .map(([key]) => key),
    );
    // A live status line on a terminal; log lines otherwise (and always with JSON logs).
    const terminal = process.stdout.isTTY && !config.jsonLogs ? new Terminal(process.stdout) : undefined;
    const logger = terminal
      ? createLogger({
          level: config.logLevel,
          json: false,
          name: 'eventkit-dev',
          destination: terminal.logs,
          colorize: true,
        })
      : loggerFor(config, 'eventkit-dev');
    logConfigWarnings(logger, [
      ...warnings,
      ...(defaulted.has('asyncWorkers') ? [] : [ASYNC_WORKERS_IGNORED]),
    ]);
    const dev = await composeDev(config, logger, { terminal });
    onShutdown(logger, { timeoutMs: drainTimeoutMs(config.shutdownTimeout) }, (signal) => dev.drain(signal));
  });
}

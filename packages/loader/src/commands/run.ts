// `eventkit-loader run [--once]`: load what is pending, then every
// EVENTKIT_WAREHOUSE_LOADER_INTERVAL seconds until SIGTERM/SIGINT; with --once,
// load everything pending and exit (0: all loaded, or another loader holds the
// lease and loads them; 1: a load failed).
//
// A signal drains through onShutdown: `loader_stopping`, the running job
// finishes and no other starts, `shutdown_complete`. If that takes longer than
// EVENTKIT_SHUTDOWN_TIMEOUT the process exits 1 (`shutdown_timed_out`),
// abandoning the job: a load commits its rows and its ledger rows together, so
// an abandoned job leaves no trace and the next run does it again.
import { addSettingOptions, CliError, loadCommandConfig } from '@eventkit/shared/cli';
import type { Flags, LoaderConfig } from '@eventkit/shared/config';
import type { Logger } from '@eventkit/shared/logging';
import { WarehouseConfigError } from '@eventkit/shared/ports';
import { type DrainResult, onShutdown, signalExitCode } from '@eventkit/shared/process';
import type { Command } from 'commander';
import { describeError, type RunReport } from '../core/report.ts';

export function configureRunCommand(program: Command): Command {
  const command = program
    .command('run')
    .description(
      'Load the pending event and dead-letter files, then every EVENTKIT_WAREHOUSE_LOADER_INTERVAL seconds until SIGTERM. With --once: load everything pending and exit (0: all loaded, or another loader holds the lease and loads them; 1: a load failed).',
    )
    .option('--once', 'load what is pending now and exit')
    .option('--json', 'with --once: print the run report as one JSON object on stdout');
  // Every setting of the loader: running uses them all.
  return addSettingOptions(command, 'loader').action(
    async (flags: Flags & { once?: boolean; json?: boolean }) => {
      if (flags.json && !flags.once)
        throw new CliError('--json goes with --once (the loop logs its runs)', 2);
      // With --json, stdout carries the report alone: the logs go to stderr.
      const { config, logger } = loadCommandConfig('loader', process.env, flags, {
        name: 'loader',
        logsTo: flags.json ? 2 : 1,
      });
      const report = await runCommand(config, logger, flags.once === true);
      if (flags.json && report) process.stdout.write(`${JSON.stringify(reportJson(report))}\n`);
    },
  );
}

/** The loop (or one run) until it ends, or until a signal's drain ends the process. */
export async function runCommand(
  config: LoaderConfig,
  logger: Logger,
  once: boolean,
): Promise<RunReport | undefined> {
  const { loaderFromConfig } = await import('../compose.ts');
  const loader = await loaderFromConfig(config, { logger });
  const work: Promise<RunReport | undefined> = once ? loader.runOnce() : loader.loop().then(() => undefined);
  const shutdown = onShutdown(logger, { timeoutMs: config.shutdownTimeout * 1000 }, async (signal) => {
    logger.info({ signal }, 'loader_stopping');
    await loader.stop();
    return drained(await settle(work), signal);
  });
  try {
    const report = await work;
    if (report) failIfNotLoaded(report);
    return report;
  } catch (err) {
    // Once draining, the drain reports how the work ended, and exits.
    if (shutdown.draining) return undefined;
    if (err instanceof WarehouseConfigError) throw new CliError(err.message, 2);
    throw err;
  } finally {
    shutdown.dispose();
  }
}

/** A --once run that did not load everything: the CliError the command exits with. */
function failIfNotLoaded(report: RunReport): void {
  if (report.error instanceof WarehouseConfigError) throw new CliError(report.error.message, 2);
  if (!report.ok) throw new CliError(`load failed: ${describeError(report.error)}`, 1);
}

type Settled = { report: RunReport | undefined } | { error: unknown };

const settle = (work: Promise<RunReport | undefined>): Promise<Settled> =>
  work.then(
    (report) => ({ report }),
    (error: unknown) => ({ error }),
  );

/** How the work ended after a signal: a loop that stopped is a clean exit; a --once run cut short exits 128 + signal. */
function drained(settled: Settled, signal: string): DrainResult {
  if ('error' in settled) {
    const exitCode = settled.error instanceof WarehouseConfigError ? 2 : 1;
    return { exitCode, report: { error: describeError(settled.error) } };
  }
  const { report } = settled;
  if (!report) return {};
  if (report.error instanceof WarehouseConfigError)
    return { exitCode: 2, report: { error: report.error.message } };
  if (!report.ok) return { exitCode: 1, report: { error: `load failed: ${describeError(report.error)}` } };
  if (report.stopped) {
    return {
      exitCode: signalExitCode(signal as NodeJS.Signals),
      report: { detail: `stopped by ${signal} before everything pending was loaded` },
    };
  }
  return { report: { rows_inserted: report.rowsInserted } };
}

/** A successful --once run as JSON (snake_case, as the logs and `status --json`). */
function reportJson(report: RunReport): Record<string, unknown> {
  return {
    ok: report.ok,
    jobs: report.jobs,
    files: report.files,
    rows_read: report.rowsRead,
    rows_inserted: report.rowsInserted,
    jobs_already_done: report.jobsAlreadyDone,
    files_quarantined: report.filesQuarantined,
    files_deleted: report.filesDeleted,
    duration_ms: Math.round(report.durationMs),
    lease_held_by: report.leaseHeldBy ?? null,
  };
}

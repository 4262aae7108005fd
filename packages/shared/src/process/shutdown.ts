// One shutdown path for every eventkit process (gateway serve, worker run,
// loader run, eventkit-dev): what happens between SIGTERM/SIGINT and exit.
//
//   first signal      `shutdown_requested` {signal, timeout_ms}; drain() starts, once
//   second signal     `shutdown_forced` {signal}; exit at once, 128 + the signal's number
//                     (SIGINT 130, SIGTERM 143): whoever sends a second signal (Ctrl-C
//                     twice, an impatient supervisor) wants the process gone, and every
//                     role is safe to cut short (the WAL, unacked messages and a load's
//                     single transaction keep what was not finished for the next start)
//   drain resolves    `shutdown_complete` {signal, …its report, exit_code}; exit with
//                     its exit code (default 0)
//   drain rejects     `shutdown_failed` {err}; exit 1
//   timeoutMs passes  `shutdown_timed_out` {timeout_ms}; exit 1, whatever drain is doing
//
// A process may also drain for a reason of its own (the worker's subscription
// failing for good): `begin(reason)` runs the same path, the log lines carrying
// `reason` instead of `signal`. The drain closes what matters; the exit is then
// explicit, so a client library's stray timer or gRPC channel cannot keep a
// drained process alive until SIGKILL.
import { constants } from 'node:os';
import type { Logger } from '../logging/logger.ts';

export interface ShutdownOptions {
  /**
   * How long drain() may take. Past it the process logs `shutdown_timed_out` and
   * exits 1. A role passes its EVENTKIT_SHUTDOWN_TIMEOUT, plus the time its
   * clients need to close when the drain itself works to that timeout.
   */
  readonly timeoutMs: number;
}

/** What a drain reports: the process's exit code (default 0) and the fields of `shutdown_complete`. */
export interface DrainResult {
  readonly exitCode?: number;
  readonly report?: Readonly<Record<string, unknown>>;
}

/** Why the drain runs: the signal, or the reason given to `begin()`. */
export type ShutdownReason = NodeJS.Signals | (string & {});

export type Drain = (reason: ShutdownReason) => Promise<DrainResult | undefined>;

export interface Shutdown {
  /** Drains as a signal would, for a reason of the process's own; ignored once draining. */
  begin(reason: string): void;
  /** True once a signal or begin() started the drain. */
  readonly draining: boolean;
  /** Removes the signal handlers because the work ended on its own; ignored once draining. */
  dispose(): void;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** 128 + the signal's number, the shell's convention for "ended by this signal". */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Installs the SIGTERM and SIGINT handlers and runs `drain` once, on the first
 * signal or `begin()`, bounded by `timeoutMs`; logs the outcome and exits.
 */
export function onShutdown(logger: Logger, options: ShutdownOptions, drain: Drain): Shutdown {
  let reason: ShutdownReason | undefined;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (reason === undefined) {
      start(signal, { signal });
      return;
    }
    logger.warn({ signal, draining_since: reason }, 'shutdown_forced');
    process.exit(signalExitCode(signal));
  };
  for (const s of SIGNALS) process.on(s, onSignal);

  function start(why: ShutdownReason, fields: Record<string, unknown>): void {
    reason = why;
    logger.info({ ...fields, timeout_ms: options.timeoutMs }, 'shutdown_requested');
    // Not unref'd: a drain waiting on nothing that holds the event loop must
    // still end in a logged exit, not a silent one with whatever code was set.
    setTimeout(() => {
      logger.error({ ...fields, timeout_ms: options.timeoutMs }, 'shutdown_timed_out');
      process.exit(1);
    }, options.timeoutMs);
    Promise.resolve()
      .then(() => drain(why))
      .then(
        (result) => {
          const exitCode = result?.exitCode ?? 0;
          logger.info({ ...fields, ...result?.report, exit_code: exitCode }, 'shutdown_complete');
          process.exit(exitCode);
        },
        (err: unknown) => {
          logger.error({ ...fields, err }, 'shutdown_failed');
          process.exit(1);
        },
      );
  }

  return {
    begin(why) {
      if (reason === undefined) start(why, { reason: why });
    },
    get draining() {
      return reason !== undefined;
    },
    dispose() {
      if (reason !== undefined) return;
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}

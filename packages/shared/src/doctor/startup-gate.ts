// The production start-up checks: a role runs its doctor checks when it starts
// and holds its readiness while one fails for certain (does not exist, not
// allowed), re-checking every `intervalMs`. A rollout with a wrong topic name,
// a missing subscription or a role not granted then stops at its first pod
// (never ready) instead of replacing working ones. No answer (Pub/Sub
// unreachable, a timeout) holds nothing: a gateway restarted during a Pub/Sub
// outage must take events into its WAL like the others, and a worker's
// subscriber retries by itself. The gate ends at the first round with no
// definite failure; it is not run again (a later outage is the relay's and the
// subscriber's to ride out, not a reason to turn every pod unready).
import type { Logger } from '../logging/logger.ts';
import { type Check, failuresOf, runChecks } from './check.ts';

export const STARTUP_RECHECK_MS = 10_000;

export interface StartupGate {
  /** Stops re-checking (shutdown). */
  stop(): void;
  /** Resolves when the checks passed, or when stopped. */
  readonly done: Promise<void>;
}

/**
 * Runs `checks` until no failure is definite. `hold(reason)` is called with the
 * definite failures while there are any (and "start-up checks running" before
 * the first answer), then with undefined; each such round is logged
 * `startup_checks_failed` with every failure and its fix. A last round whose
 * only failures are unreachable dependencies is logged `startup_checks_unverified`.
 */
export function startupGate(
  checks: readonly Check[],
  hold: (reason: string | undefined) => void,
  logger: Logger,
  intervalMs = STARTUP_RECHECK_MS,
): StartupGate {
  let stopped = false;
  let wake: (() => void) | undefined;
  hold('start-up checks running');
  const done = (async () => {
    for (let round = 1; !stopped; round++) {
      const results = await runChecks(checks);
      const why = failuresOf(results, { definiteOnly: true });
      if (stopped) return;
      const failures = results
        .filter((r) => r.status === 'fail')
        .map((r) => ({ check: r.check, detail: r.detail, fix: r.fix }));
      if (!why) {
        hold(undefined);
        if (failures.length) logger.warn({ failures, rounds: round }, 'startup_checks_unverified');
        else logger.info({ checks: results.map((r) => r.check), rounds: round }, 'startup_checks_passed');
        return;
      }
      hold(`start-up checks failed: ${why}`);
      logger.warn({ failures, round, retry_in_ms: intervalMs }, 'startup_checks_failed');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    done,
    stop() {
      stopped = true;
      wake?.();
    },
  };
}

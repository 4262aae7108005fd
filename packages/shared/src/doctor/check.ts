// `doctor`: each role's dependencies checked with the permission the role needs,
// the same checks the gateway and worker run at start-up in production. A check
// answers ok, warn (works, with a caveat the operator should know) or fail, with
// a fix an operator can act on. Checks run concurrently, each bounded in time:
// an unreachable host is a failure after CHECK_TIMEOUT_MS, not a hang.

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckOutcome {
  status: CheckStatus;
  /** What was found, in a sentence (no secrets, no payloads). */
  detail: string;
  /** What to do about it; set on every fail, and on a warn with something to do. */
  fix?: string;
  /**
   * A fail that is no answer (unreachable, timed out) rather than a definite one
   * (does not exist, not allowed): the production start-up checks do not hold
   * readiness for it, since a gateway must take events while Pub/Sub is down.
   */
  unreachable?: boolean;
  /** The check gave no answer within the bound and was left running (its client may still be retrying). */
  timedOut?: boolean;
}

export interface CheckResult extends CheckOutcome {
  /** What is checked: "Pub/Sub topic events", "data directory /data". */
  check: string;
  durationMs: number;
}

export interface Check {
  readonly name: string;
  run(): Promise<CheckOutcome>;
}

/** A failure with its fix, thrown by a check's helpers; `unreachable` when it is no answer rather than a definite one. */
export class CheckFailure extends Error {
  readonly fix: string;
  readonly unreachable: boolean;
  constructor(message: string, fix: string, options: { unreachable?: boolean } = {}) {
    super(message);
    this.name = 'CheckFailure';
    this.fix = fix;
    this.unreachable = options.unreachable ?? false;
  }
}

export const CHECK_TIMEOUT_MS = 10_000;

/** Runs every check at once; a check that throws or outlasts `timeoutMs` fails with the reason. */
export async function runChecks(
  checks: readonly Check[],
  options: { timeoutMs?: number } = {},
): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  return Promise.all(checks.map((check) => runOne(check, timeoutMs)));
}

async function runOne(check: Check, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'fail',
          detail: `no answer within ${timeoutMs / 1000} s`,
          fix: 'check the host and port (an emulator variable pointing at nothing?), the network and firewall rules',
          unreachable: true,
          timedOut: true,
        }),
      timeoutMs,
    );
  });
  const outcome = await Promise.race([check.run().catch(failed), timeout]).finally(() => clearTimeout(timer));
  return { check: check.name, ...outcome, durationMs: Math.round(performance.now() - started) };
}

function failed(err: unknown): CheckOutcome {
  const message = err instanceof Error ? err.message : String(err);
  return {
    status: 'fail',
    detail: message,
    fix: err instanceof CheckFailure ? err.fix : 'see the detail; `--log-level debug` shows the client calls',
    ...(err instanceof CheckFailure && err.unreachable ? { unreachable: true } : {}),
  };
}

/** 1 when any check failed: a doctor's exit code. */
export function exitCodeOf(results: readonly CheckResult[]): number {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

/** The failures in one line each, for a start-up log and /ready (only the definite ones with `definiteOnly`). */
export function failuresOf(
  results: readonly CheckResult[],
  options: { definiteOnly?: boolean } = {},
): string | undefined {
  const failures = results.filter((r) => r.status === 'fail' && !(options.definiteOnly && r.unreachable));
  return failures.length ? failures.map((r) => `${r.check}: ${r.detail}`).join('; ') : undefined;
}

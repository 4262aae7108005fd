export {
  CHECK_TIMEOUT_MS,
  type Check,
  CheckFailure,
  type CheckOutcome,
  type CheckResult,
  type CheckStatus,
  exitCodeOf,
  failuresOf,
  runChecks,
} from './check.ts';
export { type DirectoryCheckOptions, directoryCheck } from './directory.ts';
export { type ObjectStoreCheckOptions, objectStoreCheck } from './object-store.ts';
export { renderDoctor } from './report.ts';
export { runDoctor } from './run-doctor.ts';
export { STARTUP_RECHECK_MS, type StartupGate, startupGate } from './startup-gate.ts';

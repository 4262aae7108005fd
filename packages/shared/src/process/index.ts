export {
  type Drain,
  type DrainResult,
  onShutdown,
  type Shutdown,
  type ShutdownOptions,
  type ShutdownReason,
  signalExitCode,
} from './shutdown.ts';

export {
  type CreateLoggerOptions,
  createLogger,
  LOG_REDACTED,
  type Logger,
  type LogLevel,
  REDACTED_LOG_KEYS,
  type RequestBindings,
  requestLogger,
  SEVERITY,
  scrub,
  silentLogger,
} from './logger.ts';
export { type WaitingOptions, whileWaiting } from './waiting.ts';

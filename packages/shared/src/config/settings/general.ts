import { setting } from './define.ts';
import { boolean, oneOf, seconds, text } from './parsers.ts';

export const GENERAL_SETTINGS = {
  // ── General ────────────────────────────────────────────────────────────────
  logLevel: setting({
    env: 'EVENTKIT_LOG_LEVEL',
    description:
      'Lowest log level written: trace, debug, info, warn, error, fatal, or silent (logging off). The seed spellings (DEBUG, INFO, WARNING, ERROR, CRITICAL) work.',
    group: 'General',
    roles: ['gateway', 'worker', 'loader'],
    parser: oneOf(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      { warning: 'warn', critical: 'fatal' },
      '<level>',
    ),
    default: 'info',
  }),
  jsonLogs: setting({
    env: 'EVENTKIT_JSON_LOGS',
    description:
      'One JSON object per line with Cloud Logging keys (severity, message, time) instead of colored human-readable lines.',
    group: 'General',
    roles: ['gateway', 'worker', 'loader'],
    parser: boolean(),
    default: false,
  }),
  dataDir: setting({
    env: 'EVENTKIT_DATA_DIR',
    description:
      'Directory for local state: the gateway WAL, the file event store, dead letters and the DuckDB warehouse (relative paths are from the working directory).',
    group: 'General',
    roles: ['gateway', 'worker', 'loader'],
    parser: text({ metavar: '<dir>', expected: 'a directory path' }),
    default: './.eventkit',
  }),
  shutdownTimeout: setting({
    env: 'EVENTKIT_SHUTDOWN_TIMEOUT',
    description:
      'Seconds a SIGTERM drain may take (publish the WAL, flush partitions, finish a load) before exiting; below the grace period of the platform (GKE: terminationGracePeriodSeconds, 30 s unless set; a Cloud Run job: 10 s after SIGTERM, so set it lower there).',
    group: 'General',
    roles: ['gateway', 'worker', 'loader'],
    parser: seconds({ min: 0, minExclusive: true }),
    default: 25,
  }),
} as const;

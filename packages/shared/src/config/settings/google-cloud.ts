import { SQL_IDENTIFIER, setting, str } from './define.ts';
import { baseUrl, hostPort, text } from './parsers.ts';

export const GOOGLE_CLOUD_SETTINGS = {
  // ── Google Cloud ───────────────────────────────────────────────────────────
  gcpProjectId: setting({
    env: 'GCP_PROJECT_ID',
    description:
      'Google Cloud project. Required for Pub/Sub (the gateway and worker), Firestore and BigQuery; not needed by the local mode on its defaults.',
    group: 'Google Cloud',
    roles: ['gateway', 'worker', 'loader'],
    parser: text({ metavar: '<project>', expected: 'a project id', pattern: /^[a-z][a-z0-9:.-]{0,62}$/ }),
    optional: true,
    defaultText: '— (required for Pub/Sub, Firestore, BigQuery)',
  }),
  gcpGcsBucket: setting({
    env: 'GCP_GCS_BUCKET',
    description:
      'GCS bucket for event files and dead letters. Setting it makes gcs the default event store. Required with EVENTKIT_EVENT_STORE=gcs.',
    group: 'Google Cloud',
    roles: ['worker', 'loader'],
    parser: text({
      metavar: '<bucket>',
      expected: 'a bucket name (lower-case letters, digits, -, _ and .)',
      pattern: /^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/,
    }),
    optional: true,
    defaultText: '— (required for gcs)',
  }),
  storagePrefix: setting({
    env: 'EVENTKIT_STORAGE_PREFIX',
    description:
      'Path prefix of the object layout ({prefix}/events/stream=…/date=…/hour=…/, {prefix}/errors/…) in the bucket, or under the data directory for the file store. Empty: at the root.',
    group: 'Google Cloud',
    roles: ['worker', 'loader'],
    parser: text({
      metavar: '<prefix>',
      expected: 'a relative path of letters, digits, -, _, . and / (no leading /, no ..)',
      pattern: /^(?!\/)(?!.*\.\.)[A-Za-z0-9._\-/]+$/,
    }),
    default: '',
    defaultText: '(empty)',
  }),
  gcpBigqueryDataset: setting({
    env: 'GCP_BIGQUERY_DATASET',
    description:
      'BigQuery dataset of the events table; with the DuckDB warehouse, the schema name. Required for BigQuery, as in the seed.',
    group: 'Google Cloud',
    roles: ['loader'],
    parser: text({
      metavar: '<dataset>',
      expected: 'letters, digits and underscores',
      pattern: SQL_IDENTIFIER,
    }),
    default: (ctx) => (str(ctx, 'warehouse') === 'duckdb' ? 'events' : undefined),
    optional: true,
    defaultText: 'events with duckdb; required with bigquery',
  }),
  gcpBigqueryTable: setting({
    env: 'GCP_BIGQUERY_TABLE',
    description: 'Events table (dead letters go to {table}_errors).',
    group: 'Google Cloud',
    roles: ['loader'],
    parser: text({
      metavar: '<table>',
      expected: 'letters, digits and underscores',
      pattern: SQL_IDENTIFIER,
    }),
    default: 'raw_events',
  }),
  gcpBigqueryLocation: setting({
    env: 'GCP_BIGQUERY_LOCATION',
    description:
      'BigQuery location (US, EU, europe-west1, …) of the dataset and of every job. A dataset the loader creates goes there; an existing dataset elsewhere stops the loader. Unset: a new dataset goes to US, an existing one is used where it is.',
    group: 'Google Cloud',
    roles: ['loader'],
    parser: text({
      metavar: '<location>',
      expected: 'a BigQuery location such as US, EU or europe-west1',
      pattern: /^[A-Za-z][A-Za-z0-9-]{1,40}$/,
    }),
    optional: true,
    defaultText: '— (new datasets: US)',
  }),
  firestoreEmulatorHost: setting({
    env: 'FIRESTORE_EMULATOR_HOST',
    description: 'Firestore emulator address (e.g. localhost:8080); unset uses Firestore in the project.',
    group: 'Google Cloud',
    roles: ['worker'],
    parser: hostPort(),
    optional: true,
  }),
  pubsubEmulatorHost: setting({
    env: 'PUBSUB_EMULATOR_HOST',
    description:
      'Pub/Sub emulator address (e.g. localhost:8085); unset uses Pub/Sub in the project. Makes EVENTKIT_PUBSUB_CREATE default to true.',
    group: 'Google Cloud',
    roles: ['gateway', 'worker'],
    parser: hostPort(),
    optional: true,
  }),
  storageEmulatorHost: setting({
    env: 'STORAGE_EMULATOR_HOST',
    description:
      'GCS emulator or test server base URL (e.g. http://localhost:9023; http:// is added to host:port). The adapters pass it to the client as apiEndpoint.',
    group: 'Google Cloud',
    roles: ['worker', 'loader'],
    parser: baseUrl(),
    optional: true,
  }),
} as const;
